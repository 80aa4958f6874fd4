import { AppError, ErrorCode, type ConsultationDraftPatch } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { isRequester, loadConsultation } from "./access";
import { checkTarget } from "./references";
import { encryptPatientId, maskIdNumber } from "./patient-data";
import { assertStatus } from "./state-machine";
import { detailFor } from "./minimum-necessary";

/** Edits a draft, or a request returned for more information, before (re)submission. */
export async function updateDraft(deps: ConsultationDeps, user: AuthUser, id: string, patch: ConsultationDraftPatch) {
  const c = await loadConsultation(deps.db, user, id, "consultation.update");
  if (!isRequester(user, c)) throw new AppError(ErrorCode.FORBIDDEN, "只有申请医生可以修改会诊申请");
  assertStatus(c.status, ["DRAFT", "RETURNED"], "修改");
  if (patch.version !== undefined && patch.version !== c.version) {
    throw new AppError(ErrorCode.CONFLICT, "该申请已被修改，请刷新后重试", { details: { currentVersion: c.version } });
  }
  const merged = {
    specialtyCode: patch.specialtyCode !== undefined ? patch.specialtyCode : c.specialtyCode,
    targetInstitutionId: patch.targetInstitutionId !== undefined ? patch.targetInstitutionId : c.targetInstitutionId,
    targetDepartmentId: patch.targetDepartmentId !== undefined ? patch.targetDepartmentId : c.targetDepartmentId,
    targetSpecialistId: patch.targetSpecialistId !== undefined ? patch.targetSpecialistId : c.targetSpecialistId,
  };
  // A new institution clears a department / specialist of the old one unless they were set together.
  if (patch.targetInstitutionId !== undefined && patch.targetDepartmentId === undefined)
    merged.targetDepartmentId = null;
  if (patch.targetInstitutionId !== undefined && patch.targetSpecialistId === undefined)
    merged.targetSpecialistId = null;
  const { fields } = await checkTarget(deps.db, c.requestingInstitutionId, merged);
  const p = patch.patient ?? {};
  await deps.db.$transaction(async (tx) => {
    const { count } = await tx.consultation.updateMany({
      where: { id, version: c.version, status: c.status },
      data: {
        version: { increment: 1 },
        ...(p.name !== undefined ? { patientName: p.name } : {}),
        ...(p.sex !== undefined ? { patientSex: p.sex } : {}),
        ...(p.birthDate !== undefined ? { patientBirthDate: new Date(`${p.birthDate}T00:00:00Z`) } : {}),
        ...(p.idNumber !== undefined
          ? {
              patientIdNumberEnc: encryptPatientId(p.idNumber, deps.config.PATIENT_DATA_KEY),
              patientIdNumberMasked: maskIdNumber(p.idNumber),
            }
          : {}),
        ...(p.recordNumber !== undefined ? { patientRecordNumber: p.recordNumber } : {}),
        ...(patch.urgency !== undefined ? { urgency: patch.urgency } : {}),
        ...(patch.kind !== undefined ? { kind: patch.kind } : {}),
        ...(patch.chiefComplaint !== undefined ? { chiefComplaint: patch.chiefComplaint } : {}),
        ...(patch.history !== undefined ? { history: patch.history } : {}),
        ...(patch.examinations !== undefined ? { examinations: patch.examinations } : {}),
        ...(patch.preliminaryDiagnosis !== undefined ? { preliminaryDiagnosis: patch.preliminaryDiagnosis } : {}),
        ...(patch.question !== undefined ? { question: patch.question } : {}),
        specialtyCode: fields.specialtyCode ?? null,
        targetInstitutionId: fields.targetInstitutionId ?? null,
        targetDepartmentId: fields.targetDepartmentId ?? null,
        targetSpecialistId: fields.targetSpecialistId ?? null,
      },
    });
    if (count !== 1) throw new AppError(ErrorCode.CONFLICT, "该申请已被修改，请刷新后重试");
    await audit(tx, {
      action: "consultation.update",
      entityType: "Consultation",
      entityId: id,
      outcome: "SUCCESS",
      detail: { fields: Object.keys(patch) },
    });
  });
  return detailFor(deps.db, await loadConsultation(deps.db, user, id, "consultation.read"), user);
}
