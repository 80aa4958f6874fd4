// Monthly statistics (月度统计): query schemas of the statistics API, the drill-down levels and zh-CN labels,
// shared by the server, the client SDK and the web console.
import { z } from "zod";

/** A rollup scope: the levels the worker computes rows for. */
export const StatScope = z.enum(["INSTITUTION", "COUNTY", "CITY", "TIER", "CONSORTIUM", "PROVINCE"]);
export type StatScope = z.infer<typeof StatScope>;
/** What a breakdown lists: a rollup level, or the specialties of the focus (its `specialty` dimension). */
export const StatLevel = z.enum(["TIER", "CITY", "COUNTY", "INSTITUTION", "CONSORTIUM", "SPECIALTY"]);
export type StatLevel = z.infer<typeof StatLevel>;

/**
 * Drill-down: which levels can be listed inside a focus. Rollups are per scope (no "city × tier" rows), so a
 * level is listable inside a focus only when each of its rows lies wholly within it.
 */
export const STAT_CHILD_LEVELS: Record<StatScope, readonly StatLevel[]> = {
  PROVINCE: ["CITY", "TIER", "COUNTY", "INSTITUTION", "CONSORTIUM", "SPECIALTY"],
  CITY: ["COUNTY", "INSTITUTION", "SPECIALTY"],
  COUNTY: ["INSTITUTION", "SPECIALTY"],
  TIER: ["INSTITUTION", "SPECIALTY"],
  CONSORTIUM: ["INSTITUTION", "SPECIALTY"],
  INSTITUTION: ["SPECIALTY"],
};

/** Metrics the worker also splits by specialty (dimension "specialty"): the ones a specialty filter applies to. */
export const STAT_SPECIALTY_METRICS = [
  "consultations",
  "consultations_received",
  "sla_breaches",
  "acceptance_minutes_p50",
  "acceptance_minutes_p90",
  "report_minutes_p50",
  "report_minutes_p90",
  "training_sessions",
  "training_attendances",
  "training_person_minutes",
] as const;

export const statMetricLabel: Record<string, string> = {
  consultations: "远程会诊申请数",
  consultations_received: "受邀会诊数",
  acceptance_minutes_p50: "提交至受理时长中位数（分钟）",
  acceptance_minutes_p90: "提交至受理时长P90（分钟）",
  report_minutes_p50: "提交至出具报告时长中位数（分钟）",
  report_minutes_p90: "提交至出具报告时长P90（分钟）",
  sla_breaches: "超时未受理数",
  referrals: "双向转诊数",
  training_sessions: "远程培训场次",
  training_attendances: "参训人次",
  training_person_minutes: "参训人分钟数",
  uploads: "新增资料数",
  recording_minutes: "录像时长（分钟）",
};

export const statScopeLabel: Record<StatScope, string> = {
  INSTITUTION: "医疗机构",
  COUNTY: "县（市、区）",
  CITY: "市（州）",
  TIER: "层级",
  CONSORTIUM: "医联体",
  PROVINCE: "全省",
};
export const statLevelLabel: Record<StatLevel, string> = {
  TIER: "机构级别",
  CITY: "市（州）",
  COUNTY: "县（市、区）",
  INSTITUTION: "医疗机构",
  CONSORTIUM: "医联体",
  SPECIALTY: "专科",
};

export const StatMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "月份格式应为 YYYY-MM");
const ScopeId = z.string().min(1).max(64);
/** Specialty codes are upper-case identifiers (CARDIOLOGY); UNSPECIFIED counts requests without one. */
const SpecialtyCode = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, "专科代码格式不正确");
const ExportFormat = z.enum(["json", "csv", "xlsx"]).default("json");

function monthsBetween(a: string, b: string): number {
  const [ya, ma] = a.split("-").map(Number) as [number, number];
  const [yb, mb] = b.split("-").map(Number) as [number, number];
  return (yb - ya) * 12 + (mb - ma) + 1;
}

export const MonthlyStatsQuery = z
  .object({
    from: StatMonth,
    to: StatMonth,
    scope: StatScope.optional(),
    scopeId: ScopeId.optional(),
    /** Only this specialty's share (rows of the `specialty` dimension); metrics without one are left out. */
    specialty: SpecialtyCode.optional(),
    /** Comma-separated metric names; all when absent. */
    metrics: z.string().max(500).optional(),
    format: ExportFormat,
  })
  .refine((q) => q.from <= q.to, { message: "起始月份不能晚于结束月份", path: ["from"] })
  .refine((q) => monthsBetween(q.from, q.to) <= 120, { message: "一次最多查询 120 个月", path: ["to"] });
export type MonthlyStatsQuery = z.input<typeof MonthlyStatsQuery>;

export const StatBreakdownQuery = z
  .object({
    month: StatMonth,
    /** Which level to list: every institution / county / city ... within the caller's reach and the focus. */
    scope: StatLevel,
    /** The focus of a drill-down (default: the caller's own scope): only rows inside it are listed. */
    withinScope: StatScope.optional(),
    withinId: ScopeId.optional(),
    specialty: SpecialtyCode.optional(),
    metric: z.string().min(1).max(64).default("consultations"),
    format: ExportFormat,
  })
  .refine((q) => !q.withinScope === !q.withinId, { message: "withinScope 与 withinId 须同时提供", path: ["withinId"] })
  .refine((q) => !q.withinScope || q.scope === q.withinScope || STAT_CHILD_LEVELS[q.withinScope].includes(q.scope), {
    message: "该维度不能在当前范围内展开",
    path: ["scope"],
  });
export type StatBreakdownQuery = z.input<typeof StatBreakdownQuery>;

/** A drill-down path, `SCOPE:id` segments joined by commas (at most 6). */
export const StatPathQuery = z.object({
  path: z
    .string()
    .max(600)
    .regex(
      /^(PROVINCE|CITY|COUNTY|TIER|CONSORTIUM|INSTITUTION):[A-Za-z0-9_-]{1,64}(,(PROVINCE|CITY|COUNTY|TIER|CONSORTIUM|INSTITUTION):[A-Za-z0-9_-]{1,64}){0,5}$/,
      "统计路径格式不正确",
    ),
});

export const RecomputeStatsBody = z.object({ month: StatMonth });

/** One rollup row; a breakdown by specialty lists the focus's rows of the `specialty` dimension. */
export const StatRowView = z.object({
  month: z.string(),
  scope: StatScope,
  scopeId: z.string(),
  scopeName: z.string(),
  metric: z.string(),
  dimension: z.string(),
  key: z.string(),
  value: z.number(),
});
export type StatRowView = z.infer<typeof StatRowView>;
export const StatScopeRef = z.object({ scope: StatScope, scopeId: z.string(), name: z.string() });
export type StatScopeRef = z.infer<typeof StatScopeRef>;
export const StatScopeRefList = z.object({ items: z.array(StatScopeRef) });
export const MonthlyStatsView = z.object({
  scope: StatScope,
  scopeId: z.string(),
  scopeName: z.string(),
  specialty: z.string().nullable(),
  specialtyName: z.string().nullable(),
  from: z.string(),
  to: z.string(),
  computedMonths: z.array(z.object({ month: z.string(), computedAt: z.string() })),
  /** Sums over the range of the additive metrics (of the specialty's share when filtered). */
  totals: z.record(z.string(), z.number()),
  rows: z.array(StatRowView),
});
export type MonthlyStatsView = z.infer<typeof MonthlyStatsView>;
export const StatBreakdownView = z.object({
  month: z.string(),
  scope: StatLevel,
  within: StatScopeRef,
  specialty: z.string().nullable(),
  metric: z.string(),
  rows: z.array(StatRowView),
});
export type StatBreakdownView = z.infer<typeof StatBreakdownView>;
/** Computed months, newest first. */
export const StatRunList = z.object({
  items: z.array(z.object({ month: z.string(), computedAt: z.string(), durationMs: z.number(), rows: z.number() })),
});
/** A recompute was queued (202). */
export const RecomputeAccepted = z.object({ month: StatMonth, jobId: z.string() });
