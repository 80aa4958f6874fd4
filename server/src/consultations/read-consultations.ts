import { hasRole, type AuthUser } from "../authz/principal";
import { AppError, ErrorCode, type ConsultationStatus } from "@yilian/contract";
import { audit } from "../audit/audit";
import { sqlOf, type Db } from "../db";
import { loadConsultation, READER, readableSql, readerParams, type ConsultationRecord } from "./access";
import { consultationRow } from "./view";
import { decryptPatientId } from "./patient-data";
import { detailFor, maskName, seesPatientIdentity } from "./minimum-necessary";

/** One consultation with its patient data: every call is audited. */
export async function getConsultation(db: Db, user: AuthUser, id: string) {
  const c = await loadConsultation(db, user, id, "consultation.read");
  const identified = seesPatientIdentity(user, c);
  await audit(db, {
    action: "consultation.read",
    entityType: "Consultation",
    entityId: id,
    outcome: "SUCCESS",
    ...(identified ? {} : { detail: { deidentified: true } }),
  });
  return detailFor(db, c, user);
}

/** The full ID number, for the people treating the patient only; audited as a separate, explicit read. */
export async function revealIdNumber(db: Db, user: AuthUser, id: string, key: string) {
  const c = await loadConsultation(db, user, id, "consultation.reveal-id");
  return { idNumber: await revealedIdNumber(db, user, c, key, "detail") };
}

/**
 * The one way to the clear ID number, wherever it is shown (detail, FHIR export): the requesting doctor and the
 * assigned specialists only (403 for everyone else), one `consultation.reveal-id` audit row per reveal.
 */
export async function revealedIdNumber(
  db: Db,
  user: AuthUser,
  c: ConsultationRecord,
  key: string,
  via: "detail" | "fhir",
): Promise<string | null> {
  const treating =
    c.requestingDoctorId === user.id || c.participants.some((p) => p.userId === user.id && p.role === "SPECIALIST");
  if (!treating) {
    await audit(db, {
      action: "consultation.reveal-id",
      entityType: "Consultation",
      entityId: c.id,
      outcome: "DENIED",
      detail: { via },
    });
    throw new AppError(ErrorCode.FORBIDDEN, "只有申请医生和会诊专家可以查看完整身份证号");
  }
  await audit(db, {
    action: "consultation.reveal-id",
    entityType: "Consultation",
    entityId: c.id,
    outcome: "SUCCESS",
    detail: { via },
  });
  return c.patientIdNumberEnc ? decryptPatientId(c.patientIdNumberEnc, key) : null;
}

export async function listConsultations(
  db: Db,
  user: AuthUser,
  q: {
    box: "mine" | "requested" | "assigned" | "institution";
    status?: ConsultationStatus;
    limit: number;
    offset: number;
  },
) {
  // The page's ids and the total in one statement under the scope (access.ts readableSql), then the records.
  const box =
    q.box === "requested"
      ? `c."requestingDoctorId" = me.id`
      : q.box === "assigned"
        ? `EXISTS (SELECT 1 FROM "ConsultationParticipant" b WHERE b."consultationId" = c.id AND b."userId" = me.id AND b.role = 'SPECIALIST')`
        : q.box === "institution"
          ? `me."institutionId" IN (c."requestingInstitutionId", c."targetInstitutionId")`
          : "TRUE";
  const { rows: page } = await sqlOf(db).query<{ total: number; ids: string[] | null }>(
    `WITH s AS (SELECT c.id, c."createdAt" FROM "Consultation" c, ${READER}
                 WHERE (${readableSql(user)}) AND ${box} AND ($4::text IS NULL OR c.status::text = $4))
     SELECT (SELECT count(*)::int FROM s) AS total,
            (SELECT array_agg(id::text ORDER BY "createdAt" DESC, id DESC)
               FROM (SELECT id, "createdAt" FROM s ORDER BY "createdAt" DESC, id DESC LIMIT $5 OFFSET $6) p) AS ids`,
    [...readerParams(user), q.status ?? null, q.limit, q.offset],
  );
  const ids = page[0]!.ids ?? [];
  const total = page[0]!.total;
  const byId = new Map(
    (
      await db.consultation.findMany({
        where: { id: { in: ids } },
        include: { participants: { select: { userId: true } } },
      })
    ).map((c) => [c.id, c]),
  );
  const rows = ids.flatMap((id) => byId.get(id) ?? []); // a draft deleted in between is simply not listed
  await audit(db, {
    action: "consultation.list",
    entityType: "Consultation",
    outcome: "SUCCESS",
    detail: { ids: rows.map((r) => r.id) },
  });
  const items = rows.map((r) =>
    consultationRow(seesPatientIdentity(user, r) ? r : { ...r, patientName: maskName(r.patientName) }),
  );
  return { items, total, limit: q.limit, offset: q.offset };
}

/** The receiving coordinator's triage queue: SUBMITTED requests for their institution, EMERGENCY first, then oldest. */
export async function triageQueue(db: Db, user: AuthUser, q: { limit: number; offset: number }) {
  if (!hasRole(user, "COORDINATOR")) throw new AppError(ErrorCode.FORBIDDEN, "只有远程医学中心协调员可以查看分诊队列");
  // Urgency order is not alphabetical: sort in SQL by an explicit rank.
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM "Consultation"
    WHERE "targetInstitutionId" = ${user.institutionId}::uuid AND status = 'SUBMITTED'
    ORDER BY CASE urgency WHEN 'EMERGENCY' THEN 0 WHEN 'URGENT' THEN 1 ELSE 2 END, "submittedAt" ASC
    LIMIT ${q.limit} OFFSET ${q.offset}`;
  const total = await db.consultation.count({
    where: { targetInstitutionId: user.institutionId, status: "SUBMITTED" },
  });
  const byId = new Map(
    (await db.consultation.findMany({ where: { id: { in: rows.map((r) => r.id) } } })).map((c) => [c.id, c]),
  );
  await audit(db, {
    action: "consultation.triage-queue",
    entityType: "Consultation",
    outcome: "SUCCESS",
    detail: { ids: rows.map((r) => r.id) },
  });
  return { items: rows.map((r) => consultationRow(byId.get(r.id)!)), total, limit: q.limit, offset: q.offset };
}
