import { AppError, ErrorCode } from "@yilian/contract";
import type { Db } from "../db";
import { audit } from "../audit/audit";
import type { AuthUser } from "../authz/principal";
import { JOIN_EARLY_MS, loadManaged, sessionInclude, type SessionRow } from "./session-access";

/** The lecturer goes live (also done implicitly when a lecturer joins the live session). Idempotent. */
export async function startTraining(db: Db, user: AuthUser, sessionId: string): Promise<SessionRow> {
  const session = await loadManaged(db, user, sessionId);
  if (session.status === "LIVE") return session;
  if (session.status !== "SCHEDULED") throw new AppError(ErrorCode.INVALID_STATE, "本次培训已结束或已取消");
  if (Date.now() < session.startsAt.getTime() - JOIN_EARLY_MS)
    throw new AppError(ErrorCode.INVALID_STATE, "开始前 30 分钟内才能开始直播");
  return db.$transaction(async (tx) => {
    await tx.trainingSession.updateMany({
      where: { id: sessionId, status: "SCHEDULED" },
      data: { status: "LIVE", startedAt: new Date() },
    });
    await audit(tx, {
      action: "training.start",
      entityType: "TrainingSession",
      entityId: sessionId,
      outcome: "SUCCESS",
    });
    return tx.trainingSession.findUniqueOrThrow({ where: { id: sessionId }, include: sessionInclude });
  });
}
