import { AppError, ErrorCode } from "@yilian/contract";
import type { Db } from "../db";
import { audit } from "../audit/audit";
import type { AuthUser } from "../authz/principal";
import { loadManaged, sessionInclude, type SessionRow } from "./session-access";

export async function cancelTraining(db: Db, user: AuthUser, sessionId: string, reason: string): Promise<SessionRow> {
  const session = await loadManaged(db, user, sessionId);
  if (session.status !== "SCHEDULED") throw new AppError(ErrorCode.INVALID_STATE, "只能取消尚未开始的培训");
  return db.$transaction(async (tx) => {
    const { count } = await tx.trainingSession.updateMany({
      where: { id: sessionId, status: "SCHEDULED" },
      data: { status: "CANCELLED", cancelledAt: new Date() },
    });
    if (!count) throw new AppError(ErrorCode.INVALID_STATE, "只能取消尚未开始的培训");
    // Frees the lecturers' time for consultations and other lectures.
    await tx.specialistBusyTime.deleteMany({ where: { source: "TRAINING", sourceId: sessionId } });
    await audit(tx, {
      action: "training.cancel",
      entityType: "TrainingSession",
      entityId: sessionId,
      outcome: "SUCCESS",
      detail: { reason },
    });
    return tx.trainingSession.findUniqueOrThrow({ where: { id: sessionId }, include: sessionInclude });
  });
}
