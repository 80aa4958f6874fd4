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
  canUpload: boolean;
  /** False when the caller works outside the requesting institution: identifying data must be removed. */
  insideRequestingInstitution: boolean;
}

/** Consultations in these states no longer accept new files. */
const CLOSED_STATES = new Set(["CLOSED", "CANCELLED", "REJECTED", "EXPIRED"]);

export async function consultationAccess(db: Db, user: AuthUser, consultationId: string, action = "upload.access"): Promise<ConsultationAccess> {
  const c = await loadConsultation(db, user, consultationId, action);
  const worksOnIt =
    c.requestingDoctorId === user.id ||
    c.participants.some((p) => p.userId === user.id) ||
    (hasRole(user, "COORDINATOR") && (user.institutionId === c.targetInstitutionId || user.institutionId === c.requestingInstitutionId));
  return {
    consultation: { id: c.id, status: c.status, requestingInstitutionId: c.requestingInstitutionId, targetInstitutionId: c.targetInstitutionId },
    canUpload: worksOnIt && !CLOSED_STATES.has(c.status),
    insideRequestingInstitution: user.institutionId === c.requestingInstitutionId,
  };
}
