// QIDO-RS search of the doctor's own institution's PACS, through the server: the doctor never gets the PACS's
// address or credentials, and can only reach the PACS their institution registered.
import type { z } from "zod";
import { AppError, ErrorCode, type PacsStudySearch } from "@yilian/contract";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { requireRole } from "../authz/policy";
import { audit } from "../audit/audit";
import { pacsError, pacsGet, pacsTarget, studyFromQido } from "./dicomweb-client";
import type { PacsAddressPolicy } from "./address";

/** "2026-11-18..2026-11-21" → "20261118-20261121" (DICOM range matching). */
const dicomDateQuery = (d: string) => d.replace(/-/g, "").replace("..", "-");

export async function searchStudies(
  deps: { db: Db; keyB64: string; policy: PacsAddressPolicy },
  user: AuthUser,
  q: z.output<typeof PacsStudySearch>,
) {
  requireRole(user, "DOCTOR");
  const row = await deps.db.pacsConnection.findUnique({ where: { institutionId: user.institutionId } });
  if (!row) throw new AppError(ErrorCode.PACS_NOT_REGISTERED);
  const params = new URLSearchParams({ limit: String(q.limit), fuzzymatching: "true" });
  for (const tag of ["00081030", "00080050", "00201206", "00201208", "00100020", "00080061"])
    params.append("includefield", tag);
  if (q.patientId) params.set("PatientID", q.patientId);
  // Names match on any component; "*" wildcards are DICOM's own.
  if (q.patientName) params.set("PatientName", `*${q.patientName.replace(/[*?\\]/g, "")}*`);
  if (q.studyDate) params.set("StudyDate", dicomDateQuery(q.studyDate));
  if (q.modality) params.set("ModalitiesInStudy", q.modality);
  const res = await pacsGet(pacsTarget(row, deps.keyB64, deps.policy), `/studies?${params}`, "application/dicom+json");
  if (res.status === 204) return { items: [] };
  if (!res.ok) throw pacsError(`PACS 查询失败（HTTP ${res.status}）`, { pacsStatus: res.status });
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw pacsError("PACS 返回的查询结果格式不正确");
  }
  if (!Array.isArray(body)) throw pacsError("PACS 返回的查询结果格式不正确");
  const items = body
    .map((ds) => studyFromQido(ds as Parameters<typeof studyFromQido>[0]))
    .filter((s) => s.studyInstanceUid);
  await audit(deps.db, {
    action: "pacs.search",
    entityType: "PacsConnection",
    entityId: row.id,
    outcome: "SUCCESS",
    detail: { count: items.length },
  });
  return { items };
}
