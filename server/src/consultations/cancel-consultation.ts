import { AppError, ErrorCode } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { isRequester, loadConsultation } from "./access";
import { assertStatus, transition } from "./state-machine";
import { consultationEvent, publish, staffOf } from "./notify";
import { releaseBusyTime } from "../scheduling/busy";
import { detailFor } from "./minimum-necessary";

/** The requesting doctor withdraws the request; a booked time is released in the same transaction. */
export async function cancelConsultation(deps: ConsultationDeps, user: AuthUser, id: string, reason: string) {
  const { db } = deps;
  const c = await loadConsultation(db, user, id, "consultation.cancel");
  if (!isRequester(user, c)) throw new AppError(ErrorCode.FORBIDDEN, "只有申请医生可以取消会诊申请");
  assertStatus(c.status, ["DRAFT", "SUBMITTED", "RETURNED", "ACCEPTED", "SCHEDULED"], "取消");
  const booking = await db.booking.findFirst({ where: { consultationId: id, status: "ACTIVE" } });
  await db.$transaction(async (tx) => {
    await transition(tx, {
      consultation: c,
      to: "CANCELLED",
      actorId: user.id,
      action: "取消",
      reason,
      data: { statusReason: reason },
    });
    if (booking) {
      await tx.booking.update({
        where: { id: booking.id },
        data: { status: "CANCELLED", endedAt: new Date(), endReason: reason },
      });
      await releaseBusyTime(tx, "CONSULTATION", booking.id);
    }
    await audit(tx, {
      action: "consultation.cancel",
      entityType: "Consultation",
      entityId: id,
      outcome: "SUCCESS",
      detail: { reason },
    });
  });
  if (booking) await deps.queues.cancelReminders(booking.id);
  const fresh = await loadConsultation(db, user, id, "consultation.read");
  if (c.status !== "DRAFT") {
    const coordinators = await staffOf(db, fresh.targetInstitutionId, ["COORDINATOR"]);
    publish(deps.sink(), [
      consultationEvent(
        "consultation:cancelled",
        fresh,
        [...fresh.participants.map((p) => p.userId), ...coordinators],
        { actorId: user.id, reason },
      ),
    ]);
  }
  return detailFor(db, fresh, user);
}
