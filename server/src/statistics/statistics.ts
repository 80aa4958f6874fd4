// The statistics API reads rollup rows only (computed by the worker's `statistics` queue), scoped by the
// administrator's reach: the province admin sees everything, a region admin their city or county and the
// institutions in it, an institution admin their own institution. Drill-down: a breakdown lists one level inside a
// focus the caller may read (a city's counties, a county's or tier's or consortium's institutions, any scope's
// specialties), optionally only one specialty's share; a focus outside the caller's region is 404.
import {
  AppError,
  ErrorCode,
  STAT_CHILD_LEVELS,
  STAT_SPECIALTY_METRICS,
  Tier,
  type MonthlyStatsQuery,
  type MonthlyStatsView,
  type StatBreakdownView,
  type StatBreakdownQuery,
  type StatPathQuery,
  type StatRowView,
  type StatScopeRef,
} from "@yilian/contract";
import type { Prisma, StatScope } from "@prisma/client";
import { z } from "zod";
import { sqlOf, type Db } from "../db";
import { JsonText } from "../http/route";
import { hasRole, type AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import type { AuditEntry } from "@yilian/audit";
import { auditInsert, auditSql } from "../audit/audit";
import { AnswerCache, builtAnswer } from "./answers";
import { DIMENSION_LABELS, KEY_LABELS, METRIC_LABELS, SCOPE_LABELS, TIER_LABELS } from "./labels";

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
    const county = z.uuid().safeParse(scopeId).success
      ? await db.region.findUnique({ where: { id: scopeId }, select: { parentId: true } })
      : null;
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

/** The focus of a query, authorised: the given scope, or the caller's own when none is given. */
async function resolveFocus(
  db: Db,
  user: AuthUser,
  scope?: StatScope,
  scopeId?: string,
): Promise<{ scope: StatScope; scopeId: string }> {
  const own = defaultScope(user);
  const s = scope ?? own.scope;
  const id = scopeId ?? (scope && scope !== own.scope ? (s === "PROVINCE" ? "PROVINCE" : undefined) : own.scopeId);
  if (!id)
    throw new AppError(ErrorCode.VALIDATION_FAILED, "请指定统计范围 scopeId", {
      issues: [{ path: "query.scopeId", message: "必填" }],
    });
  await authorizeScope(db, user, s, id);
  return { scope: s, scopeId: id };
}

/** Ids of `level` inside an (authorised) focus (null = all): containment, so never beyond the caller's reach. */
async function idsWithin(
  db: Db,
  level: StatScope,
  focus: { scope: StatScope; scopeId: string },
): Promise<string[] | null> {
  if (focus.scope === "PROVINCE") return null;
  if (level === focus.scope) return [focus.scopeId];
  if (level === "COUNTY")
    return (await db.region.findMany({ where: { parentId: focus.scopeId }, select: { id: true } })).map((r) => r.id);
  // level INSTITUTION (STAT_CHILD_LEVELS allows nothing else below a focus other than the province)
  let where: Prisma.InstitutionWhereInput;
  if (focus.scope === "CITY") where = { cityId: focus.scopeId };
  else if (focus.scope === "COUNTY") where = { countyId: focus.scopeId };
  else if (focus.scope === "TIER") {
    const tier = Tier.safeParse(focus.scopeId);
    if (!tier.success) return [];
    where = { tier: tier.data };
  } else if (focus.scope === "CONSORTIUM") {
    const c = await db.consortium.findUnique({ where: { id: focus.scopeId }, select: { coversAll: true } });
    if (c?.coversAll) return null;
    where = { memberships: { some: { consortiumId: focus.scopeId } } };
  } else return [focus.scopeId];
  return (await db.institution.findMany({ where, select: { id: true } })).map((i) => i.id);
}

/** Where the names of a level's scopes live (the province and tiers are named by labels). */
const NAME_TABLES: Partial<Record<StatScope, string>> = {
  INSTITUTION: "Institution",
  CITY: "Region",
  COUNTY: "Region",
  CONSORTIUM: "Consortium",
};

/** Names of scopes of one level: labels for the province and tiers, else one plain-SQL lookup by primary key. */
export async function scopeNames(db: Db, scope: StatScope, ids: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (scope === "PROVINCE") ids.forEach((id) => names.set(id, "全省"));
  if (scope === "TIER") ids.forEach((id) => names.set(id, TIER_LABELS[id] ?? id));
  const table = NAME_TABLES[scope];
  const uuids = ids.filter((id) => z.uuid().safeParse(id).success);
  if (table && uuids.length) {
    const { rows } = await sqlOf(db).query<{ id: string; name: string }>(
      `SELECT id::text AS id, name FROM "${table}" WHERE id = ANY($1::uuid[])`,
      [uuids],
    );
    for (const r of rows) names.set(r.id, r.name);
  }
  return names;
}

export type StatRow = StatRowView;

/** Rows of a total, or of one specialty's share when filtering by specialty. */
const slice = (specialty?: string) =>
  specialty ? { dimension: "specialty", key: specialty } : { dimension: "", key: "" };

/**
 * The answer's rows as `r`, in the answer's order, through the (scope, scopeId, month) index: a scope's own rows, or
 * one specialty's share of them.
 */
const ROWS = `r AS MATERIALIZED (
    SELECT month, metric, dimension, key, value FROM "MonthlyStat"
     WHERE scope = $1::"StatScope" AND "scopeId" = $2 AND month BETWEEN $3::date AND $4::date
       AND ($5::text[] IS NULL OR metric = ANY($5::text[])) AND ($6::text IS NULL OR (dimension = 'specialty' AND key = $6::text))
     ORDER BY month, metric, dimension, key)`;

/** The computed months of a range as the answer's JSON (`from` / `to` are parameter numbers): also its version. */
const computedMonths = (from: number, to: number) => `COALESCE((
    SELECT json_agg(json_build_object('month', to_char(month, 'YYYY-MM'),
                                      'computedAt', to_char("computedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY month)
      FROM "MonthlyStatRun" WHERE month BETWEEN $${from}::date AND $${to}::date), '[]')::text`;

/** Built monthly answers by query (see answers.ts); 64 MB holds a few dozen provinces' ten years. */
const answers = new AnswerCache(64 * 1024 * 1024);

export async function monthly(
  db: Db,
  user: AuthUser,
  q: z.output<typeof MonthlyStatsQuery>,
): Promise<JsonText<MonthlyStatsView>> {
  const { scope, scopeId } = await resolveFocus(db, user, q.scope, q.scopeId);
  let metrics = q.metrics
    ?.split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  if (q.specialty)
    metrics = (metrics?.length ? metrics : [...STAT_SPECIALTY_METRICS]).filter((m) =>
      (STAT_SPECIALTY_METRICS as readonly string[]).includes(m),
    );
  const [names, specialty] = await Promise.all([
    scopeNames(db, scope, [scopeId]),
    q.specialty ? db.specialty.findUnique({ where: { code: q.specialty }, select: { name: true } }) : null,
  ]);
  const name = names.get(scopeId) ?? scopeId;
  const specialtyName = q.specialty ? (specialty?.name ?? KEY_LABELS[q.specialty] ?? q.specialty) : null;
  const from = `${q.from}-01`;
  const to = `${q.to}-01`;
  const audited: AuditEntry = {
    action: "statistics.read",
    entityType: "MonthlyStat",
    entityId: `${scope}:${scopeId}`,
    outcome: "SUCCESS",
    detail: { from: q.from, to: q.to, specialty: q.specialty },
  };
  // The names are part of the key: a renamed institution gets a new answer.
  const key = JSON.stringify([scope, scopeId, from, to, metrics ?? null, q.specialty ?? null, name, specialtyName]);
  const cached = answers.get(key);
  if (cached) {
    // The audit row and the range's version in one round trip; the answer stands while no month was recomputed.
    const entry = auditInsert(audited, 3);
    const { rows } = await sqlOf(db).query<{ version: string }>(
      `WITH audit AS (${entry.text}) SELECT ${computedMonths(1, 2)} AS version`,
      [from, to, ...entry.values],
    );
    if (rows[0]!.version === cached.version)
      return new JsonText<MonthlyStatsView>(cached.body, cached.etag, cached.coded);
  }
  const total = slice(q.specialty);
  const entry = cached ? null : auditInsert(audited, 13);
  // One statement (with the audit row unless written above) builds the answer's JSON in PostgreSQL: a province over
  // two years is thousands of rows, which would cost the server more CPU to decode and re-encode than to send. The
  // rows are written by plain concatenation (json_build_object is several times slower), in `r`'s order.
  const { rows } = await sqlOf(db).query<{ head: string; version: string; rows: string | null }>(
    `WITH ${entry ? `audit AS (${entry.text}),` : ""} ${ROWS},
     runs AS MATERIALIZED (SELECT ${computedMonths(3, 4)} AS version)
     SELECT json_build_object(
         'scope', $1::text, 'scopeId', $2::text, 'scopeName', $7::text, 'specialty', $6::text, 'specialtyName', $8::text,
         'from', $9::text, 'to', $10::text,
         'computedMonths', (SELECT version::json FROM runs),
         'totals', COALESCE((
           SELECT json_object_agg(metric, total ORDER BY first, metric)
             FROM (SELECT metric, sum(value ORDER BY month) AS total, min(month) AS first FROM r
                    WHERE dimension = $11 AND key = $12 AND metric !~ '_p[0-9]+$' GROUP BY metric) t), '{}'))::text AS head,
       (SELECT version FROM runs) AS version,
       (SELECT string_agg('{"month":"' || to_char(month, 'YYYY-MM') || '","metric":' || to_json(metric) || ',"dimension":'
                          || to_json(dimension) || ',"key":' || to_json(key) || ',"value":' || to_json(value) || '}', ',')
          FROM r) AS rows`,
    [
      scope,
      scopeId,
      from,
      to,
      metrics ?? null,
      q.specialty ?? null,
      name,
      specialtyName,
      q.from,
      q.to,
      total.dimension,
      total.key,
      ...(entry?.values ?? []),
    ],
  );
  const { head, version, rows: objects } = rows[0]!;
  // Each row object gets its scope fields here (cheaper in V8 than in PostgreSQL); the objects' strings are
  // JSON-escaped, so `{"month":` only ever starts an object.
  const scoped = `{"scope":${JSON.stringify(scope)},"scopeId":${JSON.stringify(scopeId)},"scopeName":${JSON.stringify(name)},"month":`;
  const body = `${head.slice(0, -1)},"rows":[${(objects ?? "").replaceAll('{"month":', scoped)}]}`;
  const built = await builtAnswer(version, body);
  answers.set(key, built);
  return new JsonText<MonthlyStatsView>(built.body, built.etag, built.coded);
}

export async function breakdown(
  db: Db,
  user: AuthUser,
  q: z.output<typeof StatBreakdownQuery>,
): Promise<StatBreakdownView> {
  const focus = await resolveFocus(db, user, q.withinScope, q.withinId);
  if (q.scope !== focus.scope && !STAT_CHILD_LEVELS[focus.scope].includes(q.scope)) {
    const own = defaultScope(user);
    if (q.scope !== own.scope && !STAT_CHILD_LEVELS[own.scope].includes(q.scope))
      throw new AppError(ErrorCode.FORBIDDEN, "该统计范围超出您的管理权限");
    throw new AppError(ErrorCode.VALIDATION_FAILED, "该维度不能在当前范围内展开", {
      issues: [{ path: "query.scope", message: "该维度不能在当前范围内展开" }],
    });
  }
  const month = toDate(q.month);
  const audited: AuditEntry = {
    action: "statistics.read",
    entityType: "MonthlyStat",
    entityId: `${focus.scope}:${focus.scopeId}/${q.scope}`,
    outcome: "SUCCESS",
    detail: { month: q.month, metric: q.metric, specialty: q.specialty },
  };
  const focusName = (await scopeNames(db, focus.scope, [focus.scopeId])).get(focus.scopeId) ?? focus.scopeId;
  let rows: StatRow[];
  if (q.scope === "SPECIALTY") {
    // The focus's own rows of the specialty dimension: one per specialty.
    const found = await db.monthlyStat.findMany({
      where: {
        scope: focus.scope,
        scopeId: focus.scopeId,
        month,
        metric: q.metric,
        dimension: "specialty",
        ...(q.specialty ? { key: q.specialty } : {}),
      },
      orderBy: { value: "desc" },
      select: { key: true, value: true },
    });
    await auditSql(sqlOf(db), audited);
    rows = found.map((r) => ({
      month: q.month,
      scope: focus.scope,
      scopeId: focus.scopeId,
      scopeName: focusName,
      metric: q.metric,
      dimension: "specialty",
      key: r.key,
      value: r.value,
    }));
  } else {
    const level = q.scope;
    const ids = await idsWithin(db, level, focus);
    const total = slice(q.specialty);
    // One statement: the audit row, and the level's rows of the month through the primary key (month, scope, metric,
    // dimension, key, scopeId), named by a join (no second round trip with a thousand ids).
    const names = NAME_TABLES[level];
    const entry = auditInsert(audited, 7);
    const { rows: found } = await sqlOf(db).query<{
      scopeId: string;
      dimension: string;
      key: string;
      value: number;
      name: string | null;
    }>(
      `WITH audit AS (${entry.text})
       SELECT s."scopeId", s.dimension, s.key, s.value, ${names ? "n.name" : "NULL::text AS name"}
         FROM "MonthlyStat" s ${names ? `LEFT JOIN "${names}" n ON n.id::text = s."scopeId"` : ""}
        WHERE s.month = $1::date AND s.scope = $2::"StatScope" AND s.metric = $3 AND s.dimension = $4 AND s.key = $5
          AND ($6::text[] IS NULL OR s."scopeId" = ANY($6::text[]))
        ORDER BY s.value DESC, s."scopeId"`,
      [`${q.month}-01`, level, q.metric, total.dimension, total.key, ids, ...entry.values],
    );
    const label = (id: string, name: string | null) => name ?? (level === "TIER" ? (TIER_LABELS[id] ?? id) : id);
    rows = found.map((r) => ({
      month: q.month,
      scope: level,
      scopeId: r.scopeId,
      scopeName: label(r.scopeId, r.name),
      metric: q.metric,
      dimension: r.dimension,
      key: r.key,
      value: r.value,
    }));
  }
  return {
    month: q.month,
    scope: q.scope,
    within: { scope: focus.scope, scopeId: focus.scopeId, name: focusName } satisfies StatScopeRef,
    specialty: q.specialty ?? null,
    metric: q.metric,
    rows,
  };
}

/** Names of the segments of a drill-down path (breadcrumb), each authorised like a query of it. */
export async function pathNames(
  db: Db,
  user: AuthUser,
  q: z.output<typeof StatPathQuery>,
): Promise<{ items: StatScopeRef[] }> {
  const items: StatScopeRef[] = [];
  for (const seg of q.path.split(",")) {
    const [scope, scopeId] = seg.split(":") as [StatScope, string];
    await authorizeScope(db, user, scope, scopeId);
    const name = (await scopeNames(db, scope, [scopeId])).get(scopeId);
    if (!name) throw notFound("统计范围");
    items.push({ scope, scopeId, name });
  }
  return { items };
}

export async function labelRows(db: Db, rows: StatRow[]) {
  const specialties = new Map(
    (await db.specialty.findMany({ select: { code: true, name: true } })).map((s) => [s.code, s.name]),
  );
  return rows.map((r) => ({
    月份: r.month,
    统计范围: SCOPE_LABELS[r.scope] ?? r.scope,
    范围名称: r.scopeName,
    指标: METRIC_LABELS[r.metric] ?? r.metric,
    维度: DIMENSION_LABELS[r.dimension] ?? r.dimension,
    分类:
      r.dimension === "specialty"
        ? (specialties.get(r.key) ?? KEY_LABELS[r.key] ?? r.key)
        : (KEY_LABELS[r.key] ?? r.key),
    数值: Math.round(r.value * 100) / 100,
  }));
}
