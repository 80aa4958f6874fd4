// Monthly statistics (月度统计): one pass of SQL per month turns the month's facts into rollup rows for every
// institution, county, city, tier, consortium and the province. A recompute replaces the month inside one
// transaction under an advisory lock, so running it twice (or concurrently) gives the same rows, never duplicates.
//
// Months are calendar months in Asia/Shanghai. Facts and who they count for:
//   consultations            requesting institution, by submittedAt; dims status / urgency / kind / specialty
//   consultations_received   target institution, by submittedAt; dims status / specialty
//   acceptance_minutes_p50/_p90, report_minutes_p50/_p90
//                            submission → acceptance / → report, consultations submitted in the month; dims urgency /
//                            specialty
//   sla_breaches             overdue or accepted after slaDueAt; dims urgency / specialty
//   referrals                from-institution, by requestedAt; dim direction UP / DOWN
//   training_sessions        host institution, by startsAt, not cancelled; dim specialty (of the session)
//   training_attendances     attendee's institution, attended = true, sessions starting in the month; dim specialty
//   training_person_minutes  attendee's institution, sum of present minutes; dim specialty
//   uploads                  uploader's institution, READY files by createdAt; dims category (IMAGING / CASE), kind
//   recording_minutes        recording's institution, READY recordings by stoppedAt; dim subject
// The specialty dimension (UNSPECIFIED when none) is what the statistics dashboard's specialty filter reads.
import { SHANGHAI_OFFSET_MS } from "@yilian/contract";
import type { Db } from "@yilian/server";

export const TZ = "Asia/Shanghai";

export interface MonthResult {
  month: string;
  rows: number;
  durationMs: number;
}

/** "2024-03" → "2024-03-01"; throws on anything else. */
export function monthStart(month: string): string {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new Error(`invalid month "${month}" (expected YYYY-MM)`);
  return `${m[1]}-${m[2]}-01`;
}

/** The calendar month before `now`, in Asia/Shanghai. */
export function previousMonth(now = new Date()): string {
  const local = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth(); // 0-based current month → previous month number 1-based = m (or 12)
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, "0")}`;
}

async function tableExists(db: Db, name: string): Promise<boolean> {
  const r = await db.$queryRawUnsafe<{ t: string | null }[]>(`SELECT to_regclass($1)::text AS t`, `public."${name}"`);
  return !!r[0]?.t;
}

/** The `specialty` dimension row of a fact (its table alias's specialtyCode; UNSPECIFIED when none). */
const specialtyDim = (alias: "c" | "s") => `('specialty', COALESCE(${alias}."specialtyCode", 'UNSPECIFIED'))`;

/** Facts feeding sums/counts: (inst uuid, metric, dim, key, v). $2/$3 are the month's bounds (timestamptz). */
function sumFacts(has: { referral: boolean; training: boolean; upload: boolean; recording: boolean }): string {
  const parts = [
    `SELECT c."requestingInstitutionId" AS inst, 'consultations' AS metric, d.dim, d.key, 1::float8 AS v
       FROM cm c
       CROSS JOIN LATERAL (VALUES ('', ''), ('status', c.status::text), ('urgency', c.urgency::text), ('kind', c.kind::text),
                                  ${specialtyDim("c")}) AS d(dim, key)
      WHERE c."submittedAt" >= $2 AND c."submittedAt" < $3`,
    `SELECT c."targetInstitutionId", 'consultations_received', d.dim, d.key, 1::float8
       FROM cm c CROSS JOIN LATERAL (VALUES ('', ''), ('status', c.status::text), ${specialtyDim("c")}) AS d(dim, key)
      WHERE c."submittedAt" >= $2 AND c."submittedAt" < $3 AND c."targetInstitutionId" IS NOT NULL`,
    `SELECT c."requestingInstitutionId", 'sla_breaches', d.dim, d.key, 1::float8
       FROM cm c CROSS JOIN LATERAL (VALUES ('', ''), ('urgency', c.urgency::text), ${specialtyDim("c")}) AS d(dim, key)
      WHERE c."submittedAt" >= $2 AND c."submittedAt" < $3
        AND (c.overdue OR (c."slaDueAt" IS NOT NULL AND c."acceptedAt" > c."slaDueAt"))`,
  ];
  if (has.referral) {
    parts.push(`SELECT r."fromInstitutionId", 'referrals', d.dim, d.key, 1::float8
       FROM "Referral" r CROSS JOIN LATERAL (VALUES ('', ''), ('direction', r.direction::text)) AS d(dim, key)
      WHERE r."requestedAt" >= $2 AND r."requestedAt" < $3`);
  }
  if (has.training) {
    parts.push(
      `SELECT s."hostInstitutionId", 'training_sessions', d.dim, d.key, 1::float8
         FROM "TrainingSession" s
         CROSS JOIN LATERAL (VALUES ('', ''), ${specialtyDim("s")}) AS d(dim, key)
        WHERE s."startsAt" >= $2 AND s."startsAt" < $3 AND s.status <> 'CANCELLED'`,
      `SELECT a."institutionId", m.metric, d.dim, d.key, m.v
         FROM "TrainingAttendance" a JOIN "TrainingSession" s ON s.id = a."sessionId"
         CROSS JOIN LATERAL (VALUES ('training_attendances', CASE WHEN a.attended THEN 1 ELSE 0 END::float8),
                                    ('training_person_minutes', a.minutes::float8)) AS m(metric, v)
         CROSS JOIN LATERAL (VALUES ('', ''), ${specialtyDim("s")}) AS d(dim, key)
        WHERE s."startsAt" >= $2 AND s."startsAt" < $3 AND s.status <> 'CANCELLED'`,
    );
  }
  if (has.upload) {
    parts.push(`SELECT u."uploaderInstitutionId", 'uploads', d.dim, d.key, 1::float8
       FROM "Upload" u CROSS JOIN LATERAL (VALUES ('', ''), ('category', u.category::text), ('kind', u.kind::text)) AS d(dim, key)
      WHERE u."createdAt" >= $2 AND u."createdAt" < $3 AND u.status = 'READY'`);
  }
  if (has.recording) {
    parts.push(`SELECT r."institutionId", 'recording_minutes', d.dim, d.key, r."durationMs" / 60000.0
       FROM "Recording" r CROSS JOIN LATERAL (VALUES ('', ''), ('subject', r.subject::text)) AS d(dim, key)
      WHERE r."stoppedAt" >= $2 AND r."stoppedAt" < $3 AND r.status = 'READY' AND r."durationMs" IS NOT NULL`);
  }
  return parts.join("\nUNION ALL\n");
}

/** Facts feeding percentiles: durations in minutes. */
const DURATION_FACTS = `
  SELECT c."requestingInstitutionId" AS inst, 'acceptance_minutes' AS metric, d.dim, d.key,
         EXTRACT(EPOCH FROM (c."acceptedAt" - c."submittedAt")) / 60.0 AS v
    FROM cm c CROSS JOIN LATERAL (VALUES ('', ''), ('urgency', c.urgency::text), ${specialtyDim("c")}) AS d(dim, key)
   WHERE c."submittedAt" >= $2 AND c."submittedAt" < $3 AND c."acceptedAt" IS NOT NULL
  UNION ALL
  SELECT c."requestingInstitutionId", 'report_minutes', d.dim, d.key,
         EXTRACT(EPOCH FROM (c."reportedAt" - c."submittedAt")) / 60.0
    FROM cm c CROSS JOIN LATERAL (VALUES ('', ''), ('urgency', c.urgency::text), ${specialtyDim("c")}) AS d(dim, key)
   WHERE c."submittedAt" >= $2 AND c."submittedAt" < $3 AND c."reportedAt" IS NOT NULL`;

/** Institution → consortia (explicit members, plus every institution for consortia that cover the province). */
const MEMBERS = `
  SELECT "consortiumId" AS cid, "institutionId" AS inst FROM "ConsortiumMember"
  UNION
  SELECT c.id, i.id FROM "Consortium" c CROSS JOIN "Institution" i WHERE c."coversAll"`;

/**
 * One INSERT per aggregate: grouping sets give institution, county, city, tier and province in one scan; consortia
 * (an institution can belong to several) come from a join on memberships.
 */
function insertSql(facts: string, aggregates: { suffix: string; expr: string }[]): string {
  const selects = aggregates.map((a) => `
    SELECT scope::"StatScope", scope_id, metric || '${a.suffix}', dim, key, agg, now()
      FROM (
        SELECT CASE GROUPING(inst_id, county, city, tier)
                 WHEN 7 THEN 'INSTITUTION' WHEN 11 THEN 'COUNTY' WHEN 13 THEN 'CITY' WHEN 14 THEN 'TIER' ELSE 'PROVINCE' END AS scope,
               CASE GROUPING(inst_id, county, city, tier)
                 WHEN 7 THEN inst_id WHEN 11 THEN county WHEN 13 THEN city WHEN 14 THEN tier ELSE 'PROVINCE' END AS scope_id,
               metric, dim, key, ${a.expr} AS agg
          FROM scoped
         GROUP BY metric, dim, key, GROUPING SETS ((inst_id), (county), (city), (tier), ())
      ) g WHERE scope_id IS NOT NULL
    UNION ALL
    SELECT 'CONSORTIUM'::"StatScope", m.cid::text, f.metric || '${a.suffix}', f.dim, f.key, ${a.expr.replace(/\bv\b/g, "f.v")}, now()
      FROM scoped f JOIN members m ON m.inst = f.inst
     GROUP BY m.cid, f.metric, f.dim, f.key`);
  return `
    WITH cm AS MATERIALIZED (SELECT * FROM "Consultation" WHERE "submittedAt" >= $2 AND "submittedAt" < $3),
    facts AS (${facts}),
    members AS (${MEMBERS}),
    scoped AS (
      SELECT f.inst, f.metric, f.dim, f.key, f.v, i.id::text AS inst_id, i."countyId"::text AS county,
             i."cityId"::text AS city, i.tier::text AS tier
        FROM facts f JOIN "Institution" i ON i.id = f.inst
    )
    INSERT INTO "MonthlyStat" (month, scope, "scopeId", metric, dimension, key, value, "computedAt")
    SELECT $1::date, * FROM (${selects.join("\nUNION ALL\n")}) AS rows`;
}

/** Recomputes one month (YYYY-MM). Idempotent; concurrent recomputes of the same month queue on a lock. */
export async function computeMonth(db: Db, month: string): Promise<MonthResult> {
  const start = monthStart(month);
  const t0 = Date.now();
  const has = {
    referral: await tableExists(db, "Referral"),
    training: (await tableExists(db, "TrainingSession")) && (await tableExists(db, "TrainingAttendance")),
    upload: await tableExists(db, "Upload"),
    recording: await tableExists(db, "Recording"),
  };
  const bounds = `($1::date)::timestamp AT TIME ZONE '${TZ}'`;
  const boundsEnd = `(($1::date + interval '1 month')::timestamp) AT TIME ZONE '${TZ}'`;
  // $2 / $3 are inlined expressions of $1, so every statement takes the month alone.
  const withBounds = (sql: string) => sql.replace(/\$2/g, `(${bounds})`).replace(/\$3/g, `(${boundsEnd})`);
  const rows = await db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('monthly-stats'), hashtext($1))`, start);
      await tx.$executeRawUnsafe(`DELETE FROM "MonthlyStat" WHERE month = $1::date`, start);
      let n = await tx.$executeRawUnsafe(withBounds(insertSql(sumFacts(has), [{ suffix: "", expr: "SUM(v)" }])), start);
      n += await tx.$executeRawUnsafe(
        withBounds(
          insertSql(DURATION_FACTS, [
            { suffix: "_p50", expr: "percentile_cont(0.5) WITHIN GROUP (ORDER BY v)" },
            { suffix: "_p90", expr: "percentile_cont(0.9) WITHIN GROUP (ORDER BY v)" },
          ]),
        ),
        start,
      );
      const durationMs = Date.now() - t0;
      await tx.$executeRawUnsafe(
        `INSERT INTO "MonthlyStatRun" (month, "computedAt", "durationMs", rows) VALUES ($1::date, now(), $2, $3)
         ON CONFLICT (month) DO UPDATE SET "computedAt" = now(), "durationMs" = EXCLUDED."durationMs", rows = EXCLUDED.rows`,
        start,
        durationMs,
        n,
      );
      return n;
    },
    { timeout: 30 * 60_000, maxWait: 10 * 60_000 },
  );
  return { month, rows, durationMs: Date.now() - t0 };
}

/** All twelve months of a year, in order. */
export async function computeYear(db: Db, year: number): Promise<MonthResult[]> {
  const out: MonthResult[] = [];
  for (let m = 1; m <= 12; m++) out.push(await computeMonth(db, `${year}-${String(m).padStart(2, "0")}`));
  return out;
}
