import { AppError, ErrorCode } from "@yilian/contract";
import type { Db } from "../db";
import { audit } from "../audit/audit";
import type { AuthUser } from "../authz/principal";
import { loadManaged, sessionInclude, type SessionRow } from "./session-access";

export async function endTraining(db: Db, user: AuthUser, sessionId: string): Promise<SessionRow> {
  const session = await loadManaged(db, user, sessionId);
  if (session.status === "ENDED") return session;
  if (session.status !== "LIVE") throw new AppError(ErrorCode.INVALID_STATE, "只有直播中的培训可以结束");
  return markEnded(db, sessionId, user.id);
}

export async function markEnded(db: Db, sessionId: string, actorId: string | null): Promise<SessionRow> {
  return db.$transaction(async (tx) => {
    await tx.trainingSession.updateMany({
      where: { id: sessionId, status: { in: ["LIVE", "SCHEDULED"] } },
      data: { status: "ENDED", endedAt: new Date() },
    });
    await audit(tx, {
      action: "training.end",
      entityType: "TrainingSession",
      entityId: sessionId,
      outcome: "SUCCESS",
      actorId,
    });
    return tx.trainingSession.findUniqueOrThrow({ where: { id: sessionId }, include: sessionInclude });
  });
}
