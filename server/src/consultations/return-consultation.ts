import { AppError, ErrorCode } from "@yilian/contract";
import { hasRole, type AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { isTargetCoordinator, loadConsultation } from "./access";
import { assertStatus, transition } from "./state-machine";
import { consultationEvent, publish } from "./notify";
import { detailFor } from "./minimum-necessary";

/**
 * SUBMITTED → RETURNED (more information needed) or → REJECTED, always with a reason for the requester. A returned
 * request expires after RETURNED_EXPIRES_AFTER_MS unless resubmitted, with a reminder before.
 */
export async function answerWithReason(
  deps: ConsultationDeps,
  user: AuthUser,
  id: string,
  to: "RETURNED" | "REJECTED",
  reason: string,
) {
  const { db } = deps;
  const action = to === "RETURNED" ? "退回" : "拒绝";
  const c = await loadConsultation(db, user, id, `consultation.${to === "RETURNED" ? "return" : "reject"}`);
  if (!isTargetCoordinator(user, c) && !(hasRole(user, "SPECIALIST") && c.targetSpecialistId === user.id)) {
    throw new AppError(ErrorCode.FORBIDDEN, `只有受邀机构的协调员或被指定的专家可以${action}`);
  }
  assertStatus(c.status, ["SUBMITTED"], action);
  const at = await db.$transaction(async (tx) => {
    const moved = await transition(tx, {
      consultation: c,
      to,
      actorId: user.id,
      action,
      reason,
      data: { statusReason: reason },
    });
    await audit(tx, {
      action: `consultation.${to === "RETURNED" ? "return" : "reject"}`,
      entityType: "Consultation",
      entityId: id,
      outcome: "SUCCESS",
      detail: { reason },
    });
    return moved.at;
  });
  const fresh = await loadConsultation(db, user, id, "consultation.read");
  publish(deps.sink(), [
    consultationEvent(
      to === "RETURNED" ? "consultation:returned" : "consultation:rejected",
      fresh,
      [fresh.requestingDoctorId],
      { actorId: user.id, reason },
    ),
  ]);
  // A returned request does not wait forever: the requester is reminded, then it expires (RETURNED_EXPIRES_AFTER_MS).
  if (to === "RETURNED") await deps.queues.scheduleReturnExpiry(id, at);
  return detailFor(db, fresh, user);
}

export const returnConsultation = (deps: ConsultationDeps, user: AuthUser, id: string, reason: string) =>
  answerWithReason(deps, user, id, "RETURNED", reason);
export const rejectConsultation = (deps: ConsultationDeps, user: AuthUser, id: string, reason: string) =>
  answerWithReason(deps, user, id, "REJECTED", reason);
