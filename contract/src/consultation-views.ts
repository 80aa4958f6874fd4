// What the consultation, scheduling and referral endpoints answer: one zod schema per response, used by the server
// (its handlers are typed against them; tests check every answer), the client SDK (its return types) and
// /openapi.json (the documented success responses).
import { z } from "zod";
import { Id, listOf, pageOf } from "./common";
import { Tier } from "./enums";
import {
  ConsultationKind,
  ConsultationStatus,
  DecisionOutcome,
  PresenceState,
  ReferralAdvice,
  ReferralDirection,
  ReferralStatus,
  Sex,
  Slot,
  Urgency,
} from "./consultations";

/** ISO 8601 instant in UTC, e.g. 2026-12-04T06:54:00.000Z. */
export const Instant = z.iso.datetime({ offset: true }).describe("ISO 8601 instant (UTC)");
const IsoDay = z.iso.date().describe("YYYY-MM-DD");
const Named = z.object({ id: Id, name: z.string() });
const InstitutionRef = z.object({ id: Id, name: z.string(), tier: Tier });

export const ParticipantRole = z.enum(["REQUESTER", "SPECIALIST", "COORDINATOR"]);
export type ParticipantRole = z.infer<typeof ParticipantRole>;

export const ReportView = z.object({
  status: z.enum(["DRAFT", "SIGNED"]),
  findings: z.string(),
  impression: z.string(),
  recommendations: z.string(),
  referralAdvice: ReferralAdvice,
  followUp: z.string(),
  signedBy: Named.nullable(),
  signedAt: Instant.nullable(),
  amendments: z.array(
    z.object({
      id: Id,
      authorId: Id,
      reason: z.string(),
      at: Instant,
      previous: z.unknown().describe("the report fields before"),
      current: z.unknown().describe("the report fields after"),
    }),
  ),
});
export type ReportView = z.infer<typeof ReportView>;

export const BookingView = z.object({
  id: Id,
  startsAt: Instant,
  endsAt: Instant,
  /** Asia/Shanghai wall-clock of the start, for display. */
  local: z.string().describe("Asia/Shanghai wall-clock of the start, YYYY-MM-DD HH:mm"),
  specialistIds: z.array(Id),
});

/** One consultation with its patient data (every read is audited). The ID number only ever leaves masked. */
export const ConsultationDetail = z.object({
  id: Id,
  number: z.string().describe("human-readable number, e.g. HZ20261204-0007"),
  status: ConsultationStatus,
  urgency: Urgency,
  kind: ConsultationKind,
  /** Optimistic concurrency: send it back with PATCH to refuse edits made on a stale copy. */
  version: z.number().int(),
  patient: z.object({
    name: z.string(),
    sex: Sex,
    birthDate: IsoDay,
    /** 220702********1234: the full number only through POST /reveal-id (audited). */
    idNumberMasked: z.string().nullable(),
    recordNumber: z.string().nullable(),
  }),
  chiefComplaint: z.string(),
  history: z.string(),
  examinations: z.string(),
  preliminaryDiagnosis: z.string(),
  question: z.string(),
  specialtyCode: z.string().nullable(),
  requestingInstitution: InstitutionRef.nullable(),
  requestingDoctor: Named,
  targetInstitution: InstitutionRef.nullable(),
  targetDepartmentId: Id.nullable(),
  targetSpecialistId: Id.nullable(),
  participants: z.array(z.object({ userId: Id, role: ParticipantRole, name: z.string() })),
  /** Every READY upload of the consultation, oldest first (the uploads are the one source of truth). */
  attachments: z.array(z.object({ uploadId: Id, originalName: z.string(), kind: z.string(), addedAt: Instant })),
  /** The ACTIVE booking, if any. */
  booking: BookingView.nullable(),
  report: ReportView.nullable(),
  decision: z.object({ outcome: DecisionOutcome, decision: z.string(), decidedById: Id, at: Instant }).nullable(),
  /** Reason of the last return, rejection, cancellation or expiry. */
  statusReason: z.string().nullable(),
  /** RETURNED only: when the request expires unless resubmitted (RETURNED_EXPIRES_AFTER_MS after the return). */
  returnExpiresAt: Instant.nullable(),
  slaDueAt: Instant.nullable(),
  overdue: z.boolean(),
  submittedAt: Instant.nullable(),
  acceptedAt: Instant.nullable(),
  scheduledStart: Instant.nullable(),
  scheduledEnd: Instant.nullable(),
  scheduledStartLocal: z.string().nullable(),
  startedAt: Instant.nullable(),
  reportedAt: Instant.nullable(),
  closedAt: Instant.nullable(),
  createdAt: Instant,
  timeline: z.array(
    z.object({
      from: ConsultationStatus.nullable(),
      to: ConsultationStatus,
      actorId: Id.nullable(),
      actorName: z.string().nullable(),
      reason: z.string().nullable(),
      at: Instant,
    }),
  ),
});
export type ConsultationDetail = z.infer<typeof ConsultationDetail>;

/** A list or triage-queue row: enough to triage, the patient by name only. */
export const ConsultationRow = z.object({
  id: Id,
  number: z.string(),
  status: ConsultationStatus,
  urgency: Urgency,
  kind: ConsultationKind,
  specialtyCode: z.string().nullable(),
  patientName: z.string(),
  requestingInstitutionId: Id,
  targetInstitutionId: Id.nullable(),
  submittedAt: Instant.nullable(),
  createdAt: Instant,
  slaDueAt: Instant.nullable(),
  overdue: z.boolean(),
  scheduledStart: Instant.nullable(),
});
export type ConsultationRow = z.infer<typeof ConsultationRow>;

export const ConsultationPage = pageOf(ConsultationRow);

/** Through which consortium link a target is reachable, nearest first (分级诊疗). */
export const TargetLink = z.enum([
  "COUNTY_MEDICAL_COMMUNITY",
  "CITY_MEDICAL_GROUP",
  "EXTERNAL_GUIDANCE",
  "GOV_HOSPITAL_COOPERATION",
  "SPECIALTY_ALLIANCE",
  "TELEMEDICINE_NETWORK",
]);
export type TargetLink = z.infer<typeof TargetLink>;
export const targetLinkLabel: Record<TargetLink, string> = {
  COUNTY_MEDICAL_COMMUNITY: "县域医共体牵头医院",
  CITY_MEDICAL_GROUP: "城市医疗集团总院",
  EXTERNAL_GUIDANCE: "外部协作指导医院",
  GOV_HOSPITAL_COOPERATION: "府院合作医院",
  SPECIALTY_ALLIANCE: "专科联盟牵头医院",
  TELEMEDICINE_NETWORK: "远程医疗协作网",
};

export const TargetSuggestion = z.object({
  institution: InstitutionRef,
  link: TargetLink,
  linkLabel: z.string(),
  consortiumId: Id.nullable(),
  /** The institution has a department of the requested specialty. */
  specialtyMatch: z.boolean(),
  departmentId: Id.nullable(),
  /** Soonest free, unreserved slot within 14 days. */
  nextSlot: Instant.nullable(),
  /** Open consultations addressed to it now. */
  openLoad: z.number().int(),
});
export type TargetSuggestion = z.infer<typeof TargetSuggestion>;

export const SpecialistPresence = z.object({
  userId: Id,
  name: z.string(),
  department: z.string().nullable(),
  specialtyCode: z.string().nullable(),
  state: PresenceState,
});
export type SpecialistPresence = z.infer<typeof SpecialistPresence>;

export const RevealedIdNumber = z.object({ idNumber: z.string().nullable() });

// ------------------------------------------------------------------------------------------- scheduling

export const SlotList = listOf(Slot);

export const AvailabilityRuleView = z.object({
  id: Id,
  weekday: z.number().int().describe("ISO weekday, 1 = Monday … 7 = Sunday"),
  start: z.string().describe("HH:MM, Asia/Shanghai"),
  end: z.string().describe("HH:MM, Asia/Shanghai"),
  slotMinutes: z.number().int(),
  validFrom: IsoDay,
  validUntil: IsoDay.nullable(),
  label: z.string().nullable(),
});
export type AvailabilityRuleView = z.infer<typeof AvailabilityRuleView>;
export const AvailabilityWindowView = z.object({
  id: Id,
  kind: z.enum(["OPEN", "EXCEPTION"]),
  startsAt: Instant,
  endsAt: Instant,
  slotMinutes: z.number().int().nullable(),
  reason: z.string().nullable(),
});
export type AvailabilityWindowView = z.infer<typeof AvailabilityWindowView>;
export const AvailabilityView = z.object({
  rules: z.array(AvailabilityRuleView),
  windows: z.array(AvailabilityWindowView),
});
export type AvailabilityView = z.infer<typeof AvailabilityView>;
export const WeekendExpertDaysView = listOf(AvailabilityRuleView.extend({ specialistId: Id }));

export const SlaTimesView = z.object({
  acceptWithinS: z.number().int(),
  notifyCoordinatorAtS: z.number().int(),
  notifyAdminAtS: z.number().int(),
});
export const SlaPolicyView = SlaTimesView.extend({
  id: Id,
  consortiumId: Id.nullable(),
  urgency: Urgency,
  updatedAt: Instant,
});
export const SlaPoliciesView = z.object({
  defaults: z.record(Urgency, SlaTimesView),
  policies: z.array(SlaPolicyView),
});
export const SchedulingPolicyView = z.object({ institutionId: Id, reservedReferralShare: z.number() });

// ------------------------------------------------------------------------------------------- referral

export const ReferralView = z.object({
  id: Id,
  number: z.string(),
  direction: ReferralDirection,
  status: ReferralStatus,
  consultationId: Id.nullable(),
  fromInstitutionId: Id,
  toInstitutionId: Id,
  toDepartmentId: Id.nullable(),
  patient: z.object({ name: z.string(), sex: Sex, birthDate: IsoDay, idNumberMasked: z.string().nullable() }),
  reason: z.string(),
  clinicalSummary: z.string(),
  declineReason: z.string().nullable(),
  requestedAt: Instant,
  acceptedAt: Instant.nullable(),
  arrivedAt: Instant.nullable(),
  declinedAt: Instant.nullable(),
});
export type ReferralView = z.infer<typeof ReferralView>;
export const ReferralPage = pageOf(ReferralView);
export const ReferralBookingView = z.object({
  id: Id,
  startsAt: Instant,
  endsAt: Instant,
  local: z.string(),
  reservedSlot: z.boolean(),
  specialistId: Id,
});
export type ReferralBookingView = z.infer<typeof ReferralBookingView>;
