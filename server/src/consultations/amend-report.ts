import { AppError, ErrorCode, type ReportInput } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { isAssignedSpecialist, loadConsultation } from "./access";
import { assertStatus } from "./state-machine";
import { consultationEvent, publish } from "./notify";
import { detailFor } from "./minimum-necessary";

const FIELDS = ["findings", "impression", "recommendations", "referralAdvice", "followUp"] as const;

/** A change to a signed report: kept as an amendment with its reason and both versions. */
export async function amendReport(
  deps: ConsultationDeps,
  user: AuthUser,
  id: string,
  input: ReportInput & { reason: string },
) {
  const { db } = deps;
  const c = await loadConsultation(db, user, id, "report.amend");
  if (!isAssignedSpecialist(user, c)) throw new AppError(ErrorCode.FORBIDDEN, "只有指派的会诊专家可以更正报告");
  assertStatus(c.status, ["REPORTED", "CLOSED"], "更正报告");
  const { reason, ...changes } = input;
  if (!FIELDS.some((f) => changes[f] !== undefined)) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, "请至少修改一项报告内容", {
      issues: [{ path: "body", message: "请至少修改一项报告内容" }],
    });
  }
  await db.$transaction(async (tx) => {
    // Row lock: two amendments at once are applied one after the other, each seeing the other's result.
    const [r] = await tx.$queryRaw<
      { id: string }[]
    >`SELECT id FROM "ConsultationReport" WHERE "consultationId" = ${id}::uuid AND status = 'SIGNED' FOR UPDATE`;
    if (!r) throw new AppError(ErrorCode.INVALID_STATE, "报告尚未签发");
    const report = await tx.consultationReport.findUniqueOrThrow({ where: { id: r.id } });
    const previous = Object.fromEntries(FIELDS.map((f) => [f, report[f]]));
    const current = {
      ...previous,
      ...Object.fromEntries(FIELDS.filter((f) => changes[f] !== undefined).map((f) => [f, changes[f]])),
    };
    await tx.reportAmendment.create({ data: { reportId: r.id, authorId: user.id, reason, previous, current } });
    await tx.consultationReport.update({ where: { id: r.id }, data: current });
    await audit(tx, {
      action: "report.amend",
      entityType: "Consultation",
      entityId: id,
      outcome: "SUCCESS",
      detail: { reason },
    });
  });
  const fresh = await loadConsultation(db, user, id, "consultation.read");
  publish(deps.sink(), [
    consultationEvent(
      "consultation:report-amended",
      fresh,
      fresh.participants.map((p) => p.userId),
      { actorId: user.id, reason },
    ),
  ]);
  return detailFor(db, fresh, user);
}
