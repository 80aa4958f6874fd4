// User administration within the caller's scope. Reading a user outside scope answers 404.
import type { Prisma } from "@prisma/client";
import {
  AppError,
  ErrorCode,
  type CreateUserBody,
  type Page,
  type UpdateUserBody,
  type UserSearchQuery,
  type UserSummary,
} from "@yilian/contract";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import {
  grantableRoles,
  mayActOnUser,
  mayManageUsersOf,
  notFound,
  readableUsers,
  regionWithinReach,
} from "../authz/policy";
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

async function checkAssignment(
  db: Db,
  caller: AuthUser,
  body: { institutionId: string; departmentId?: string | null; roles?: string[]; regionId?: string },
) {
  const institution = await db.institution.findUnique({
    where: { id: body.institutionId },
    select: { id: true, cityId: true, countyId: true },
  });
  if (!institution || !mayManageUsersOf(caller, institution)) throw notFound("医疗机构");
  if (body.departmentId) {
    const dept = await db.department.findFirst({ where: { id: body.departmentId, institutionId: institution.id } });
    if (!dept)
      throw new AppError(ErrorCode.VALIDATION_FAILED, "科室不属于该医疗机构", {
        issues: [{ path: "body.departmentId", message: "科室不属于该医疗机构" }],
      });
  }
  const allowed = grantableRoles(caller);
  const denied = (body.roles ?? []).filter((r) => !allowed.has(r));
  if (denied.length) throw new AppError(ErrorCode.FORBIDDEN, `无权授予角色：${denied.join("、")}`);
  if (body.roles?.includes("REGION_ADMIN") && !body.regionId)
    throw new AppError(ErrorCode.VALIDATION_FAILED, "区域管理员必须指定所辖区域", {
      issues: [{ path: "body.regionId", message: "必填" }],
    });
  if (body.regionId) {
    const region = await db.region.findUnique({ where: { id: body.regionId }, select: { id: true, parentId: true } });
    if (!region) throw notFound("区域");
    if (!regionWithinReach(caller, region)) throw new AppError(ErrorCode.FORBIDDEN, "只能授予本辖区内区域的管理权限");
  }
}

const targetSelect = {
  id: true,
  username: true,
  roles: true,
  institutionId: true,
  region: { select: { id: true, parentId: true } },
} as const satisfies Prisma.UserSelect;

/** A user the caller may act on: readable (else 404), administered by them and not above their rank (else 403). */
async function actionableUser(db: Db, caller: AuthUser, id: string) {
  const target = await db.user.findFirst({ where: { AND: [{ id }, readableUsers(caller)] }, select: targetSelect });
  if (!target) throw notFound("用户");
  const institution = await db.institution.findUniqueOrThrow({
    where: { id: target.institutionId },
    select: { id: true, cityId: true, countyId: true },
  });
  if (!mayManageUsersOf(caller, institution)) throw new AppError(ErrorCode.FORBIDDEN, "无权管理该用户");
  if (!mayActOnUser(caller, target))
    throw new AppError(ErrorCode.FORBIDDEN, "该用户的权限高于您可授予的范围，无权修改");
  return target;
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
    await audit(tx, {
      action: "user.create",
      entityType: "User",
      entityId: user.id,
      outcome: "SUCCESS",
      detail: { roles: body.roles },
    });
    return user;
  });
}

export async function updateUser(
  db: Db,
  auth: AuthService,
  caller: AuthUser,
  id: string,
  body: UpdateUserBody,
): Promise<UserSummary> {
  if (id === caller.id && (body.active === false || body.roles || body.password)) {
    throw new AppError(ErrorCode.FORBIDDEN, "不能停用自己的账号、修改自己的角色或在此重置自己的密码");
  }
  const target = await actionableUser(db, caller, id);
  await checkAssignment(db, caller, {
    institutionId: target.institutionId,
    departmentId: body.departmentId,
    roles: body.roles,
  });
  // Granting REGION_ADMIN by update keeps the user's region: it must be one the caller could grant.
  if (body.roles?.includes("REGION_ADMIN") && !target.region) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, "区域管理员必须指定所辖区域", {
      issues: [{ path: "body.roles", message: "该用户没有所辖区域" }],
    });
  }
  if (body.roles?.includes("REGION_ADMIN") && !regionWithinReach(caller, target.region!)) {
    throw new AppError(ErrorCode.FORBIDDEN, "只能授予本辖区内区域的管理权限");
  }
  const { password, ...fields } = body;
  const passwordHash = password ? await hashPassword(password) : undefined;
  const user = await db.$transaction(async (tx) => {
    const updated = await tx.user.update({
      where: { id },
      data: { ...fields, ...(passwordHash ? { passwordHash } : {}) },
      select: userSelect,
    });
    await audit(tx, {
      action: "user.update",
      entityType: "User",
      entityId: id,
      outcome: "SUCCESS",
      detail: { fields: Object.keys(body) },
    });
    return updated;
  });
  // Roles, account state and credentials stand behind access tokens: end the user's sessions so the change applies now.
  if (body.active === false || body.roles || password) await auth.revokeAllSessions(id);
  return user;
}

/** Lifts a login lock-out (lockout.ts) now instead of when it ends; same rank rules as any change to the user. */
export async function unlockUser(
  db: Db,
  auth: AuthService,
  caller: AuthUser,
  id: string,
): Promise<{ wasLocked: boolean }> {
  const target = await actionableUser(db, caller, id);
  const wasLocked = await auth.lockout.lift(target.username);
  await audit(db, {
    action: "user.unlock",
    entityType: "User",
    entityId: id,
    outcome: "SUCCESS",
    detail: { wasLocked },
  });
  return { wasLocked };
}
