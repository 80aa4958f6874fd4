import { AppError, ErrorCode } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { isRequester, loadConsultation } from "./access";
import { assertStatus, transition } from "./state-machine";
import { consultationEvent, publish } from "./notify";
import { releaseRestOfBooking } from "../scheduling/release";
import { detailFor } from "./minimum-necessary";

/** The report is advisory: the requesting doctor records what was decided, which closes the consultation. */
export async function recordDecision(
  deps: ConsultationDeps,
  user: AuthUser,
  id: string,
  input: { outcome: "FOLLOWED" | "PARTIALLY_FOLLOWED" | "NOT_FOLLOWED"; decision: string },
) {
  const { db } = deps;
  const c = await loadConsultation(db, user, id, "consultation.decide");
  if (!isRequester(user, c)) throw new AppError(ErrorCode.FORBIDDEN, "只有申请医生可以记录处置决定");
  assertStatus(c.status, ["REPORTED"], "记录处置决定");
  await db.$transaction(async (tx) => {
    await tx.consultationDecision.create({
      data: { consultationId: id, decidedById: user.id, outcome: input.outcome, decision: input.decision },
    });
    const { at } = await transition(tx, { consultation: c, to: "CLOSED", actorId: user.id, action: "结束会诊" });
    await releaseRestOfBooking(tx, id, at);
    await audit(tx, {
      action: "consultation.decide",
      entityType: "Consultation",
      entityId: id,
      outcome: "SUCCESS",
      detail: { outcome: input.outcome },
    });
  });
  const fresh = await loadConsultation(db, user, id, "consultation.read");
  publish(deps.sink(), [
    consultationEvent(
      "consultation:closed",
      fresh,
      fresh.participants.map((p) => p.userId),
      { actorId: user.id },
    ),
  ]);
  return detailFor(db, fresh, user);
}
