// Remote training (远程教学): scheduling, audience, registration, Q&A, raised hands and attendance — request
// schemas, event payloads and zh-CN labels shared by the server and the client SDK.
import { z } from "zod";
import { Id, LIMITS, Pagination, pageOf } from "./common";
import { ProfessionalTitle, Tier } from "./enums";

export const TrainingStatus = z.enum(["SCHEDULED", "LIVE", "ENDED", "CANCELLED"]);
export type TrainingStatus = z.infer<typeof TrainingStatus>;
export const trainingStatusLabel: Record<TrainingStatus, string> = {
  SCHEDULED: "未开始",
  LIVE: "直播中",
  ENDED: "已结束",
  CANCELLED: "已取消",
};

/** Longest session we accept: a full teaching day. */
export const TRAINING_MAX_DURATION_MIN = 8 * 60;

const IsoDateTime = z.iso.datetime({ offset: true, message: "必须是带时区的 ISO 8601 时间" });

export const TrainingAudienceRule = z.discriminatedUnion(
  "kind",
  [
    z.object({ kind: z.literal("PROVINCE") }),
    z.object({ kind: z.literal("TIER"), tier: Tier }),
    z.object({ kind: z.literal("CONSORTIUM"), consortiumId: Id }),
    z.object({ kind: z.literal("CITY"), regionId: Id }),
    z.object({ kind: z.literal("COUNTY"), regionId: Id }),
    z.object({ kind: z.literal("INSTITUTION"), institutionId: Id }),
  ],
  { error: "受众类型必须是 PROVINCE、TIER、CONSORTIUM、CITY、COUNTY 或 INSTITUTION" },
);
export type TrainingAudienceRule = z.infer<typeof TrainingAudienceRule>;
export const audienceKindLabel: Record<TrainingAudienceRule["kind"], string> = {
  PROVINCE: "全省",
  TIER: "按机构级别",
  CONSORTIUM: "医联体",
  CITY: "市",
  COUNTY: "县(区)",
  INSTITUTION: "指定机构",
};

export const ScheduleTrainingBody = z
  .object({
    title: z.string().trim().min(2, "标题至少 2 个字").max(LIMITS.shortText),
    specialtyCode: z.string().trim().min(1).max(64).optional(),
    description: z.string().trim().max(LIMITS.mediumText).default(""),
    startsAt: IsoDateTime,
    endsAt: IsoDateTime,
    /** Omit for no limit. */
    capacity: z.number().int().min(1, "名额至少为 1").max(100_000).nullable().default(null),
    registrationRequired: z.boolean().default(true),
    /** Lecturers of the host institution; a LECTURER scheduling alone may omit it (they lecture). */
    lecturerIds: z.array(Id).max(10, "授课专家最多 10 位").optional(),
    audience: z.array(TrainingAudienceRule).min(1, "请至少指定一类受众").max(500),
    /** Share of the session a trainee must attend to count as attended. */
    attendanceThreshold: z.number().min(0.05).max(1).default(0.8),
  })
  .refine((b) => Date.parse(b.endsAt) > Date.parse(b.startsAt), {
    message: "结束时间必须晚于开始时间",
    path: ["endsAt"],
  })
  .refine((b) => Date.parse(b.endsAt) - Date.parse(b.startsAt) <= TRAINING_MAX_DURATION_MIN * 60_000, {
    message: "单次培训不能超过 8 小时",
    path: ["endsAt"],
  });
export type ScheduleTrainingBody = z.infer<typeof ScheduleTrainingBody>;

export const CancelTrainingBody = z.object({
  reason: z.string().trim().min(1, "请填写取消原因").max(LIMITS.shortText),
});
export type CancelTrainingBody = z.infer<typeof CancelTrainingBody>;

export const TrainingCatalogueQuery = Pagination.extend({
  status: TrainingStatus.optional(),
  /** ISO time; sessions ending after it. */
  from: IsoDateTime.optional(),
  /** ISO time; sessions starting before it. */
  to: IsoDateTime.optional(),
  q: z.string().trim().min(1).max(LIMITS.shortText).optional(),
  /** Only sessions the caller lectures or manages. */
  managed: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .optional(),
});
export type TrainingCatalogueQuery = z.infer<typeof TrainingCatalogueQuery>;

export const TrainingPerson = z.object({ id: Id, displayName: z.string(), title: ProfessionalTitle.nullable() });

export const TrainingSessionView = z.object({
  id: Id,
  number: z.string(),
  title: z.string(),
  specialty: z.object({ code: z.string(), name: z.string() }).nullable(),
  description: z.string(),
  hostInstitution: z.object({ id: Id, name: z.string(), tier: Tier }),
  lecturers: z.array(TrainingPerson),
  startsAt: z.string(),
  endsAt: z.string(),
  capacity: z.number().nullable(),
  registeredCount: z.number(),
  registrationRequired: z.boolean(),
  attendanceThreshold: z.number(),
  status: TrainingStatus,
  audience: z.array(TrainingAudienceRule),
  /** The caller's relation to the session. */
  me: z.object({ registered: z.boolean(), canManage: z.boolean(), lecturer: z.boolean(), canJoin: z.boolean() }),
});
export type TrainingSessionView = z.infer<typeof TrainingSessionView>;
export const TrainingSessionPage = pageOf(TrainingSessionView);

export const TrainingRegistrationView = z.object({
  sessionId: Id,
  status: z.enum(["REGISTERED", "CANCELLED"]),
  registeredAt: z.string(),
  registeredCount: z.number(),
  capacity: z.number().nullable(),
});
export type TrainingRegistrationView = z.infer<typeof TrainingRegistrationView>;

export const AttendanceReportQuery = z.object({
  institutionId: Id.optional(),
  format: z.enum(["json", "csv", "xlsx"]).default("json"),
});
export type AttendanceReportQuery = z.infer<typeof AttendanceReportQuery>;

export const AttendanceInterval = z.object({ from: z.string(), to: z.string().nullable() });
export const AttendanceRow = z.object({
  userId: Id,
  displayName: z.string(),
  username: z.string(),
  institution: z.object({ id: Id, name: z.string() }),
  department: z.string().nullable(),
  registered: z.boolean(),
  firstJoinAt: z.string().nullable(),
  lastLeaveAt: z.string().nullable(),
  minutes: z.number(),
  joins: z.number(),
  attended: z.boolean(),
  intervals: z.array(AttendanceInterval),
});
export type AttendanceRow = z.infer<typeof AttendanceRow>;
export const SessionAttendanceView = z.object({ title: z.string(), number: z.string(), rows: z.array(AttendanceRow) });
export type SessionAttendanceView = z.infer<typeof SessionAttendanceView>;
/** The caller's own attendance in one session (zeros before they joined). */
export const MyAttendanceView = z.object({
  minutes: z.number(),
  attended: z.boolean(),
  joins: z.number(),
  firstJoinAt: z.string().nullable(),
  lastLeaveAt: z.string().nullable(),
  intervals: z.array(AttendanceInterval),
});
export type MyAttendanceView = z.infer<typeof MyAttendanceView>;

/** Monthly attendance of an institution's staff over all sessions (CSV/XLSX for 月度统计 submissions). */
export const InstitutionAttendanceQuery = z.object({
  institutionId: Id,
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "月份格式为 YYYY-MM"),
  format: z.enum(["json", "csv", "xlsx"]).default("json"),
});
export type InstitutionAttendanceQuery = z.infer<typeof InstitutionAttendanceQuery>;
export const InstitutionMonthRow = z.object({
  sessionNumber: z.string(),
  sessionTitle: z.string(),
  startsAt: z.string(),
  displayName: z.string(),
  username: z.string(),
  minutes: z.number(),
  attended: z.boolean(),
});
export type InstitutionMonthRow = z.infer<typeof InstitutionMonthRow>;
export const InstitutionMonthAttendanceView = z.object({
  institution: z.object({ id: Id, name: z.string() }),
  month: z.string(),
  summary: z.object({ sessions: z.number(), attendances: z.number(), personMinutes: z.number() }),
  rows: z.array(InstitutionMonthRow),
});
export type InstitutionMonthAttendanceView = z.infer<typeof InstitutionMonthAttendanceView>;

// ------------------------------------------------------------------------------------------ live session

export const TrainingQuestionView = z.object({
  id: Id,
  sessionId: Id,
  author: z.object({ id: Id, displayName: z.string(), institutionName: z.string() }),
  text: z.string(),
  status: z.enum(["VISIBLE", "HIDDEN"]),
  pinned: z.boolean(),
  answer: z.string().nullable(),
  answeredAt: z.string().nullable(),
  createdAt: z.string(),
});
export type TrainingQuestionView = z.infer<typeof TrainingQuestionView>;
export const TrainingQuestionPage = pageOf(TrainingQuestionView);

export const QuestionListQuery = Pagination.extend({
  /** Moderators only: include hidden questions. */
  includeHidden: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .optional(),
});

export const TrainingSessionRef = z.object({ sessionId: Id });
export type TrainingSessionRef = z.infer<typeof TrainingSessionRef>;

export const AskQuestionPayload = z.object({
  sessionId: Id,
  text: z.string().trim().min(1, "问题不能为空").max(500, "问题不能超过 500 字"),
});
export type AskQuestionPayload = z.infer<typeof AskQuestionPayload>;

export const ModerateQuestionPayload = z.discriminatedUnion("action", [
  z.object({ questionId: Id, action: z.literal("hide") }),
  z.object({ questionId: Id, action: z.literal("show") }),
  z.object({ questionId: Id, action: z.literal("pin") }),
  z.object({ questionId: Id, action: z.literal("unpin") }),
  z.object({
    questionId: Id,
    action: z.literal("answer"),
    answer: z.string().trim().min(1, "回答不能为空").max(LIMITS.mediumText),
  }),
]);
export type ModerateQuestionPayload = z.infer<typeof ModerateQuestionPayload>;

/** A viewer on a very weak (or metered) link asks for audio only; the server pauses their video. */
export const AudioOnlyPayload = z.object({ sessionId: Id, enabled: z.boolean() });
export type AudioOnlyPayload = z.infer<typeof AudioOnlyPayload>;

export const HandTargetPayload = z.object({ sessionId: Id, userId: Id });
export type HandTargetPayload = z.infer<typeof HandTargetPayload>;

export const TrainingHandStatus = z.enum(["RAISED", "LOWERED", "PROMOTED", "DEMOTED", "DISMISSED"]);
export type TrainingHandStatus = z.infer<typeof TrainingHandStatus>;
export const TrainingHandView = z.object({
  sessionId: Id,
  user: z.object({ id: Id, displayName: z.string(), institutionName: z.string() }),
  status: TrainingHandStatus,
  raisedAt: z.string(),
});
export type TrainingHandView = z.infer<typeof TrainingHandView>;

/** What a participant gets on joining the live session. */
export interface TrainingJoinInfo {
  session: TrainingSessionView;
  role: "LECTURER" | "MODERATOR" | "VIEWER";
  /** Pinned first, then newest; hidden ones only for moderators. */
  questions: TrainingQuestionView[];
  /** Open hands (moderators see all, a viewer their own). */
  hands: TrainingHandView[];
  /** Viewers currently allowed to speak. */
  speakers: string[];
}

export interface TrainingSpeakerEvent {
  sessionId: string;
  userId: string;
  speaking: boolean;
}

export interface TrainingStatusEvent {
  sessionId: string;
  status: TrainingStatus;
}

/** A question removed from viewers' view (hidden by a moderator): no text is sent. */
export interface TrainingQuestionRemoved {
  sessionId: string;
  questionId: string;
}

/** Socket.IO rooms of a live session: everyone present, and its moderators (lecturers, host admins). */
export const trainingRooms = {
  all: (sessionId: string) => `training:${sessionId}`,
  moderators: (sessionId: string) => `training:${sessionId}:mod`,
} as const;
