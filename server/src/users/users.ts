// User administration within the caller's scope. Reading a user outside scope answers 404.
import type { Prisma } from "@prisma/client";
import { AppError, ErrorCode, type CreateUserBody, type Page, type UpdateUserBody, type UserSearchQuery, type UserSummary } from "@yilian/contract";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { grantableRoles, mayManageUsersOf, notFound, readableUsers } from "../authz/policy";
import { audit } from "../audit/audit";
import { hashPassword } from "../auth/passwords";
import type { AuthService } from "../auth/service";

const userSelect = {
  id: true,
  username: true,
  displayName: true,
  roles: true,
  title: true,
  active: true,
  institution: { select: { id: true, name: true, tier: true } },
  department: { select: { id: true, name: true } },
} as const satisfies Prisma.UserSelect;

export async function searchUsers(db: Db, caller: AuthUser, q: UserSearchQuery): Promise<Page<UserSummary>> {
  const where: Prisma.UserWhereInput = {
    AND: [
      readableUsers(caller),
      q.q ? { OR: [{ displayName: { contains: q.q } }, { username: { contains: q.q.toLowerCase() } }] } : {},
      q.institutionId ? { institutionId: q.institutionId } : {},
      q.role ? { roles: { has: q.role } } : {},
    ],
  };
  const [items, total] = await Promise.all([
    db.user.findMany({ where, select: userSelect, orderBy: { username: "asc" }, take: q.limit, skip: q.offset }),
    db.user.count({ where }),
  ]);
  return { items, total, limit: q.limit, offset: q.offset };
}

export async function getUser(db: Db, caller: AuthUser, id: string): Promise<UserSummary> {
  const user = await db.user.findFirst({ where: { AND: [{ id }, readableUsers(caller)] }, select: userSelect });
  if (!user) {
    await audit(db, { action: "user.read", entityType: "User", entityId: id, outcome: "NOT_FOUND" });
    throw notFound("用户");
  }
  return user;
}

async function checkAssignment(db: Db, caller: AuthUser, body: { institutionId: string; departmentId?: string | null; roles?: string[]; regionId?: string }) {
  const institution = await db.institution.findUnique({ where: { id: body.institutionId }, select: { id: true, cityId: true, countyId: true } });
  if (!institution || !mayManageUsersOf(caller, institution)) throw notFound("医疗机构");
  if (body.departmentId) {
    const dept = await db.department.findFirst({ where: { id: body.departmentId, institutionId: institution.id } });
    if (!dept) throw new AppError(ErrorCode.VALIDATION_FAILED, "科室不属于该医疗机构", { issues: [{ path: "body.departmentId", message: "科室不属于该医疗机构" }] });
  }
  const allowed = grantableRoles(caller);
  const denied = (body.roles ?? []).filter((r) => !allowed.has(r));
  if (denied.length) throw new AppError(ErrorCode.FORBIDDEN, `无权授予角色：${denied.join("、")}`);
  if (body.roles?.includes("REGION_ADMIN") && !body.regionId)
    throw new AppError(ErrorCode.VALIDATION_FAILED, "区域管理员必须指定所辖区域", { issues: [{ path: "body.regionId", message: "必填" }] });
}

export async function createUser(db: Db, caller: AuthUser, body: CreateUserBody): Promise<UserSummary> {
  await checkAssignment(db, caller, body);
  const passwordHash = await hashPassword(body.password);
  return db.$transaction(async (tx) => {
    const exists = await tx.user.findUnique({ where: { username: body.username }, select: { id: true } });
    if (exists) throw new AppError(ErrorCode.CONFLICT, "用户名已被使用");
    const user = await tx.user.create({
      data: {
        username: body.username,
        displayName: body.displayName,
        passwordHash,
        roles: body.roles,
        institutionId: body.institutionId,
        departmentId: body.departmentId ?? null,
        title: body.title ?? null,
        regionId: body.regionId ?? null,
      },
      select: userSelect,
    });
    await audit(tx, { action: "user.create", entityType: "User", entityId: user.id, outcome: "SUCCESS", detail: { roles: body.roles } });
    return user;
  });
}

export async function updateUser(db: Db, auth: AuthService, caller: AuthUser, id: string, body: UpdateUserBody): Promise<UserSummary> {
  const target = await db.user.findFirst({ where: { AND: [{ id }, readableUsers(caller)] }, select: { id: true, institutionId: true } });
  if (!target) throw notFound("用户");
  await checkAssignment(db, caller, { institutionId: target.institutionId, departmentId: body.departmentId, roles: body.roles });
  if (id === caller.id && (body.active === false || body.roles)) {
    throw new AppError(ErrorCode.FORBIDDEN, "不能停用自己的账号或修改自己的角色");
  }
  const user = await db.$transaction(async (tx) => {
    const updated = await tx.user.update({ where: { id }, data: body, select: userSelect });
    await audit(tx, { action: "user.update", entityType: "User", entityId: id, outcome: "SUCCESS", detail: { fields: Object.keys(body) } });
    return updated;
  });
  // Roles and account state are carried in access tokens: end the user's sessions so the change applies now.
  if (body.active === false || body.roles) await auth.revokeAllSessions(id);
  return user;
}
