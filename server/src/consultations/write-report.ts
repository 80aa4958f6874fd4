import { AppError, ErrorCode, type ReportInput } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { isAssignedSpecialist, loadConsultation } from "./access";
import { assertStatus, transition } from "./state-machine";
import { detailFor } from "./minimum-necessary";

const READINGS = ["IMAGING_READING", "ECG_READING", "PATHOLOGY_READING"];

/** Saves the report draft. A reading (imaging / ECG / pathology) needs no meeting: writing it starts the work. */
export async function writeReport(deps: ConsultationDeps, user: AuthUser, id: string, input: ReportInput) {
  const { db } = deps;
  const c = await loadConsultation(db, user, id, "report.write");
  if (!isAssignedSpecialist(user, c)) throw new AppError(ErrorCode.FORBIDDEN, "只有指派的会诊专家可以填写报告");
  const startsNow = READINGS.includes(c.kind) && (c.status === "ACCEPTED" || c.status === "SCHEDULED");
  if (!startsNow) assertStatus(c.status, ["IN_PROGRESS"], "填写报告");
  await db.$transaction(async (tx) => {
    const existing = await tx.consultationReport.findUnique({ where: { consultationId: id } });
    if (existing?.status === "SIGNED")
      throw new AppError(ErrorCode.INVALID_STATE, "报告已签发，修改请提交更正并说明原因");
    if (startsNow) await transition(tx, { consultation: c, to: "IN_PROGRESS", actorId: user.id, action: "开始阅片" });
    await tx.consultationReport.upsert({
      where: { consultationId: id },
      create: { consultationId: id, authorId: user.id, ...input },
      update: input,
    });
    await audit(tx, { action: "report.write", entityType: "Consultation", entityId: id, outcome: "SUCCESS" });
  });
  return detailFor(db, await loadConsultation(db, user, id, "consultation.read"), user);
}
