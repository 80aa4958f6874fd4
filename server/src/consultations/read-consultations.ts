import { hasRole, type AuthUser } from "../authz/principal";
import type { Prisma } from "@prisma/client";
import { AppError, ErrorCode } from "@yilian/contract";
import { audit } from "../audit/audit";
import type { Db } from "../db";
import { loadConsultation, readableConsultations, type ConsultationRecord } from "./access";
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
    status?: Prisma.ConsultationWhereInput["status"];
    limit: number;
    offset: number;
  },
) {
  const scope = await readableConsultations(db, user);
  const box: Prisma.ConsultationWhereInput =
    q.box === "requested"
      ? { requestingDoctorId: user.id }
      : q.box === "assigned"
        ? { participants: { some: { userId: user.id, role: "SPECIALIST" } } }
        : q.box === "institution"
          ? { OR: [{ requestingInstitutionId: user.institutionId }, { targetInstitutionId: user.institutionId }] }
          : {};
  const where: Prisma.ConsultationWhereInput = { AND: [scope, box, ...(q.status ? [{ status: q.status }] : [])] };
  const [rows, total] = await Promise.all([
    db.consultation.findMany({
      where,
      orderBy: { createdAt: "desc" },
      take: q.limit,
      skip: q.offset,
      include: { participants: { select: { userId: true } } },
    }),
    db.consultation.count({ where }),
  ]);
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
