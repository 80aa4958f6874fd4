// Who may see and add files of a consultation. Reading follows the consultation domain's scope rules (outside
// them the consultation "does not exist"); adding files is for the people working on it: the requesting doctor,
// the participants and the receiving coordinators, while the consultation is still open.
import type { Db } from "../db";
import { hasRole, type AuthUser } from "../authz/principal";
import { loadConsultation } from "../consultations/access";

export interface ConsultationRef {
  id: string;
  status: string;
  requestingInstitutionId: string;
  targetInstitutionId: string | null;
}

export interface ConsultationAccess {
  consultation: ConsultationRef;
  /** The requesting doctor, a participant or a receiving / requesting coordinator. */
  worksOnIt: boolean;
  canUpload: boolean;
  /**
   * Whether the caller sees the patient's identity in files (original DICOM, original file names): people of the
   * requesting institution, except administrators who do not work on the consultation — they manage and count
   * (minimum necessary). Everyone else gets de-identified content and neutral names.
   */
  seesIdentity: boolean;
}

/** Consultations in these states no longer accept new files. */
const CLOSED_STATES = new Set(["CLOSED", "CANCELLED", "REJECTED", "EXPIRED"]);

export async function consultationAccess(
  db: Db,
  user: AuthUser,
  consultationId: string,
  action = "upload.access",
): Promise<ConsultationAccess> {
  const c = await loadConsultation(db, user, consultationId, action);
  const worksOnIt =
    c.requestingDoctorId === user.id ||
    c.participants.some((p) => p.userId === user.id) ||
    (hasRole(user, "COORDINATOR") &&
      (user.institutionId === c.targetInstitutionId || user.institutionId === c.requestingInstitutionId));
  return {
    consultation: {
      id: c.id,
      status: c.status,
      requestingInstitutionId: c.requestingInstitutionId,
      targetInstitutionId: c.targetInstitutionId,
    },
    worksOnIt,
    canUpload: worksOnIt && !CLOSED_STATES.has(c.status),
    seesIdentity:
      user.institutionId === c.requestingInstitutionId &&
      (!hasRole(user, "INSTITUTION_ADMIN", "REGION_ADMIN", "PROVINCE_ADMIN") ||
        c.requestingDoctorId === user.id ||
        c.participants.some((p) => p.userId === user.id)),
  };
}
