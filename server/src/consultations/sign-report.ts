import { AppError, ErrorCode } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { assignedSpecialists, isAssignedSpecialist, loadConsultation } from "./access";
import { assertStatus, transition } from "./state-machine";
import { consultationEvent, publish } from "./notify";
import { setInConsultation } from "./presence";
import { invalid } from "./references";
import { releaseRestOfBooking } from "../scheduling/release";
import { detailFor } from "./minimum-necessary";

/** Signing locks the report (who, when), moves the consultation to REPORTED and frees the rest of the booked time. */
export async function signReport(deps: ConsultationDeps, user: AuthUser, id: string) {
  const { db } = deps;
  const c = await loadConsultation(db, user, id, "report.sign");
  if (!isAssignedSpecialist(user, c)) throw new AppError(ErrorCode.FORBIDDEN, "只有指派的会诊专家可以签发报告");
  assertStatus(c.status, ["IN_PROGRESS"], "签发报告");
  await db.$transaction(async (tx) => {
    const r = await tx.consultationReport.findUnique({ where: { consultationId: id } });
    if (!r || !r.impression.trim()) throw invalid([{ path: "report.impression", message: "签发前请填写会诊意见" }]);
    const at = new Date();
    const { count } = await tx.consultationReport.updateMany({
      where: { id: r.id, status: "DRAFT" },
      data: { status: "SIGNED", signedById: user.id, signedAt: at },
    });
    if (count !== 1) throw new AppError(ErrorCode.INVALID_STATE, "报告已签发");
    await transition(tx, { consultation: c, to: "REPORTED", actorId: user.id, action: "签发报告", at });
    // Finished early: the rest of the booked slot is free again.
    await releaseRestOfBooking(tx, id, at);
    await audit(tx, { action: "report.sign", entityType: "Consultation", entityId: id, outcome: "SUCCESS" });
  });
  const fresh = await loadConsultation(db, user, id, "consultation.read");
  publish(deps.sink(), [
    consultationEvent(
      "consultation:report-signed",
      fresh,
      fresh.participants.map((p) => p.userId),
      { actorId: user.id },
    ),
  ]);
  const users = await db.user.findMany({
    where: { id: { in: assignedSpecialists(fresh) } },
    select: { id: true, institutionId: true },
  });
  await setInConsultation(deps.redis, deps.config.REDIS_PREFIX, deps.sink(), users, false).catch(() => undefined);
  return detailFor(db, fresh, user);
}
