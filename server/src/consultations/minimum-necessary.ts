// Minimum necessary (issue 12 item 8): administrators manage and count. Unless they also work on a consultation
// (its requester or a participant), they get it de-identified wherever it leaves the server — detail, lists, the
// PDF report and the FHIR bundle — with the same masks everywhere. Reads stay audited as before.
import type { ConsultationDetail } from "@yilian/contract";
import { hasRole, type AuthUser } from "../authz/principal";
import type { Db } from "../db";
import { neutralName } from "../uploads/uploads";
import type { ConsultationRecord } from "./access";
import { consultationDetail } from "./view";

/** Whether the caller sees the patient's identity: everyone allowed to read it except administrators who do not work on it. */
export function seesPatientIdentity(
  user: AuthUser,
  c: { requestingDoctorId: string; participants: { userId: string }[] },
): boolean {
  if (!hasRole(user, "INSTITUTION_ADMIN", "REGION_ADMIN", "PROVINCE_ADMIN")) return true;
  return c.requestingDoctorId === user.id || c.participants.some((p) => p.userId === user.id);
}

/** 张三 → 张*, 欧阳娜娜 → 欧***: the family name stays (counting by it is pointless), the rest is starred. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  return chars.length ? `${chars[0]}${"*".repeat(Math.max(1, chars.length - 1))}` : "*";
}

/** Attachments named as the file list names them outside the requesting institution ("影像-1.dcm"). */
async function withNeutralFileNames(db: Pick<Db, "upload">, d: ConsultationDetail): Promise<ConsultationDetail> {
  if (!d.attachments.length) return d;
  const order = await db.upload.findMany({
    where: { consultationId: d.id },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true },
  });
  const position = new Map(order.map((u, i) => [u.id, i + 1]));
  return {
    ...d,
    attachments: d.attachments.map((a) => ({ ...a, originalName: neutralName(a.kind, position.get(a.uploadId) ?? 0) })),
  };
}

/** The detail as an administrator outside the consultation sees it: masked name, ID number all stars, no record number, neutral file names. */
async function deidentifiedDetail(db: Pick<Db, "upload">, d: ConsultationDetail): Promise<ConsultationDetail> {
  const idNumberMasked = d.patient.idNumberMasked ? "*".repeat(d.patient.idNumberMasked.length) : null;
  return withNeutralFileNames(db, {
    ...d,
    patient: { ...d.patient, name: maskName(d.patient.name), idNumberMasked, recordNumber: null },
  });
}

/**
 * The detail as `user` may see it, for every answer that carries one: de-identified for administrators who do not
 * work on it; neutral file names outside the requesting institution (as in the file list).
 */
export async function detailFor(db: Db, c: ConsultationRecord, user: AuthUser): Promise<ConsultationDetail> {
  const detail = await consultationDetail(db, c);
  if (!seesPatientIdentity(user, c)) return deidentifiedDetail(db, detail);
  return user.institutionId === c.requestingInstitutionId ? detail : withNeutralFileNames(db, detail);
}
