// Registration (报名) with a hard capacity. Each registration takes the session row lock (SELECT … FOR UPDATE),
// so concurrent registrations queue on that one row and the count they check is never stale; a CHECK constraint
// (registeredCount <= capacity) backs it in the database.
import { AppError, ErrorCode, type TrainingRegistrationView } from "@yilian/contract";
import { sqlOf, type Db } from "../db";
import { audit } from "../audit/audit";
import type { AuthUser } from "../authz/principal";
import { loadVisibleSession } from "./session-access";

interface LockedSession {
  status: "SCHEDULED" | "LIVE" | "ENDED" | "CANCELLED";
  capacity: number | null;
  registeredCount: number;
  endsAt: Date;
}

// Many trainees register in the minutes after a popular lecture is announced: wait for the lock, not fail.
const TX_OPTS = { maxWait: 20_000, timeout: 20_000 } as const;

export async function register(
  db: Db,
  user: AuthUser,
  sessionId: string,
): Promise<{ created: boolean; view: TrainingRegistrationView }> {
  const { inAudience } = await loadVisibleSession(db, user, sessionId);
  if (!inAudience) throw new AppError(ErrorCode.FORBIDDEN, "您不在本次培训的受众范围内，无需报名");
  return db.$transaction(async (tx) => {
    const [s] = await tx.$queryRaw<LockedSession[]>`
      SELECT status::text AS status, capacity, "registeredCount", "endsAt"
      FROM "TrainingSession" WHERE id = ${sessionId}::uuid FOR UPDATE`;
    if (!s) throw new AppError(ErrorCode.NOT_FOUND, "未找到该培训");
    if (s.status === "CANCELLED" || s.status === "ENDED" || s.endsAt.getTime() <= Date.now()) {
      throw new AppError(ErrorCode.INVALID_STATE, "本次培训已结束或已取消，不能报名");
    }
    const existing = await tx.trainingRegistration.findUnique({
      where: { sessionId_userId: { sessionId, userId: user.id } },
    });
    if (existing?.status === "REGISTERED") {
      return { created: false, view: view(sessionId, existing.registeredAt, s.registeredCount, s.capacity) };
    }
    if (s.capacity !== null && s.registeredCount >= s.capacity) {
      throw new AppError(ErrorCode.CONFLICT, "本次培训名额已满", {
        details: { reason: "CAPACITY_REACHED", capacity: s.capacity },
      });
    }
    const now = new Date();
    await tx.trainingRegistration.upsert({
      where: { sessionId_userId: { sessionId, userId: user.id } },
      create: { sessionId, userId: user.id, institutionId: user.institutionId, registeredAt: now },
      update: { status: "REGISTERED", registeredAt: now, cancelledAt: null, institutionId: user.institutionId },
    });
    await tx.trainingSession.update({ where: { id: sessionId }, data: { registeredCount: { increment: 1 } } });
    await audit(tx, {
      action: "training.register",
      entityType: "TrainingSession",
      entityId: sessionId,
      outcome: "SUCCESS",
    });
    return { created: true, view: view(sessionId, now, s.registeredCount + 1, s.capacity) };
  }, TX_OPTS);
}

export async function cancelRegistration(db: Db, user: AuthUser, sessionId: string): Promise<void> {
  await loadVisibleSession(db, user, sessionId);
  await db.$transaction(async (tx) => {
    const [s] = await tx.$queryRaw<LockedSession[]>`
      SELECT status::text AS status, capacity, "registeredCount", "endsAt"
      FROM "TrainingSession" WHERE id = ${sessionId}::uuid FOR UPDATE`;
    if (!s) throw new AppError(ErrorCode.NOT_FOUND, "未找到该培训");
    if (s.status === "ENDED" || s.status === "CANCELLED")
      throw new AppError(ErrorCode.INVALID_STATE, "本次培训已结束或已取消");
    const existing = await tx.trainingRegistration.findUnique({
      where: { sessionId_userId: { sessionId, userId: user.id } },
    });
    if (existing?.status !== "REGISTERED") throw new AppError(ErrorCode.NOT_FOUND, "您尚未报名本次培训");
    await tx.trainingRegistration.update({
      where: { sessionId_userId: { sessionId, userId: user.id } },
      data: { status: "CANCELLED", cancelledAt: new Date() },
    });
    await tx.trainingSession.update({ where: { id: sessionId }, data: { registeredCount: { decrement: 1 } } });
    await audit(tx, {
      action: "training.unregister",
      entityType: "TrainingSession",
      entityId: sessionId,
      outcome: "SUCCESS",
    });
  }, TX_OPTS);
}

/** Plain SQL: every viewer entering a lecture asks it (hundreds at once after a server process is lost). */
export async function isRegistered(db: Db, sessionId: string, userId: string): Promise<boolean> {
  const { rowCount } = await sqlOf(db).query(
    `SELECT 1 FROM "TrainingRegistration" WHERE "sessionId" = $1::uuid AND "userId" = $2::uuid AND status = 'REGISTERED'`,
    [sessionId, userId],
  );
  return !!rowCount;
}

function view(sessionId: string, at: Date, registeredCount: number, capacity: number | null): TrainingRegistrationView {
  return { sessionId, status: "REGISTERED", registeredAt: at.toISOString(), registeredCount, capacity };
}
