// Monthly statistics (月度统计): one pass of SQL per month turns the month's facts into rollup rows for every
// institution, county, city, tier, consortium and the province. A recompute replaces the month inside one
// transaction under an advisory lock, so running it twice (or concurrently) gives the same rows, never duplicates;
// it writes only the rows whose value changed (and adds / removes rows that appeared / vanished), so a row's
// computedAt is when its value was last written.
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

export interface StepTiming {
  name: string;
  ms: number;
}

export interface MonthResult {
  month: string;
  rows: number;
  durationMs: number;
  /** Time of each statement, in order (where a recompute's time goes). */
  steps: StepTiming[];
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
const specialtyDim = (alias: string) => `('specialty', COALESCE(${alias}."specialtyCode", 'UNSPECIFIED'))`;

/** Which optional fact tables exist (a partial schema in old databases). */
interface Sources {
  referral: boolean;
  training: boolean;
  upload: boolean;
  recording: boolean;
}

/** One timed statement of a recompute. `$1` is the month's first day; `$2` / `$3` its bounds as timestamptz. */
interface Step {
  name: string;
  sql: string;
}

/**
 * The statements of one month's recompute. The month's facts are read once each and reduced to institution-level
 * sums (`stat_inst`) and raw durations (`stat_dur`, percentiles do not add up); every other scope is rolled up from
 * those small tables, so the big tables are never grouped five ways or joined to consortia row by row.
 * Sums are of whole numbers (counts, minutes, milliseconds), so any order of addition gives the same float8.
 */
function steps(has: Sources): Step[] {
  const out: Step[] = [
    { name: "lock", sql: `SELECT pg_advisory_xact_lock(hashtext('monthly-stats'), hashtext($1::text))` },
    // The rollups' row estimates are poor (memberships, grouping sets): JIT compiling them costs more than it saves.
    { name: "settings", sql: `SET LOCAL jit = off; SET LOCAL work_mem = '64MB'` },
    {
      name: "stage",
      sql: `CREATE TEMP TABLE stat_inst (inst uuid, metric text, dim text, key text, v float8) ON COMMIT DROP;
            CREATE TEMP TABLE stat_month (scope "StatScope", "scopeId" text, metric text, dimension text, key text, value float8) ON COMMIT DROP;
            CREATE TEMP TABLE stat_dur (inst uuid, metric text, dim text, key text, v float8) ON COMMIT DROP;
            CREATE TEMP TABLE stat_cm ON COMMIT DROP AS
              SELECT "requestingInstitutionId" AS req, "targetInstitutionId" AS target, status::text AS status,
                     urgency::text AS urgency, kind::text AS kind, COALESCE("specialtyCode", 'UNSPECIFIED') AS spec,
                     (overdue OR ("slaDueAt" IS NOT NULL AND "acceptedAt" > "slaDueAt")) AS breach,
                     EXTRACT(EPOCH FROM ("acceptedAt" - "submittedAt")) / 60.0 AS accept_min,
                     EXTRACT(EPOCH FROM ("reportedAt" - "submittedAt")) / 60.0 AS report_min
                FROM "Consultation" WHERE "submittedAt" >= $2 AND "submittedAt" < $3`,
    },
    {
      name: "consultation_facts",
      sql: `INSERT INTO stat_inst
            SELECT c.req, 'consultations', d.dim, d.key, count(*)
              FROM stat_cm c CROSS JOIN LATERAL (VALUES ('', ''), ('status', c.status), ('urgency', c.urgency), ('kind', c.kind), ('specialty', c.spec)) AS d(dim, key)
             GROUP BY 1, 3, 4
            UNION ALL
            SELECT c.target, 'consultations_received', d.dim, d.key, count(*)
              FROM stat_cm c CROSS JOIN LATERAL (VALUES ('', ''), ('status', c.status), ('specialty', c.spec)) AS d(dim, key)
             WHERE c.target IS NOT NULL
             GROUP BY 1, 3, 4
            UNION ALL
            SELECT c.req, 'sla_breaches', d.dim, d.key, count(*)
              FROM stat_cm c CROSS JOIN LATERAL (VALUES ('', ''), ('urgency', c.urgency), ('specialty', c.spec)) AS d(dim, key)
             WHERE c.breach
             GROUP BY 1, 3, 4`,
    },
    {
      name: "duration_facts",
      sql: `INSERT INTO stat_dur
            SELECT c.req, m.metric, d.dim, d.key, m.v
              FROM stat_cm c
              CROSS JOIN LATERAL (VALUES ('acceptance_minutes', c.accept_min), ('report_minutes', c.report_min)) AS m(metric, v)
              CROSS JOIN LATERAL (VALUES ('', ''), ('urgency', c.urgency), ('specialty', c.spec)) AS d(dim, key)
             WHERE m.v IS NOT NULL`,
    },
  ];
  if (has.referral) {
    out.push({
      name: "referral_facts",
      sql: `INSERT INTO stat_inst
            SELECT r."fromInstitutionId", 'referrals', d.dim, d.key, count(*)
              FROM "Referral" r CROSS JOIN LATERAL (VALUES ('', ''), ('direction', r.direction::text)) AS d(dim, key)
             WHERE r."requestedAt" >= $2 AND r."requestedAt" < $3
             GROUP BY 1, 3, 4`,
    });
  }
  if (has.training) {
    out.push(
      {
        name: "session_facts",
        sql: `INSERT INTO stat_inst
              SELECT s."hostInstitutionId", 'training_sessions', d.dim, d.key, count(*)
                FROM "TrainingSession" s CROSS JOIN LATERAL (VALUES ('', ''), ${specialtyDim("s")}) AS d(dim, key)
               WHERE s."startsAt" >= $2 AND s."startsAt" < $3 AND s.status <> 'CANCELLED'
               GROUP BY 1, 3, 4`,
      },
      {
        // The month's sessions, then each one's attendance rows through the primary key (sessionId, userId): the
        // planner would otherwise scan the whole table to hash-join a month's share of it. Summed per institution.
        name: "attendance_facts",
        sql: `INSERT INTO stat_inst
              SELECT a.inst, m.metric, d.dim, d.key, sum(m.v)
                FROM (SELECT a.inst, COALESCE(s."specialtyCode", 'UNSPECIFIED') AS spec, sum(a.attended) AS attended, sum(a.minutes) AS minutes
                        FROM "TrainingSession" s
                        CROSS JOIN LATERAL (
                          SELECT a."institutionId" AS inst, count(*) FILTER (WHERE a.attended)::float8 AS attended, sum(a.minutes)::float8 AS minutes
                            FROM "TrainingAttendance" a WHERE a."sessionId" = s.id
                           GROUP BY 1) a
                       WHERE s."startsAt" >= $2 AND s."startsAt" < $3 AND s.status <> 'CANCELLED'
                       GROUP BY 1, 2) a
                CROSS JOIN LATERAL (VALUES ('training_attendances', a.attended), ('training_person_minutes', a.minutes)) AS m(metric, v)
                CROSS JOIN LATERAL (VALUES ('', ''), ('specialty', a.spec)) AS d(dim, key)
               GROUP BY 1, 2, 3, 4`,
      },
    );
  }
  if (has.upload) {
    out.push({
      name: "upload_facts",
      sql: `INSERT INTO stat_inst
            SELECT u."uploaderInstitutionId", 'uploads', d.dim, d.key, count(*)
              FROM "Upload" u CROSS JOIN LATERAL (VALUES ('', ''), ('category', u.category::text), ('kind', u.kind::text)) AS d(dim, key)
             WHERE u."createdAt" >= $2 AND u."createdAt" < $3 AND u.status = 'READY'
             GROUP BY 1, 3, 4`,
    });
  }
  if (has.recording) {
    // Milliseconds (whole numbers) here; minutes once rolled up.
    out.push({
      name: "recording_facts",
      sql: `INSERT INTO stat_inst
            SELECT r."institutionId", 'recording_minutes', d.dim, d.key, sum(r."durationMs")
              FROM "Recording" r CROSS JOIN LATERAL (VALUES ('', ''), ('subject', r.subject::text)) AS d(dim, key)
             WHERE r."stoppedAt" >= $2 AND r."stoppedAt" < $3 AND r.status = 'READY' AND r."durationMs" IS NOT NULL
             GROUP BY 1, 3, 4`,
    });
  }
  out.push(
    {
      name: "rollup_sums",
      sql: insertSql("stat_inst", "SUM(v)", [
        ["", "CASE WHEN g.metric = 'recording_minutes' THEN (g.agg::numeric / 60000)::float8 ELSE g.agg END"],
      ]),
    },
    {
      // Both percentiles from one sort per group.
      name: "rollup_percentiles",
      sql: insertSql("stat_dur", "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY v)", [
        ["_p50", "g.agg[1]"],
        ["_p90", "g.agg[2]"],
      ]),
    },
    {
      // The month's new rows against its stored ones, read once (one join over the month's range of the primary key):
      // only what differs is written. Deleting the month and inserting it again cost more than computing it, as
      // every insert met its own deleted twin in the primary key (a uniqueness check of a dead row per row).
      name: "diff",
      sql: `CREATE TEMP TABLE stat_diff ON COMMIT DROP AS
            SELECT COALESCE(n.scope, m.scope) AS scope, COALESCE(n."scopeId", m."scopeId") AS "scopeId",
                   COALESCE(n.metric, m.metric) AS metric, COALESCE(n.dimension, m.dimension) AS dimension,
                   COALESCE(n.key, m.key) AS key, n.value, m.value IS NULL AS added, n.value IS NULL AS gone
              FROM (SELECT scope, "scopeId", metric, dimension, key, value FROM "MonthlyStat" WHERE month = $1::date) m
              FULL JOIN stat_month n
                ON n.scope = m.scope AND n."scopeId" = m."scopeId" AND n.metric = m.metric AND n.dimension = m.dimension AND n.key = m.key
             WHERE m.value IS DISTINCT FROM n.value;
            ANALYZE stat_diff`,
    },
    {
      name: "write",
      sql: `DELETE FROM "MonthlyStat" s USING stat_diff d
             WHERE d.gone AND s.month = $1::date AND s.scope = d.scope AND s.metric = d.metric AND s.dimension = d.dimension
               AND s.key = d.key AND s."scopeId" = d."scopeId";
            UPDATE "MonthlyStat" s SET value = d.value, "computedAt" = now() FROM stat_diff d
             WHERE NOT d.added AND NOT d.gone AND s.month = $1::date AND s.scope = d.scope AND s.metric = d.metric
               AND s.dimension = d.dimension AND s.key = d.key AND s."scopeId" = d."scopeId";
            INSERT INTO "MonthlyStat" (month, scope, "scopeId", metric, dimension, key, value, "computedAt")
            SELECT $1::date, scope, "scopeId", metric, dimension, key, value, now() FROM stat_diff WHERE added
             ORDER BY scope, "scopeId"`, // by scope: the read index is written in order, a scope's month on few pages
    },
  );
  return out;
}

/** Institution → consortia (explicit members, plus every institution for consortia that cover the province). */
const MEMBERS = `
  SELECT "consortiumId" AS cid, "institutionId" AS inst FROM "ConsortiumMember"
  UNION
  SELECT c.id, i.id FROM "Consortium" c CROSS JOIN "Institution" i WHERE c."coversAll"`;

/**
 * Rolls a staged table up to every scope: grouping sets give institution, county, city, tier and province in one
 * scan; consortia (an institution can belong to several) come from a join on memberships. `agg` is computed once
 * per group; each output is one row (metric suffix, value expression of `agg` and `metric`) of the month's new rows
 * (`stat_month`, compared with the stored ones by the `diff` step). Ids stay uuid and texts are grouped in "C"
 * collation until the output: the grouping sets sort the staged rows four times, and uuid / byte comparisons cost a
 * fraction of the database collation's (the groups, hence the results, are the same).
 */
function insertSql(staged: string, agg: string, outputs: [suffix: string, value: string][]): string {
  const out = `CROSS JOIN LATERAL (VALUES ${outputs.map(([suffix, value]) => `('${suffix}', ${value})`).join(", ")}) AS o(suffix, value)`;
  return `
    WITH members AS (${MEMBERS}),
    scoped AS MATERIALIZED (
      SELECT f.inst, f.metric COLLATE "C" AS metric, f.dim COLLATE "C" AS dim, f.key COLLATE "C" AS key, f.v,
             i.id AS inst_id, i."countyId" AS county, i."cityId" AS city, i.tier
        FROM ${staged} f JOIN "Institution" i ON i.id = f.inst
    ),
    grouped AS (
      SELECT CASE GROUPING(inst_id, county, city, tier)
               WHEN 7 THEN 'INSTITUTION' WHEN 11 THEN 'COUNTY' WHEN 13 THEN 'CITY' WHEN 14 THEN 'TIER' ELSE 'PROVINCE' END AS scope,
             CASE GROUPING(inst_id, county, city, tier)
               WHEN 7 THEN inst_id::text WHEN 11 THEN county::text WHEN 13 THEN city::text WHEN 14 THEN tier::text
               ELSE 'PROVINCE' END AS scope_id,
             metric, dim, key, ${agg} AS agg
        FROM scoped
       GROUP BY metric, dim, key, GROUPING SETS ((inst_id), (county), (city), (tier), ())
      UNION ALL
      SELECT 'CONSORTIUM', m.cid::text, f.metric, f.dim, f.key, ${agg.replace(/\bv\b/g, "f.v")}
        FROM scoped f JOIN members m ON m.inst = f.inst
       GROUP BY m.cid, f.metric, f.dim, f.key
    )
    INSERT INTO stat_month (scope, "scopeId", metric, dimension, key, value)
    SELECT g.scope::"StatScope", g.scope_id, g.metric || o.suffix, g.dim, g.key, o.value
      FROM grouped g ${out}
     WHERE g.scope_id IS NOT NULL`;
}

/**
 * The statements of a step, ready to run: the month's bounds are expressions of its first day, which is inlined
 * (validated by monthStart; statement lists and CREATE TABLE AS cannot take parameters).
 */
function statements(step: Step, start: string): string[] {
  const first = `'${start}'::date`;
  const from = `((${first})::timestamp AT TIME ZONE '${TZ}')`;
  const to = `(((${first} + interval '1 month')::timestamp) AT TIME ZONE '${TZ}')`;
  return step.sql
    .replace(/\$2/g, from)
    .replace(/\$3/g, to)
    .replace(/\$1::(date|text)/g, `'${start}'::$1`)
    .split(";")
    .map((q) => q.trim())
    .filter(Boolean);
}

async function sources(db: Db): Promise<Sources> {
  return {
    referral: await tableExists(db, "Referral"),
    training: (await tableExists(db, "TrainingSession")) && (await tableExists(db, "TrainingAttendance")),
    upload: await tableExists(db, "Upload"),
    recording: await tableExists(db, "Recording"),
  };
}

/** Recomputes one month (YYYY-MM). Idempotent; concurrent recomputes of the same month queue on a lock. */
export async function computeMonth(db: Db, month: string): Promise<MonthResult> {
  const start = monthStart(month);
  const t0 = Date.now();
  const plan = steps(await sources(db));
  const timings: StepTiming[] = [];
  const rows = await db.$transaction(
    async (tx) => {
      let n = 0;
      for (const step of plan) {
        const t = performance.now();
        for (const q of statements(step, start)) {
          const affected = await tx.$executeRawUnsafe(q);
          if (step.name.startsWith("rollup_")) n += affected;
        }
        timings.push({ name: step.name, ms: performance.now() - t });
      }
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
  return { month, rows, durationMs: Date.now() - t0, steps: timings };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of each statement of a month's recompute, run inside a transaction that is rolled back
 * (the rollups stay as they were). For the statistics bench's profile.
 */
export async function explainMonth(db: Db, month: string): Promise<{ name: string; ms: number; plan: string }[]> {
  const start = monthStart(month);
  const plan = steps(await sources(db));
  const out: { name: string; ms: number; plan: string }[] = [];
  const rollback = new Error("rollback");
  await db
    .$transaction(
      async (tx) => {
        for (const step of plan) {
          const t = performance.now();
          const plans: string[] = [];
          for (const q of statements(step, start)) {
            // Utility statements (DDL, ANALYZE, the lock) have no plan worth showing: run them as they are.
            if (/^(CREATE TEMP TABLE [a-z_]+ \(|ANALYZE|SET|SELECT pg_advisory)/.test(q)) {
              await tx.$executeRawUnsafe(q);
              continue;
            }
            const r = await tx.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN (ANALYZE, BUFFERS) ${q}`);
            plans.push(r.map((l) => l["QUERY PLAN"]).join("\n"));
          }
          out.push({ name: step.name, ms: performance.now() - t, plan: plans.join("\n\n") });
        }
        throw rollback;
      },
      { timeout: 30 * 60_000, maxWait: 10 * 60_000 },
    )
    .catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
  return out;
}

/**
 * Months recomputed at once (a year here, recompute jobs in the worker): each in its own transaction and connection,
 * one month's statements keep one PostgreSQL core busy, so a two-core database takes two.
 */
export const MONTHS_AT_ONCE = 2;

/** All twelve months of a year, MONTHS_AT_ONCE at a time; results in month order. */
export async function computeYear(db: Db, year: number): Promise<MonthResult[]> {
  const months = Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, "0")}`);
  const out: MonthResult[] = new Array(months.length);
  let next = 0;
  const lane = async () => {
    while (next < months.length) {
      const i = next++;
      out[i] = await computeMonth(db, months[i]!);
    }
  };
  await Promise.all(Array.from({ length: MONTHS_AT_ONCE }, lane));
  return out;
}
