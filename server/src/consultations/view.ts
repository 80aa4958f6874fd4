// What the API answers for a consultation (contract: ConsultationDetail, ConsultationRow). The ID number only ever
// leaves the server masked.
import {
  RETURNED_EXPIRES_AFTER_MS,
  type ConsultationDetail,
  type ConsultationKind,
  type ConsultationRow,
  type ConsultationStatus,
  type Urgency,
} from "@yilian/contract";
import type { $Enums } from "@prisma/client";
import { sqlOf, type Db } from "../db";
import type { ConsultationRecord } from "./access";
import { formatLocal } from "./time";

const toDate = (v: string) => new Date(v);
const toDateOrNull = (v: string | null) => (v === null ? null : new Date(v));

/**
 * Everything around a consultation that its detail shows, in one plain-SQL round trip (every consultation read
 * and write answers with the detail; seven Prisma queries cost several times this). JSON carries timestamps
 * as strings: they become Dates here.
 */
async function detailParts(db: Db, id: string, userIds: string[], instIds: string[]) {
  const { rows } = await sqlOf(db).query<DetailJson>(
    `SELECT
       (SELECT coalesce(json_agg(json_build_object('id', id, 'displayName', "displayName")), '[]')
          FROM "User" WHERE id = ANY($2::uuid[])) AS users,
       (SELECT coalesce(json_agg(json_build_object('id', id, 'name', name, 'tier', tier)), '[]')
          FROM "Institution" WHERE id = ANY($3::uuid[])) AS institutions,
       (SELECT coalesce(json_agg(json_build_object('fromStatus', "fromStatus", 'toStatus', "toStatus", 'actorId', "actorId",
                'reason', reason, 'at', at) ORDER BY id), '[]')
          FROM "ConsultationTransition" WHERE "consultationId" = $1) AS transitions,
       (SELECT coalesce(json_agg(json_build_object('uploadId', id, 'originalName', "originalName", 'kind', kind,
                 'addedAt', coalesce("processedAt", "createdAt")) ORDER BY "createdAt"), '[]')
          FROM "Upload" WHERE "consultationId" = $1 AND status = 'READY') AS attachments,
       (SELECT json_build_object('id', id, 'startsAt', "startsAt", 'endsAt', "endsAt", 'specialistIds', "specialistIds")
          FROM "Booking" WHERE "consultationId" = $1 AND status = 'ACTIVE' LIMIT 1) AS booking,
       (SELECT json_build_object('status', r.status, 'findings', r.findings, 'impression', r.impression,
                'recommendations', r.recommendations, 'referralAdvice', r."referralAdvice", 'followUp', r."followUp",
                'signedById', r."signedById", 'signedAt', r."signedAt",
                'amendments', (SELECT coalesce(json_agg(json_build_object('id', a.id, 'authorId', a."authorId", 'reason', a.reason,
                                 'at', a.at, 'previous', a.previous, 'current', a.current) ORDER BY a.at), '[]')
                                 FROM "ReportAmendment" a WHERE a."reportId" = r.id))
          FROM "ConsultationReport" r WHERE r."consultationId" = $1) AS report,
       (SELECT json_build_object('outcome', outcome, 'decision', decision, 'decidedById', "decidedById", 'at', at)
          FROM "ConsultationDecision" WHERE "consultationId" = $1) AS decision`,
    [id, userIds, instIds],
  );
  const r = rows[0]!;
  return {
    users: r.users,
    institutions: r.institutions,
    transitions: r.transitions.map((t) => ({ ...t, at: toDate(t.at) })),
    attachments: r.attachments.map((a) => ({ ...a, addedAt: toDate(a.addedAt) })),
    booking: r.booking && { ...r.booking, startsAt: toDate(r.booking.startsAt), endsAt: toDate(r.booking.endsAt) },
    report: r.report && {
      ...r.report,
      signedAt: toDateOrNull(r.report.signedAt),
      amendments: r.report.amendments.map((a) => ({ ...a, at: toDate(a.at) })),
    },
    decision: r.decision && { ...r.decision, at: toDate(r.decision.at) },
  };
}

interface DetailJson {
  users: { id: string; displayName: string }[];
  institutions: { id: string; name: string; tier: $Enums.Tier }[];
  transitions: {
    fromStatus: ConsultationStatus | null;
    toStatus: ConsultationStatus;
    actorId: string | null;
    reason: string | null;
    at: string;
  }[];
  /** Every READY upload of the consultation (the uploads are the one source of truth). */
  attachments: { uploadId: string; originalName: string; kind: string; addedAt: string }[];
  booking: { id: string; startsAt: string; endsAt: string; specialistIds: string[] } | null;
  report: {
    status: $Enums.ReportStatus;
    findings: string;
    impression: string;
    recommendations: string;
    referralAdvice: $Enums.ReferralAdvice;
    followUp: string;
    signedById: string | null;
    signedAt: string | null;
    amendments: { id: string; authorId: string; reason: string; at: string; previous: unknown; current: unknown }[];
  } | null;
  decision: { outcome: $Enums.DecisionOutcome; decision: string; decidedById: string; at: string } | null;
}

export async function consultationDetail(db: Db, c: ConsultationRecord): Promise<ConsultationDetail> {
  const userIds = [
    ...new Set([
      c.requestingDoctorId,
      ...c.participants.map((p) => p.userId),
      ...(c.targetSpecialistId ? [c.targetSpecialistId] : []),
    ]),
  ];
  const instIds = [c.requestingInstitutionId, ...(c.targetInstitutionId ? [c.targetInstitutionId] : [])];
  const { users, institutions, transitions, attachments, booking, report, decision } = await detailParts(
    db,
    c.id,
    userIds,
    instIds,
  );
  const name = new Map(users.map((u) => [u.id, u.displayName]));
  const lastReturn = c.status === "RETURNED" ? transitions.findLast((t) => t.toStatus === "RETURNED") : undefined;
  const inst = new Map(institutions.map((i) => [i.id, i]));
  return {
    id: c.id,
    number: c.number,
    status: c.status,
    urgency: c.urgency,
    kind: c.kind,
    version: c.version,
    patient: {
      name: c.patientName,
      sex: c.patientSex,
      birthDate: c.patientBirthDate.toISOString().slice(0, 10),
      idNumberMasked: c.patientIdNumberMasked,
      recordNumber: c.patientRecordNumber,
    },
    chiefComplaint: c.chiefComplaint,
    history: c.history,
    examinations: c.examinations,
    preliminaryDiagnosis: c.preliminaryDiagnosis,
    question: c.question,
    specialtyCode: c.specialtyCode,
    requestingInstitution: inst.get(c.requestingInstitutionId) ?? null,
    requestingDoctor: { id: c.requestingDoctorId, name: name.get(c.requestingDoctorId) ?? "" },
    targetInstitution: c.targetInstitutionId ? (inst.get(c.targetInstitutionId) ?? null) : null,
    targetDepartmentId: c.targetDepartmentId,
    targetSpecialistId: c.targetSpecialistId,
    participants: c.participants.map((p) => ({ userId: p.userId, role: p.role, name: name.get(p.userId) ?? "" })),
    attachments: attachments.map((a) => ({
      uploadId: a.uploadId,
      originalName: a.originalName,
      kind: a.kind,
      addedAt: a.addedAt.toISOString(),
    })),
    booking: booking
      ? {
          id: booking.id,
          startsAt: booking.startsAt.toISOString(),
          endsAt: booking.endsAt.toISOString(),
          local: formatLocal(booking.startsAt),
          specialistIds: booking.specialistIds,
        }
      : null,
    report: report
      ? {
          status: report.status,
          findings: report.findings,
          impression: report.impression,
          recommendations: report.recommendations,
          referralAdvice: report.referralAdvice,
          followUp: report.followUp,
          signedBy: report.signedById ? { id: report.signedById, name: name.get(report.signedById) ?? "" } : null,
          signedAt: report.signedAt?.toISOString() ?? null,
          amendments: report.amendments.map((a) => ({
            id: a.id,
            authorId: a.authorId,
            reason: a.reason,
            at: a.at.toISOString(),
            previous: a.previous,
            current: a.current,
          })),
        }
      : null,
    decision: decision
      ? {
          outcome: decision.outcome,
          decision: decision.decision,
          decidedById: decision.decidedById,
          at: decision.at.toISOString(),
        }
      : null,
    statusReason: c.statusReason,
    returnExpiresAt: lastReturn ? new Date(lastReturn.at.getTime() + RETURNED_EXPIRES_AFTER_MS).toISOString() : null,
    slaDueAt: c.slaDueAt?.toISOString() ?? null,
    overdue: c.overdue,
    submittedAt: c.submittedAt?.toISOString() ?? null,
    acceptedAt: c.acceptedAt?.toISOString() ?? null,
    scheduledStart: c.scheduledStart?.toISOString() ?? null,
    scheduledEnd: c.scheduledEnd?.toISOString() ?? null,
    scheduledStartLocal: formatLocal(c.scheduledStart),
    startedAt: c.startedAt?.toISOString() ?? null,
    reportedAt: c.reportedAt?.toISOString() ?? null,
    closedAt: c.closedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
    timeline: transitions.map((t) => ({
      from: t.fromStatus,
      to: t.toStatus,
      actorId: t.actorId,
      actorName: t.actorId ? (name.get(t.actorId) ?? null) : null,
      reason: t.reason,
      at: t.at.toISOString(),
    })),
  };
}

/** Queue and list rows: enough to triage, the patient by name only. */
export function consultationRow(c: {
  id: string;
  number: string;
  status: ConsultationStatus;
  urgency: Urgency;
  kind: ConsultationKind;
  specialtyCode: string | null;
  patientName: string;
  requestingInstitutionId: string;
  targetInstitutionId: string | null;
  submittedAt: Date | null;
  createdAt: Date;
  slaDueAt: Date | null;
  overdue: boolean;
  scheduledStart: Date | null;
}): ConsultationRow {
  return {
    id: c.id,
    number: c.number,
    status: c.status,
    urgency: c.urgency,
    kind: c.kind,
    specialtyCode: c.specialtyCode,
    patientName: c.patientName,
    requestingInstitutionId: c.requestingInstitutionId,
    targetInstitutionId: c.targetInstitutionId,
    submittedAt: c.submittedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
    slaDueAt: c.slaDueAt?.toISOString() ?? null,
    overdue: c.overdue,
    scheduledStart: c.scheduledStart?.toISOString() ?? null,
  };
}
