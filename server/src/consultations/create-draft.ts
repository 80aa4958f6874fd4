import { AppError, ErrorCode, type ConsultationDraftInput } from "@yilian/contract";
import { hasRole, type AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { checkTarget } from "./references";
import { encryptPatientId, maskIdNumber } from "./patient-data";
import { nextNumber } from "./number";
import { loadConsultation } from "./access";
import { detailFor } from "./minimum-necessary";

/** A DOCTOR files a request for a patient of their institution; it stays a draft until submitted. */
export async function createDraft(deps: ConsultationDeps, user: AuthUser, input: ConsultationDraftInput) {
  if (!hasRole(user, "DOCTOR")) throw new AppError(ErrorCode.FORBIDDEN, "只有申请医生可以发起会诊申请");
  const { fields } = await checkTarget(deps.db, user.institutionId, input);
  const number = await nextNumber(deps.redis, deps.config.REDIS_PREFIX, "HZ");
  const id = await deps.db.$transaction(async (tx) => {
    const c = await tx.consultation.create({
      data: {
        number,
        urgency: input.urgency,
        kind: input.kind,
        requestingInstitutionId: user.institutionId,
        requestingDoctorId: user.id,
        patientName: input.patient.name,
        patientSex: input.patient.sex,
        patientBirthDate: new Date(`${input.patient.birthDate}T00:00:00Z`),
        patientIdNumberEnc: input.patient.idNumber
          ? encryptPatientId(input.patient.idNumber, deps.config.PATIENT_DATA_KEY)
          : null,
        patientIdNumberMasked: input.patient.idNumber ? maskIdNumber(input.patient.idNumber) : null,
        patientRecordNumber: input.patient.recordNumber ?? null,
        chiefComplaint: input.chiefComplaint,
        history: input.history,
        examinations: input.examinations,
        preliminaryDiagnosis: input.preliminaryDiagnosis,
        question: input.question,
        specialtyCode: fields.specialtyCode ?? null,
        targetInstitutionId: fields.targetInstitutionId ?? null,
        targetDepartmentId: fields.targetDepartmentId ?? null,
        targetSpecialistId: fields.targetSpecialistId ?? null,
        participants: { create: { userId: user.id, role: "REQUESTER" } },
      },
    });
    await tx.consultationTransition.create({
      data: { consultationId: c.id, fromStatus: null, toStatus: "DRAFT", actorId: user.id },
    });
    await audit(tx, {
      action: "consultation.create",
      entityType: "Consultation",
      entityId: c.id,
      outcome: "SUCCESS",
      detail: { number },
    });
    return c.id;
  });
  return detailFor(deps.db, await loadConsultation(deps.db, user, id, "consultation.read"), user);
}
