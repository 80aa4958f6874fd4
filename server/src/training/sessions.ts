// Training sessions: schedule, read (catalogue, one session), cancel, start and end.
// A session outside the caller's audience (and not managed by them) answers 404, never 403.
import type { Prisma, TrainingSession } from "@prisma/client";
import {
  AppError,
  ErrorCode,
  tierRank,
  type Page,
  type ScheduleTrainingBody,
  type TrainingCatalogueQuery,
  type TrainingSessionView,
} from "@yilian/contract";
import type { Db } from "../db";
import { audit } from "../audit/audit";
import { hasRole, type AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import {
  fromRuleRow,
  inAudience,
  loadAudienceMember,
  managedSessionsWhere,
  managesSession,
  toRuleRows,
  validateRuleTargets,
  visibleSessionsWhere,
  type AudienceMember,
} from "./audience";
import { isExclusionViolation } from "../scheduling/busy";
import { localDateCompact } from "./util";

/** Viewers may enter this long before the scheduled start (to test audio and video). */
export const JOIN_EARLY_MS = 30 * 60_000;

const sessionInclude = { lecturers: true, audience: true } satisfies Prisma.TrainingSessionInclude;
export type SessionRow = Prisma.TrainingSessionGetPayload<{ include: typeof sessionInclude }>;

/** Loads a session the caller may see, or throws 404. */
export async function loadVisibleSession(
  db: Db,
  user: AuthUser,
  sessionId: string,
  member?: AudienceMember,
): Promise<{ session: SessionRow; member: AudienceMember; manages: boolean; inAudience: boolean }> {
  const session = await db.trainingSession.findUnique({ where: { id: sessionId }, include: sessionInclude });
  if (!session) throw notFound("培训");
  const m = member ?? (await loadAudienceMember(db, user));
  const manages = managesSession(user, session);
  const audienceMatch = inAudience(session.audience, m);
  if (!manages && !audienceMatch) throw notFound("培训");
  return { session, member: m, manages, inAudience: audienceMatch };
}

export function isLecturer(session: { lecturers: { userId: string }[] }, userId: string): boolean {
  return session.lecturers.some((l) => l.userId === userId);
}

/** Whether a person may enter the live session now (lecturers and managers always before the end). */
export function joinRefusal(
  s: Pick<TrainingSession, "status" | "startsAt" | "endsAt" | "registrationRequired">,
  who: { manages: boolean; inAudience: boolean; registered: boolean },
  now = new Date(),
): string | null {
  if (s.status === "CANCELLED") return "本次培训已取消";
  if (s.status === "ENDED") return "本次培训已结束";
  if (who.manages) return null;
  if (!who.inAudience) return "您不在本次培训的受众范围内";
  if (s.registrationRequired && !who.registered) return "本次培训需要先报名";
  if (s.status === "SCHEDULED" && now.getTime() < s.startsAt.getTime() - JOIN_EARLY_MS) return "培训尚未开始，开始前 30 分钟可进入";
  if (s.status === "SCHEDULED" && now.getTime() > s.endsAt.getTime()) return "本次培训已结束";
  return null;
}

// ------------------------------------------------------------------------------------------ schedule

export interface ScheduleResult {
  view: TrainingSessionView;
  session: SessionRow;
}

export async function scheduleTraining(db: Db, user: AuthUser, body: ScheduleTrainingBody): Promise<ScheduleResult> {
  if (!hasRole(user, "LECTURER", "INSTITUTION_ADMIN")) {
    throw new AppError(ErrorCode.FORBIDDEN, "只有授课专家或机构管理员可以安排远程教学");
  }
  // Training flows down the network: only upper-tier institutions host.
  if (tierRank[user.institutionTier] <= tierRank.TOWNSHIP) {
    throw new AppError(ErrorCode.FORBIDDEN, "乡镇(社区)级机构不能主办远程教学，请由上级医院安排");
  }
  const startsAt = new Date(body.startsAt);
  const endsAt = new Date(body.endsAt);
  if (startsAt.getTime() < Date.now() - 60_000) {
    throw invalid("startsAt", "开始时间不能早于当前时间");
  }
  if (body.specialtyCode && !(await db.specialty.findUnique({ where: { code: body.specialtyCode } }))) {
    throw invalid("specialtyCode", "专科代码不存在");
  }

  const lecturerIds = [...new Set(body.lecturerIds?.length ? body.lecturerIds : hasRole(user, "LECTURER") ? [user.id] : [])];
  if (!lecturerIds.length) throw invalid("lecturerIds", "请指定授课专家");
  const lecturers = await db.user.findMany({
    where: { id: { in: lecturerIds }, active: true, institutionId: user.institutionId, roles: { hasSome: ["LECTURER", "SPECIALIST"] } },
    select: { id: true, displayName: true },
  });
  if (lecturers.length !== lecturerIds.length) {
    throw invalid("lecturerIds", "授课专家必须是本机构在职的授课专家或会诊专家");
  }

  const rules = toRuleRows(body.audience);
  const ruleProblem = await validateRuleTargets(db, rules);
  if (ruleProblem) throw invalid("audience", ruleProblem);

  // A friendly message naming the lecturer; the exclusion constraint below still decides under races.
  const clash = await db.specialistBusyTime.findFirst({
    where: { specialistId: { in: lecturerIds }, startsAt: { lt: endsAt }, endsAt: { gt: startsAt } },
    select: { specialistId: true },
  });
  if (clash) throw busyConflict(lecturers.find((l) => l.id === clash.specialistId)?.displayName);

  let created: SessionRow;
  try {
    created = await db.$transaction(async (tx) => {
      const number = await nextNumber(tx, startsAt);
      const session = await tx.trainingSession.create({
        data: {
          number,
          title: body.title,
          specialtyCode: body.specialtyCode ?? null,
          description: body.description,
          hostInstitutionId: user.institutionId,
          createdById: user.id,
          startsAt,
          endsAt,
          capacity: body.capacity,
          registrationRequired: body.registrationRequired,
          attendanceThreshold: body.attendanceThreshold,
          lecturers: { create: lecturerIds.map((userId) => ({ userId })) },
          audience: { create: rules },
        },
        include: sessionInclude,
      });
      // Same table as consultation bookings: PostgreSQL refuses an overlapping row for the same person.
      await tx.specialistBusyTime.createMany({
        data: lecturerIds.map((specialistId) => ({ specialistId, startsAt, endsAt, source: "TRAINING" as const, sourceId: session.id })),
      });
      await audit(tx, {
        action: "training.schedule",
        entityType: "TrainingSession",
        entityId: session.id,
        outcome: "SUCCESS",
        detail: { number, startsAt: body.startsAt, endsAt: body.endsAt, lecturerIds, audience: body.audience.length },
      });
      return session;
    });
  } catch (e) {
    if (isExclusionViolation(e)) throw busyConflict();
    throw e;
  }
  const [view] = await toViews(db, user, [created], null);
  return { view: view!, session: created };
}

function invalid(field: string, message: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, message, { issues: [{ path: `body.${field}`, message }] });
}

function busyConflict(name?: string): AppError {
  return new AppError(
    ErrorCode.CONFLICT,
    `${name ? `授课专家${name}` : "授课专家"}在该时段已有会诊或其他培训安排，请调整时间`,
    { details: { reason: "LECTURER_BUSY" } },
  );
}

/** PX20261123-0001: per local (Asia/Shanghai) day of the start, serialised by an advisory lock. */
async function nextNumber(tx: Prisma.TransactionClient, startsAt: Date): Promise<string> {
  const prefix = `PX${localDateCompact(startsAt)}-`;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"training-number:" + prefix}))`;
  const n = await tx.trainingSession.count({ where: { number: { startsWith: prefix } } });
  return prefix + String(n + 1).padStart(4, "0");
}

// ------------------------------------------------------------------------------------------ read

export async function catalogue(db: Db, user: AuthUser, q: TrainingCatalogueQuery): Promise<Page<TrainingSessionView>> {
  const member = await loadAudienceMember(db, user);
  const where: Prisma.TrainingSessionWhereInput = {
    AND: [
      q.managed ? managedSessionsWhere(user) : visibleSessionsWhere(user, member),
      ...(q.status ? [{ status: q.status }] : []),
      ...(q.from ? [{ endsAt: { gt: new Date(q.from) } }] : []),
      ...(q.to ? [{ startsAt: { lt: new Date(q.to) } }] : []),
      ...(q.q ? [{ OR: [{ title: { contains: q.q, mode: "insensitive" as const } }, { description: { contains: q.q, mode: "insensitive" as const } }] }] : []),
    ],
  };
  const [rows, total] = await Promise.all([
    db.trainingSession.findMany({ where, include: sessionInclude, orderBy: [{ startsAt: "asc" }, { id: "asc" }], take: q.limit, skip: q.offset }),
    db.trainingSession.count({ where }),
  ]);
  return { items: await toViews(db, user, rows, member), total, limit: q.limit, offset: q.offset };
}

export async function getSessionView(db: Db, user: AuthUser, sessionId: string): Promise<TrainingSessionView> {
  const { session, member } = await loadVisibleSession(db, user, sessionId);
  const [view] = await toViews(db, user, [session], member);
  return view!;
}

/** Maps rows to API views with a few batched lookups (institutions, lecturers, specialties, my registrations). */
export async function toViews(db: Db, user: AuthUser, rows: SessionRow[], member: AudienceMember | null): Promise<TrainingSessionView[]> {
  if (!rows.length) return [];
  const m = member ?? (await loadAudienceMember(db, user));
  const ids = rows.map((r) => r.id);
  const [institutions, people, specialties, mine] = await Promise.all([
    db.institution.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.hostInstitutionId))] } }, select: { id: true, name: true, tier: true } }),
    db.user.findMany({ where: { id: { in: [...new Set(rows.flatMap((r) => r.lecturers.map((l) => l.userId)))] } }, select: { id: true, displayName: true, title: true } }),
    db.specialty.findMany({ where: { code: { in: rows.map((r) => r.specialtyCode).filter((c): c is string => !!c) } } }),
    db.trainingRegistration.findMany({ where: { sessionId: { in: ids }, userId: user.id, status: "REGISTERED" }, select: { sessionId: true } }),
  ]);
  const inst = new Map(institutions.map((i) => [i.id, i]));
  const person = new Map(people.map((p) => [p.id, p]));
  const spec = new Map(specialties.map((s) => [s.code, s]));
  const registered = new Set(mine.map((r) => r.sessionId));
  return rows.map((r) => {
    const manages = managesSession(user, r);
    const audienceMatch = inAudience(r.audience, m);
    const isReg = registered.has(r.id);
    const host = inst.get(r.hostInstitutionId);
    const specialty = r.specialtyCode ? spec.get(r.specialtyCode) : undefined;
    return {
      id: r.id,
      number: r.number,
      title: r.title,
      specialty: specialty ? { code: specialty.code, name: specialty.name } : null,
      description: r.description,
      hostInstitution: { id: r.hostInstitutionId, name: host?.name ?? "", tier: host?.tier ?? "PROVINCE" },
      lecturers: r.lecturers.map((l) => ({ id: l.userId, displayName: person.get(l.userId)?.displayName ?? "", title: person.get(l.userId)?.title ?? null })),
      startsAt: r.startsAt.toISOString(),
      endsAt: r.endsAt.toISOString(),
      capacity: r.capacity,
      registeredCount: r.registeredCount,
      registrationRequired: r.registrationRequired,
      attendanceThreshold: r.attendanceThreshold,
      status: r.status,
      audience: r.audience.map(fromRuleRow),
      me: {
        registered: isReg,
        canManage: manages,
        lecturer: isLecturer(r, user.id),
        canJoin: joinRefusal(r, { manages, inAudience: audienceMatch, registered: isReg }) === null,
      },
    };
  });
}

// ------------------------------------------------------------------------------------------ lifecycle

async function loadManaged(db: Db, user: AuthUser, sessionId: string): Promise<SessionRow> {
  const { session, manages } = await loadVisibleSession(db, user, sessionId);
  if (!manages) throw new AppError(ErrorCode.FORBIDDEN, "只有授课专家或主办机构管理员可以管理本次培训");
  return session;
}

export async function cancelTraining(db: Db, user: AuthUser, sessionId: string, reason: string): Promise<SessionRow> {
  const session = await loadManaged(db, user, sessionId);
  if (session.status !== "SCHEDULED") throw new AppError(ErrorCode.INVALID_STATE, "只能取消尚未开始的培训");
  return db.$transaction(async (tx) => {
    const { count } = await tx.trainingSession.updateMany({ where: { id: sessionId, status: "SCHEDULED" }, data: { status: "CANCELLED", cancelledAt: new Date() } });
    if (!count) throw new AppError(ErrorCode.INVALID_STATE, "只能取消尚未开始的培训");
    // Frees the lecturers' time for consultations and other lectures.
    await tx.specialistBusyTime.deleteMany({ where: { source: "TRAINING", sourceId: sessionId } });
    await audit(tx, { action: "training.cancel", entityType: "TrainingSession", entityId: sessionId, outcome: "SUCCESS", detail: { reason } });
    return tx.trainingSession.findUniqueOrThrow({ where: { id: sessionId }, include: sessionInclude });
  });
}

/** The lecturer goes live (also done implicitly when a lecturer joins the live session). Idempotent. */
export async function startTraining(db: Db, user: AuthUser, sessionId: string): Promise<SessionRow> {
  const session = await loadManaged(db, user, sessionId);
  if (session.status === "LIVE") return session;
  if (session.status !== "SCHEDULED") throw new AppError(ErrorCode.INVALID_STATE, "本次培训已结束或已取消");
  if (Date.now() < session.startsAt.getTime() - JOIN_EARLY_MS) throw new AppError(ErrorCode.INVALID_STATE, "开始前 30 分钟内才能开始直播");
  return db.$transaction(async (tx) => {
    await tx.trainingSession.updateMany({ where: { id: sessionId, status: "SCHEDULED" }, data: { status: "LIVE", startedAt: new Date() } });
    await audit(tx, { action: "training.start", entityType: "TrainingSession", entityId: sessionId, outcome: "SUCCESS" });
    return tx.trainingSession.findUniqueOrThrow({ where: { id: sessionId }, include: sessionInclude });
  });
}

export async function endTraining(db: Db, user: AuthUser, sessionId: string): Promise<SessionRow> {
  const session = await loadManaged(db, user, sessionId);
  if (session.status === "ENDED") return session;
  if (session.status !== "LIVE") throw new AppError(ErrorCode.INVALID_STATE, "只有直播中的培训可以结束");
  return markEnded(db, sessionId, user.id);
}

export async function markEnded(db: Db, sessionId: string, actorId: string | null): Promise<SessionRow> {
  return db.$transaction(async (tx) => {
    await tx.trainingSession.updateMany({ where: { id: sessionId, status: { in: ["LIVE", "SCHEDULED"] } }, data: { status: "ENDED", endedAt: new Date() } });
    await audit(tx, { action: "training.end", entityType: "TrainingSession", entityId: sessionId, outcome: "SUCCESS", actorId });
    return tx.trainingSession.findUniqueOrThrow({ where: { id: sessionId }, include: sessionInclude });
  });
}

