// What the API answers for a consultation (contract: ConsultationDetail, ConsultationRow). The ID number only ever
// leaves the server masked.
import { RETURNED_EXPIRES_AFTER_MS, type ConsultationDetail, type ConsultationKind, type ConsultationRow, type ConsultationStatus, type Urgency } from "@yilian/contract";
import type { Db } from "../db";
import type { ConsultationRecord } from "./access";
import { formatLocal } from "./time";

export async function consultationDetail(db: Db, c: ConsultationRecord): Promise<ConsultationDetail> {
  const userIds = [...new Set([c.requestingDoctorId, ...c.participants.map((p) => p.userId), ...(c.targetSpecialistId ? [c.targetSpecialistId] : [])])];
  const instIds = [c.requestingInstitutionId, ...(c.targetInstitutionId ? [c.targetInstitutionId] : [])];
  const [users, institutions, transitions, attachments, booking, report, decision] = await Promise.all([
    db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, displayName: true, title: true, institutionId: true } }),
    db.institution.findMany({ where: { id: { in: instIds } }, select: { id: true, name: true, tier: true } }),
    db.consultationTransition.findMany({ where: { consultationId: c.id }, orderBy: { id: "asc" } }),
    db.upload.findMany({ where: { consultationId: c.id, status: "READY" }, orderBy: { createdAt: "asc" }, select: { id: true, originalName: true, kind: true, processedAt: true, createdAt: true } }),
    db.booking.findFirst({ where: { consultationId: c.id, status: "ACTIVE" } }),
    db.consultationReport.findUnique({ where: { consultationId: c.id }, include: { amendments: { orderBy: { at: "asc" } } } }),
    db.consultationDecision.findUnique({ where: { consultationId: c.id } }),
  ]);
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
    attachments: attachments.map((a) => ({ uploadId: a.id, originalName: a.originalName, kind: a.kind, addedAt: (a.processedAt ?? a.createdAt).toISOString() })),
    booking: booking
      ? { id: booking.id, startsAt: booking.startsAt.toISOString(), endsAt: booking.endsAt.toISOString(), local: formatLocal(booking.startsAt), specialistIds: booking.specialistIds }
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
          amendments: report.amendments.map((a) => ({ id: a.id, authorId: a.authorId, reason: a.reason, at: a.at.toISOString(), previous: a.previous, current: a.current })),
        }
      : null,
    decision: decision ? { outcome: decision.outcome, decision: decision.decision, decidedById: decision.decidedById, at: decision.at.toISOString() } : null,
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
    timeline: transitions.map((t) => ({ from: t.fromStatus, to: t.toStatus, actorId: t.actorId, actorName: t.actorId ? (name.get(t.actorId) ?? null) : null, reason: t.reason, at: t.at.toISOString() })),
  };
}

/** Queue and list rows: enough to triage, the patient by name only. */
export function consultationRow(c: {
  id: string; number: string; status: ConsultationStatus; urgency: Urgency; kind: ConsultationKind; specialtyCode: string | null; patientName: string;
  requestingInstitutionId: string; targetInstitutionId: string | null; submittedAt: Date | null; createdAt: Date; slaDueAt: Date | null; overdue: boolean; scheduledStart: Date | null;
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
