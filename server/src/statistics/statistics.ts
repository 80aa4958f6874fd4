// The statistics API reads rollup rows only (computed by the worker's `statistics` queue), scoped by the
// administrator's reach: the province admin sees everything, a region admin their city or county and the
// institutions in it, an institution admin their own institution.
import { AppError, ErrorCode } from "@yilian/contract";
import type { Prisma, StatScope } from "@prisma/client";
import { z } from "zod";
import type { Db } from "../db";
import { hasRole, type AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import { DIMENSION_LABELS, KEY_LABELS, METRIC_LABELS, SCOPE_LABELS, TIER_LABELS } from "./labels";

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "月份格式应为 YYYY-MM");
export const Scope = z.enum(["INSTITUTION", "COUNTY", "CITY", "TIER", "CONSORTIUM", "PROVINCE"]);

export const MonthlyQuery = z
  .object({
    from: Month,
    to: Month,
    scope: Scope.optional(),
    scopeId: z.string().min(1).max(64).optional(),
    /** Comma-separated metric names; all when absent. */
    metrics: z.string().max(500).optional(),
    format: z.enum(["json", "csv", "xlsx"]).default("json"),
  })
  .refine((q) => q.from <= q.to, { message: "起始月份不能晚于结束月份", path: ["from"] })
  .refine((q) => monthsBetween(q.from, q.to) <= 120, { message: "一次最多查询 120 个月", path: ["to"] });

export const BreakdownQuery = z.object({
  month: Month,
  /** Which level to list: every institution / county / city ... within the caller's reach. */
  scope: Scope,
  metric: z.string().min(1).max(64).default("consultations"),
  format: z.enum(["json", "csv", "xlsx"]).default("json"),
});

export const RecomputeBody = z.object({ month: Month });

function monthsBetween(a: string, b: string): number {
  const [ya, ma] = a.split("-").map(Number) as [number, number];
  const [yb, mb] = b.split("-").map(Number) as [number, number];
  return (yb - ya) * 12 + (mb - ma) + 1;
}

const toDate = (m: string) => new Date(`${m}-01T00:00:00Z`);

/** The caller's own default scope, or 403 for roles without statistics. */
export function defaultScope(user: AuthUser): { scope: StatScope; scopeId: string } {
  if (hasRole(user, "PROVINCE_ADMIN")) return { scope: "PROVINCE", scopeId: "PROVINCE" };
  if (hasRole(user, "REGION_ADMIN") && user.region) return { scope: user.region.kind, scopeId: user.region.id };
  if (hasRole(user, "INSTITUTION_ADMIN")) return { scope: "INSTITUTION", scopeId: user.institutionId };
  throw new AppError(ErrorCode.FORBIDDEN, "仅管理员可以查看统计数据");
}

/** Whether `user` may read the rollup of (scope, scopeId): 403 for a level beyond their role, 404 for a record outside their region. */
export async function authorizeScope(db: Db, user: AuthUser, scope: StatScope, scopeId: string): Promise<void> {
  const own = defaultScope(user);
  if (own.scope === "PROVINCE") return;
  if (scope === "PROVINCE" || scope === "TIER" || scope === "CONSORTIUM") {
    throw new AppError(ErrorCode.FORBIDDEN, "该统计范围超出您的管理权限");
  }
  if (own.scope === "INSTITUTION") {
    if (scope !== "INSTITUTION") throw new AppError(ErrorCode.FORBIDDEN, "机构管理员只能查看本机构统计");
    if (scopeId !== user.institutionId) throw notFound("统计范围");
    return;
  }
  // REGION_ADMIN
  const region = user.region!;
  if (scope === own.scope) {
    if (scopeId !== own.scopeId) throw notFound("统计范围");
    return;
  }
  if (scope === "CITY") throw new AppError(ErrorCode.FORBIDDEN, "该统计范围超出您的管理权限");
  if (scope === "COUNTY") {
    if (region.kind !== "CITY") throw new AppError(ErrorCode.FORBIDDEN, "该统计范围超出您的管理权限");
    const county = z.uuid().safeParse(scopeId).success ? await db.region.findUnique({ where: { id: scopeId }, select: { parentId: true } }) : null;
    if (!county || county.parentId !== region.id) throw notFound("统计范围");
    return;
  }
  // INSTITUTION within the region
  const inst = z.uuid().safeParse(scopeId).success
    ? await db.institution.findUnique({ where: { id: scopeId }, select: { cityId: true, countyId: true } })
    : null;
  const inside = inst && (region.kind === "CITY" ? inst.cityId === region.id : inst.countyId === region.id);
  if (!inside) throw notFound("统计范围");
}

/** Which scope ids of a level the caller may list (null = all). */
async function listableIds(db: Db, user: AuthUser, scope: StatScope): Promise<string[] | null> {
  const own = defaultScope(user);
  if (own.scope === "PROVINCE") return null;
  if (scope === "PROVINCE" || scope === "TIER" || scope === "CONSORTIUM") throw new AppError(ErrorCode.FORBIDDEN, "该统计范围超出您的管理权限");
  if (own.scope === "INSTITUTION") {
    if (scope !== "INSTITUTION") throw new AppError(ErrorCode.FORBIDDEN, "机构管理员只能查看本机构统计");
    return [user.institutionId];
  }
  const region = user.region!;
  if (scope === own.scope) return [own.scopeId];
  if (scope === "CITY") throw new AppError(ErrorCode.FORBIDDEN, "该统计范围超出您的管理权限");
  if (scope === "COUNTY") {
    if (region.kind !== "CITY") throw new AppError(ErrorCode.FORBIDDEN, "该统计范围超出您的管理权限");
    return (await db.region.findMany({ where: { parentId: region.id }, select: { id: true } })).map((r) => r.id);
  }
  const where: Prisma.InstitutionWhereInput = region.kind === "CITY" ? { cityId: region.id } : { countyId: region.id };
  return (await db.institution.findMany({ where, select: { id: true } })).map((i) => i.id);
}

export async function scopeNames(db: Db, scope: StatScope, ids: string[]): Promise<Map<string, string>> {
  const uuids = ids.filter((id) => z.uuid().safeParse(id).success);
  const names = new Map<string, string>();
  if (scope === "PROVINCE") ids.forEach((id) => names.set(id, "全省"));
  if (scope === "TIER") ids.forEach((id) => names.set(id, TIER_LABELS[id] ?? id));
  if (scope === "INSTITUTION") (await db.institution.findMany({ where: { id: { in: uuids } }, select: { id: true, name: true } })).forEach((r) => names.set(r.id, r.name));
  if (scope === "CITY" || scope === "COUNTY") (await db.region.findMany({ where: { id: { in: uuids } }, select: { id: true, name: true } })).forEach((r) => names.set(r.id, r.name));
  if (scope === "CONSORTIUM") (await db.consortium.findMany({ where: { id: { in: uuids } }, select: { id: true, name: true } })).forEach((r) => names.set(r.id, r.name));
  return names;
}

export interface StatRow {
  month: string;
  scope: StatScope;
  scopeId: string;
  scopeName: string;
  metric: string;
  dimension: string;
  key: string;
  value: number;
}

export async function monthly(db: Db, user: AuthUser, q: z.output<typeof MonthlyQuery>) {
  const own = defaultScope(user);
  const scope = q.scope ?? own.scope;
  const scopeId = q.scopeId ?? (q.scope && q.scope !== own.scope ? (scope === "PROVINCE" ? "PROVINCE" : undefined) : own.scopeId);
  if (!scopeId) throw new AppError(ErrorCode.VALIDATION_FAILED, "请指定统计范围 scopeId", { issues: [{ path: "query.scopeId", message: "必填" }] });
  await authorizeScope(db, user, scope, scopeId);
  const metrics = q.metrics?.split(",").map((m) => m.trim()).filter(Boolean);
  // Independent reads run together: the answer is three indexed lookups on rollups plus the audit row.
  const [rows, runs, names] = await Promise.all([
    db.monthlyStat.findMany({
      where: { scope, scopeId, month: { gte: toDate(q.from), lte: toDate(q.to) }, ...(metrics?.length ? { metric: { in: metrics } } : {}) },
      orderBy: [{ month: "asc" }, { metric: "asc" }, { dimension: "asc" }, { key: "asc" }],
      select: { month: true, metric: true, dimension: true, key: true, value: true },
    }),
    db.monthlyStatRun.findMany({ where: { month: { gte: toDate(q.from), lte: toDate(q.to) } }, orderBy: { month: "asc" } }),
    scopeNames(db, scope, [scopeId]),
    audit(db, { action: "statistics.read", entityType: "MonthlyStat", entityId: `${scope}:${scopeId}`, outcome: "SUCCESS", detail: { from: q.from, to: q.to } }),
  ]);
  const name = names.get(scopeId) ?? scopeId;
  const out: StatRow[] = rows.map((r) => ({ month: r.month.toISOString().slice(0, 7), scope, scopeId, scopeName: name, metric: r.metric, dimension: r.dimension, key: r.key, value: r.value }));
  // Totals over the range for additive metrics (percentiles do not add up).
  const totals: Record<string, number> = {};
  for (const r of out) if (r.dimension === "" && !/_p\d+$/.test(r.metric)) totals[r.metric] = (totals[r.metric] ?? 0) + r.value;
  return {
    scope,
    scopeId,
    scopeName: name,
    from: q.from,
    to: q.to,
    computedMonths: runs.map((r) => ({ month: r.month.toISOString().slice(0, 7), computedAt: r.computedAt.toISOString() })),
    totals,
    rows: out,
  };
}

export async function breakdown(db: Db, user: AuthUser, q: z.output<typeof BreakdownQuery>) {
  const ids = await listableIds(db, user, q.scope);
  const rows = await db.monthlyStat.findMany({
    where: { scope: q.scope, month: toDate(q.month), metric: q.metric, dimension: "", ...(ids ? { scopeId: { in: ids } } : {}) },
    orderBy: { value: "desc" },
    select: { scopeId: true, value: true },
  });
  const names = await scopeNames(db, q.scope, rows.map((r) => r.scopeId));
  await audit(db, { action: "statistics.read", entityType: "MonthlyStat", entityId: `${q.scope}:*`, outcome: "SUCCESS", detail: { month: q.month, metric: q.metric } });
  return {
    month: q.month,
    scope: q.scope,
    metric: q.metric,
    rows: rows.map<StatRow>((r) => ({ month: q.month, scope: q.scope, scopeId: r.scopeId, scopeName: names.get(r.scopeId) ?? r.scopeId, metric: q.metric, dimension: "", key: "", value: r.value })),
  };
}

export async function labelRows(db: Db, rows: StatRow[]) {
  const specialties = new Map((await db.specialty.findMany({ select: { code: true, name: true } })).map((s) => [s.code, s.name]));
  return rows.map((r) => ({
    月份: r.month,
    统计范围: SCOPE_LABELS[r.scope] ?? r.scope,
    范围名称: r.scopeName,
    指标: METRIC_LABELS[r.metric] ?? r.metric,
    维度: DIMENSION_LABELS[r.dimension] ?? r.dimension,
    分类: r.dimension === "specialty" ? (specialties.get(r.key) ?? KEY_LABELS[r.key] ?? r.key) : (KEY_LABELS[r.key] ?? r.key),
    数值: Math.round(r.value * 100) / 100,
  }));
}
