import type { Bundle } from "@medplum/fhirtypes";
import type { AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { Db } from "../db";
import { loadConsultation } from "./access";
import { consultationBundle } from "./fhir";
import { revealedIdNumber } from "./read-consultations";
import { detailFor, seesPatientIdentity } from "./minimum-necessary";

/**
 * FHIR R4 export of one consultation, audited (`consultation.fhir`). The patient's ID number is masked, as in the
 * detail view and the PDF, unless the caller asks to reveal it: then only the treating doctors get it, through the
 * same audited rule as POST /reveal-id.
 */
export async function exportFhir(
  db: Db,
  user: AuthUser,
  id: string,
  opts: { revealIdNumber: boolean; key: string },
): Promise<Bundle> {
  const c = await loadConsultation(db, user, id, "consultation.fhir");
  const idNumber = opts.revealIdNumber ? await revealedIdNumber(db, user, c, opts.key, "fhir") : null;
  // Minimum necessary: administrators manage and count; unless they work on this consultation, no identity. FHIR
  // allows a partial date, so the bundle keeps only the birth year (the detail's contract needs a whole day).
  const deidentified = !seesPatientIdentity(user, c);
  const detail = await detailFor(db, c, user);
  if (deidentified) {
    detail.patient = { ...detail.patient, birthDate: detail.patient.birthDate.slice(0, 4), idNumberMasked: null };
  }
  await audit(db, {
    action: "consultation.fhir",
    entityType: "Consultation",
    entityId: c.id,
    outcome: "SUCCESS",
    detail: { idNumberRevealed: idNumber !== null, deidentified },
  });
  return consultationBundle(detail, { idNumber: deidentified ? null : idNumber });
}
