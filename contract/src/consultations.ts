// Remote consultations (远程会诊): request, routing, triage, scheduling, report, referral — request schemas,
// event payloads and zh-CN labels shared by the server and the client SDK.
import { z } from "zod";
import { Id, LIMITS, Pagination } from "./common";

export const ConsultationStatus = z.enum([
  "DRAFT",
  "SUBMITTED",
  "RETURNED",
  "ACCEPTED",
  "SCHEDULED",
  "IN_PROGRESS",
  "REPORTED",
  "CLOSED",
  "REJECTED",
  "CANCELLED",
  "EXPIRED",
]);
export type ConsultationStatus = z.infer<typeof ConsultationStatus>;
export const consultationStatusLabel: Record<ConsultationStatus, string> = {
  DRAFT: "草稿",
  SUBMITTED: "已提交",
  RETURNED: "退回补充",
  ACCEPTED: "已受理",
  SCHEDULED: "已排期",
  IN_PROGRESS: "会诊中",
  REPORTED: "已出报告",
  CLOSED: "已结束",
  REJECTED: "已拒绝",
  CANCELLED: "已取消",
  EXPIRED: "已过期",
};

export const Urgency = z.enum(["ROUTINE", "URGENT", "EMERGENCY"]);
export type Urgency = z.infer<typeof Urgency>;
export const urgencyLabel: Record<Urgency, string> = { ROUTINE: "普通", URGENT: "加急", EMERGENCY: "急诊" };

export const ConsultationKind = z.enum([
  "SINGLE_SPECIALIST",
  "MULTIDISCIPLINARY",
  "IMAGING_READING",
  "ECG_READING",
  "PATHOLOGY_READING",
]);
export type ConsultationKind = z.infer<typeof ConsultationKind>;
export const consultationKindLabel: Record<ConsultationKind, string> = {
  SINGLE_SPECIALIST: "单专家会诊",
  MULTIDISCIPLINARY: "多学科会诊",
  IMAGING_READING: "影像会诊",
  ECG_READING: "心电会诊",
  PATHOLOGY_READING: "病理会诊",
};

export const Sex = z.enum(["MALE", "FEMALE", "UNKNOWN"]);
export type Sex = z.infer<typeof Sex>;

export const ReferralAdvice = z.enum(["UP", "DOWN", "NONE"]);
export type ReferralAdvice = z.infer<typeof ReferralAdvice>;
export const ReferralDirection = z.enum(["UP", "DOWN"]);
export type ReferralDirection = z.infer<typeof ReferralDirection>;
export const ReferralStatus = z.enum(["REQUESTED", "ACCEPTED", "ARRIVED", "DECLINED", "CANCELLED"]);
export type ReferralStatus = z.infer<typeof ReferralStatus>;
export const DecisionOutcome = z.enum(["FOLLOWED", "PARTIALLY_FOLLOWED", "NOT_FOLLOWED"]);

const short = (label: string) =>
  z.string().trim().min(1, `${label}不能为空`).max(LIMITS.shortText, `${label}不能超过 ${LIMITS.shortText} 字`);
const medium = (label: string) => z.string().trim().max(LIMITS.mediumText, `${label}不能超过 ${LIMITS.mediumText} 字`);
const long = (label: string) => z.string().trim().max(LIMITS.longText, `${label}不能超过 ${LIMITS.longText} 字`);
const reason = z.string().trim().min(2, "请填写原因").max(LIMITS.mediumText, `原因不能超过 ${LIMITS.mediumText} 字`);

/** Mainland resident ID number: 18 characters, last a digit or X; the check digit is verified. */
export const IdNumber = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^\d{17}[\dX]$/, "身份证号应为 18 位")
  .refine((v) => {
    const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = w.reduce((s, wi, i) => s + wi * Number(v[i]), 0);
    return "10X98765432"[sum % 11] === v[17];
  }, "身份证号校验位不正确")
  .describe(
    "中华人民共和国居民身份证号码（GB 11643）：18 位，前 17 位为数字，末位为校验码（0–9 或 X，小写 x 转为大写）。" +
      "校验码：前 17 位依次乘以权重 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 后求和，和除以 11 的余数 0–10 依次对应 1 0 X 9 8 7 6 5 4 3 2；" +
      "不符时返回 400 VALIDATION_FAILED。保存时加密，接口只返回脱敏形式。",
  );

const isoDate = z.iso.date({ message: "日期格式应为 YYYY-MM-DD" });
const instant = z.iso.datetime({ offset: true, message: "时间应为带时区的 ISO 8601 格式" });

export const PatientInput = z.object({
  name: short("患者姓名"),
  sex: Sex,
  birthDate: isoDate.refine((d) => d <= new Date().toISOString().slice(0, 10) && d >= "1900-01-01", "出生日期不正确"),
  idNumber: IdNumber.optional(),
  recordNumber: z.string().trim().max(64, "病历号不能超过 64 位").optional(),
});

const clinical = {
  chiefComplaint: medium("主诉"),
  history: long("病史"),
  examinations: long("检查"),
  preliminaryDiagnosis: medium("初步诊断"),
  question: medium("会诊目的"),
};

/** A draft: the patient is required, the rest can be filled in later (checked again on submit). */
export const ConsultationDraftInput = z.strictObject({
  patient: PatientInput,
  urgency: Urgency.default("ROUTINE"),
  kind: ConsultationKind.default("SINGLE_SPECIALIST"),
  specialtyCode: z
    .string()
    .trim()
    .regex(/^[A-Z_]{2,40}$/, "专科代码格式不正确")
    .optional(),
  targetInstitutionId: Id.optional(),
  targetDepartmentId: Id.optional(),
  targetSpecialistId: Id.optional(),
  chiefComplaint: clinical.chiefComplaint.default(""),
  history: clinical.history.default(""),
  examinations: clinical.examinations.default(""),
  preliminaryDiagnosis: clinical.preliminaryDiagnosis.default(""),
  question: clinical.question.default(""),
});
export type ConsultationDraftInput = z.infer<typeof ConsultationDraftInput>;

export const ConsultationDraftPatch = z.strictObject({
  patient: PatientInput.partial().optional(),
  urgency: Urgency.optional(),
  kind: ConsultationKind.optional(),
  specialtyCode: z
    .string()
    .trim()
    .regex(/^[A-Z_]{2,40}$/, "专科代码格式不正确")
    .nullable()
    .optional(),
  targetInstitutionId: Id.nullable().optional(),
  targetDepartmentId: Id.nullable().optional(),
  targetSpecialistId: Id.nullable().optional(),
  chiefComplaint: clinical.chiefComplaint.optional(),
  history: clinical.history.optional(),
  examinations: clinical.examinations.optional(),
  preliminaryDiagnosis: clinical.preliminaryDiagnosis.optional(),
  question: clinical.question.optional(),
  /** Optimistic concurrency: the version the editor started from. */
  version: z.number().int().min(0).optional(),
});
export type ConsultationDraftPatch = z.infer<typeof ConsultationDraftPatch>;

export const SubmitInput = z.strictObject({ note: medium("说明").optional() });
export const AcceptInput = z.strictObject({
  specialistIds: z.array(Id).min(1, "请至少指派一名专家").max(8, "最多指派 8 名专家"),
  note: medium("说明").optional(),
});
export const ReasonInput = z.strictObject({ reason });
export type ReasonInput = z.infer<typeof ReasonInput>;

export const ConsultationListQuery = Pagination.extend({
  status: ConsultationStatus.optional(),
  box: z.enum(["mine", "requested", "assigned", "institution"]).default("mine"),
});
export const TriageQueueQuery = Pagination;

export const SuggestTargetsQuery = z.object({
  specialtyCode: z
    .string()
    .trim()
    .regex(/^[A-Z_]{2,40}$/, "专科代码格式不正确"),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

// ------------------------------------------------------------------------------------------- scheduling

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "时间格式应为 HH:MM");
export const AvailabilityRuleInput = z
  .strictObject({
    weekday: z.number().int().min(1, "星期应为 1–7").max(7, "星期应为 1–7"),
    start: hhmm,
    end: hhmm,
    slotMinutes: z.number().int().min(5).max(240).default(30),
    validFrom: isoDate,
    validUntil: isoDate.optional(),
    label: z.string().trim().max(LIMITS.shortText).optional(),
  })
  .refine((r) => r.end > r.start, { message: "结束时间必须晚于开始时间", path: ["end"] })
  .refine((r) => !r.validUntil || r.validUntil >= r.validFrom, {
    message: "结束日期不能早于开始日期",
    path: ["validUntil"],
  });
export type AvailabilityRuleInput = z.infer<typeof AvailabilityRuleInput>;

/** Weekend expert days (周末专家下沉): Saturday and Sunday windows for the experts an upper hospital sends. */
export const WeekendExpertDaysInput = z
  .strictObject({
    specialistIds: z.array(Id).min(1, "请至少选择一名专家").max(8, "最多 8 名专家"),
    start: hhmm,
    end: hhmm,
    slotMinutes: z.number().int().min(5).max(240).default(30),
    validFrom: isoDate,
    validUntil: isoDate.optional(),
  })
  .refine((r) => r.end > r.start, { message: "结束时间必须晚于开始时间", path: ["end"] });

export const AvailabilityWindowInput = z
  .strictObject({
    kind: z.enum(["OPEN", "EXCEPTION"]),
    startsAt: instant,
    endsAt: instant,
    slotMinutes: z.number().int().min(5).max(240).optional(),
    reason: z.string().trim().max(LIMITS.shortText).optional(),
  })
  .refine((w) => new Date(w.endsAt) > new Date(w.startsAt), { message: "结束时间必须晚于开始时间", path: ["endsAt"] })
  .refine((w) => new Date(w.endsAt).getTime() - new Date(w.startsAt).getTime() <= 14 * 86_400_000, {
    message: "单个时段不能超过 14 天",
    path: ["endsAt"],
  });
export type AvailabilityWindowInput = z.infer<typeof AvailabilityWindowInput>;

export const SlotSearchQuery = z.object({
  specialtyCode: z
    .string()
    .trim()
    .regex(/^[A-Z_]{2,40}$/, "专科代码格式不正确"),
  institutionId: Id.optional(),
  specialistId: Id.optional(),
  from: instant.optional(),
  days: z.coerce.number().int().min(1).max(60).default(28),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  /** Include slots reserved for referred patients (flagged); booking them needs a referral. */
  includeReserved: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .default(false),
});
export type SlotSearchQuery = z.infer<typeof SlotSearchQuery>;

export const Slot = z.object({
  specialistId: Id,
  specialistName: z.string(),
  institutionId: Id,
  startsAt: z.string(),
  endsAt: z.string(),
  /** Asia/Shanghai wall-clock, for display. */
  local: z.string(),
  reserved: z.boolean(),
});
export type Slot = z.infer<typeof Slot>;

export const BookInput = z.strictObject({
  startsAt: instant,
  /** Defaults to the slot length of the availability that contains the start. */
  minutes: z.number().int().min(5).max(480).optional(),
});
export const RescheduleInput = z.strictObject({
  startsAt: instant,
  minutes: z.number().int().min(5).max(480).optional(),
  reason,
});

// ------------------------------------------------------------------------------------------- report

export const ReportInput = z.strictObject({
  findings: long("检查所见").optional(),
  impression: medium("会诊意见").optional(),
  recommendations: long("诊疗建议").optional(),
  referralAdvice: ReferralAdvice.optional(),
  followUp: medium("随访建议").optional(),
});
export type ReportInput = z.infer<typeof ReportInput>;
export const AmendInput = ReportInput.extend({ reason });
export const DecisionInput = z.strictObject({
  outcome: DecisionOutcome,
  decision: z.string().trim().min(2, "请填写处置决定").max(LIMITS.mediumText),
});

// ------------------------------------------------------------------------------------------- referral

export const ReferralInput = z.strictObject({
  direction: ReferralDirection,
  toInstitutionId: Id,
  toDepartmentId: Id.optional(),
  consultationId: Id.optional(),
  patient: PatientInput.optional(),
  reason: z.string().trim().min(2, "请填写转诊原因").max(LIMITS.mediumText),
  clinicalSummary: long("病情摘要").default(""),
});
export type ReferralInput = z.infer<typeof ReferralInput>;
export const ReferralBookInput = z.strictObject({
  specialistId: Id,
  startsAt: instant,
  minutes: z.number().int().min(5).max(480).optional(),
});

export const SlaPolicyInput = z
  .strictObject({
    consortiumId: Id.nullable(),
    urgency: Urgency,
    acceptWithinS: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400),
    notifyCoordinatorAtS: z.number().int().min(1),
    notifyAdminAtS: z.number().int().min(1),
  })
  .refine((p) => p.notifyCoordinatorAtS <= p.notifyAdminAtS && p.notifyAdminAtS <= p.acceptWithinS, {
    message: "提醒时间须满足：协调员 ≤ 机构管理员 ≤ 受理时限",
    path: ["notifyAdminAtS"],
  });
export const SchedulingPolicyInput = z.strictObject({ reservedReferralShare: z.number().min(0).max(0.9) });

// ------------------------------------------------------------------------------------------- events

/**
 * Payload of every consultation event. No patient data: notifications travel through Redis and land on every
 * device of the user; the client fetches details (audited) when it shows them.
 */
export const ConsultationEvent = z.object({
  consultationId: Id,
  number: z.string(),
  status: ConsultationStatus,
  urgency: Urgency,
  specialtyCode: z.string().nullable(),
  /** ISO 8601 UTC of the change. */
  at: z.string(),
  actorId: Id.nullable(),
  scheduledStart: z.string().nullable().optional(),
  reason: z.string().nullable().optional(),
  /** consultation:attachment-added: the new file (READY), to fetch with GET /api/uploads/{id}. */
  uploadId: Id.optional(),
  /** Escalation level for consultation:sla-escalation (1 coordinator, 2 institution admin, 3 overdue). */
  level: z.number().int().optional(),
  /** Sender clock (performance.timeOrigin + performance.now()), for latency measurement. */
  sentAt: z.number().optional(),
});
export type ConsultationEvent = z.infer<typeof ConsultationEvent>;

export const ReferralEvent = z.object({
  referralId: Id,
  number: z.string(),
  status: ReferralStatus,
  direction: ReferralDirection,
  at: z.string(),
});
export type ReferralEvent = z.infer<typeof ReferralEvent>;

export const PresenceState = z.enum(["OFFLINE", "ONLINE", "IN_CONSULTATION"]);
export type PresenceState = z.infer<typeof PresenceState>;
export const PresenceEvent = z.object({ userId: Id, institutionId: Id, state: PresenceState, at: z.string() });
export type PresenceEvent = z.infer<typeof PresenceEvent>;

/**
 * A request returned for more information (RETURNED) waits this long for the requester to complete and resubmit
 * it, then expires (EXPIRED, a final state); the requester is reminded RETURNED_REMINDER_BEFORE_MS before.
 */
export const RETURNED_EXPIRES_AFTER_MS = 7 * 86_400_000;
export const RETURNED_REMINDER_BEFORE_MS = 24 * 3600_000;

/** Consultation event names (`domain:verb`), each carrying a ConsultationEvent. */
export const CONSULTATION_EVENTS = [
  "consultation:queued",
  "consultation:submitted",
  "consultation:accepted",
  "consultation:returned",
  "consultation:return-expiring",
  "consultation:rejected",
  "consultation:cancelled",
  "consultation:scheduled",
  "consultation:rescheduled",
  "consultation:starting-soon",
  "consultation:paged",
  "consultation:started",
  "consultation:report-signed",
  "consultation:report-amended",
  "consultation:attachment-added",
  "consultation:closed",
  "consultation:expired",
  "consultation:sla-escalation",
] as const;
export type ConsultationEventName = (typeof CONSULTATION_EVENTS)[number];
