import { AppError, ErrorCode, type FieldIssue } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { isRequester, loadConsultation } from "./access";
import { checkTarget, invalid } from "./references";
import { suggestTargets } from "./routing";
import { slaFor } from "./jobs";
import { assertStatus, transition } from "./state-machine";
import { consultationEvent, publish, staffOf } from "./notify";
import { detailFor } from "./minimum-necessary";

/** DRAFT or RETURNED → SUBMITTED: checks completeness, routes to the best target if none was picked, starts the SLA clock. */
export async function submitConsultation(deps: ConsultationDeps, user: AuthUser, id: string, note?: string) {
  const { db } = deps;
  const c = await loadConsultation(db, user, id, "consultation.submit");
  if (!isRequester(user, c)) throw new AppError(ErrorCode.FORBIDDEN, "只有申请医生可以提交会诊申请");
  assertStatus(c.status, ["DRAFT", "RETURNED"], "提交");
  const missing: FieldIssue[] = [];
  if (!c.specialtyCode) missing.push({ path: "specialtyCode", message: "请选择申请的专科" });
  if (!c.chiefComplaint) missing.push({ path: "chiefComplaint", message: "请填写主诉" });
  if (!c.question) missing.push({ path: "question", message: "请填写会诊目的" });
  if (missing.length) throw invalid(missing);

  let target = await checkTarget(db, c.requestingInstitutionId, {
    specialtyCode: c.specialtyCode,
    targetInstitutionId: c.targetInstitutionId,
    targetDepartmentId: c.targetDepartmentId,
    targetSpecialistId: c.targetSpecialistId,
  });
  if (!target.link) {
    const best = (await suggestTargets(db, c.requestingInstitutionId, c.specialtyCode!, 1))[0];
    if (!best)
      throw invalid([{ path: "targetInstitutionId", message: "本机构的上级医疗网络中没有可受理该专科的机构" }]);
    target = await checkTarget(db, c.requestingInstitutionId, {
      specialtyCode: c.specialtyCode,
      targetInstitutionId: best.institution.id,
      targetDepartmentId: best.departmentId,
    });
  }
  const sla = await slaFor(db, target.link!.consortiumId, c.urgency);
  const submittedAt = new Date();
  const slaDueAt = new Date(submittedAt.getTime() + sla.acceptWithinS * 1000);
  await db.$transaction(async (tx) => {
    await transition(tx, {
      consultation: c,
      to: "SUBMITTED",
      actorId: user.id,
      action: "提交",
      reason: note ?? null,
      at: submittedAt,
      data: {
        targetInstitutionId: target.fields.targetInstitutionId,
        targetDepartmentId: target.fields.targetDepartmentId ?? null,
        targetSpecialistId: target.fields.targetSpecialistId ?? null,
        routedConsortiumId: target.link!.consortiumId,
        slaDueAt,
        slaLevel: 0,
        overdue: false,
        statusReason: null,
      },
    });
    await audit(tx, {
      action: "consultation.submit",
      entityType: "Consultation",
      entityId: id,
      outcome: "SUCCESS",
      detail: { targetInstitutionId: target.fields.targetInstitutionId ?? null },
    });
  });
  const fresh = await loadConsultation(db, user, id, "consultation.read");
  const coordinators = await staffOf(db, fresh.targetInstitutionId, ["COORDINATOR"]);
  // The receiving side gets `queued` (a new item in its triage queue); the requester gets `submitted` on all of
  // their devices (lists and the detail page update wherever they are open).
  publish(deps.sink(), [
    consultationEvent(
      "consultation:queued",
      fresh,
      [...coordinators, ...(fresh.targetSpecialistId ? [fresh.targetSpecialistId] : [])],
      { actorId: user.id },
    ),
    consultationEvent("consultation:submitted", fresh, [fresh.requestingDoctorId], { actorId: user.id }),
  ]);
  await deps.queues.scheduleSla(id, submittedAt, sla);
  return detailFor(db, fresh, user);
}
