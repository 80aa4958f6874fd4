// bench booking: 200 concurrent attempts to book one specialist's one slot through the real server process
// (each for its own accepted consultation). Exactly one may win; double_bookings counts overlapping busy rows
// of that specialist in PostgreSQL afterwards (must be 0). Before it, 50 bookings one at a time
// (single_p50_ms); after it, the same race against a raw baseline (bare_p99_ms, ratio_vs_bare), then 200 bookings of
// distinct slots, 10 at a time. The server runs with PROFILE_REQUESTS: each answer's Server-Timing says where its
// time went (queries, phases), printed per run.
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import pg from "pg";
import {
  createBenchDatabase,
  deleteRedisKeys,
  dropBenchDatabase,
  emit,
  emitProfile,
  log,
  parseServerTiming,
  percentile,
  startProcess,
  stopProcess,
} from "./lib";

const BENCH = "booking";
const DB = "yilian_bench_booking";
const ATTEMPTS = 200;
const SINGLE = 50;
const SLOT_MS = 15 * 60_000;

async function login(base: string, username: string) {
  const r = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: "Yilian@2024" }),
  });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status}`);
  return (await r.json()) as { accessToken: string; user: { id: string; institution: { id: string } } };
}

async function post(base: string, token: string, path: string, body: unknown) {
  const t0 = performance.now();
  const r = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  await r.arrayBuffer();
  return { status: r.status, ms: performance.now() - t0, timing: parseServerTiming(r.headers.get("server-timing")) };
}

/** Accepted consultations assigned to the specialist, written directly (the path to ACCEPTED is not measured). */
async function acceptedConsultations(
  db: pg.Client,
  n: number,
  doctor: { id: string; inst: string },
  target: string,
  specialistId: string,
): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  for (const id of ids) {
    await db.query(
      `INSERT INTO "Consultation" (id, number, status, urgency, "requestingInstitutionId", "requestingDoctorId", "patientName", "patientSex", "patientBirthDate", "specialtyCode", "targetInstitutionId", "acceptedAt", "updatedAt")
       VALUES ($1, $2, 'ACCEPTED', 'ROUTINE', $3, $4, '基准患者', 'MALE', '1970-01-01', 'CARDIOLOGY', $5, now(), now())`,
      [id, `BENCH-${id.slice(0, 8)}`, doctor.inst, doctor.id, target],
    );
    await db.query(
      `INSERT INTO "ConsultationParticipant" ("consultationId", "userId", role) VALUES ($1, $2, 'REQUESTER'), ($1, $3, 'SPECIALIST')`,
      [id, doctor.id, specialistId],
    );
  }
  return ids;
}

export default async function run(): Promise<void> {
  log("creating and seeding the bench database");
  const databaseUrl = await createBenchDatabase(DB);
  const prefix = `yilian-bench-booking-${process.pid}`;
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: prefix,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    LOGIN_RATE_LIMIT: "100000",
    SEED_DEMO_DATA: "false",
    PROFILE_REQUESTS: "true",
  };
  const server = await startProcess(
    process.execPath,
    ["--import", "tsx", "server/src/main.ts"],
    env,
    /listening on (http:\/\/\S+)/,
  );
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const base = server.match[1]!;
    const [coord, spec, doctor] = await Promise.all([
      login(base, "coord.jdyy"),
      login(base, "spec.jdyy.1"),
      login(base, "doctor.hadashan"),
    ]);
    const day = new Date(Date.now() + 8 * 3600_000 + 7 * 86_400_000).toISOString().slice(0, 10);
    const start = new Date(`${day}T02:00:00Z`); // 10:00 Asia/Shanghai, a week ahead
    // A long one-off window: slot 0 is contended, the next ones serve the single and uncontended runs (reserved
    // share 0).
    await db.query(
      `INSERT INTO "SchedulingPolicy" ("institutionId", "reservedReferralShare", "updatedAt") VALUES ($1, 0, now())`,
      [coord.user.institution.id],
    );
    const w = await post(base, spec.accessToken, `/api/specialists/${spec.user.id}/availability/windows`, {
      kind: "OPEN",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + (1 + SINGLE + ATTEMPTS) * SLOT_MS).toISOString(),
      slotMinutes: 15,
    });
    if (w.status !== 201) throw new Error(`availability window: ${w.status}`);

    const docRef = { id: doctor.user.id, inst: doctor.user.institution.id };
    const slotAt = (i: number) => new Date(start.getTime() + i * SLOT_MS).toISOString();

    log(`${SINGLE} bookings one at a time`);
    const singles = await acceptedConsultations(db, SINGLE, docRef, coord.user.institution.id, spec.user.id);
    const single: Awaited<ReturnType<typeof post>>[] = [];
    for (const [i, id] of singles.entries())
      single.push(await post(base, coord.accessToken, `/api/consultations/${id}/booking`, { startsAt: slotAt(1 + i) }));
    const singleOk = single.filter((r) => r.status === 201);
    const singleMs = singleOk.map((r) => r.ms).sort((a, b) => a - b);
    const ids = await acceptedConsultations(db, ATTEMPTS, docRef, coord.user.institution.id, spec.user.id);
    log(`${ATTEMPTS} concurrent attempts on one slot`);
    const results = await Promise.all(
      ids.map((id) =>
        post(base, coord.accessToken, `/api/consultations/${id}/booking`, { startsAt: start.toISOString() }),
      ),
    );
    const won = results.filter((r) => r.status === 201).length;
    const conflicts = results.filter((r) => r.status === 409).length;
    const other = results.length - won - conflicts;
    const overlaps = Number(
      (
        await db.query(
          `SELECT count(*) AS n FROM "SpecialistBusyTime" a JOIN "SpecialistBusyTime" b
             ON a."specialistId" = b."specialistId" AND a.id < b.id AND tstzrange(a."startsAt", a."endsAt") && tstzrange(b."startsAt", b."endsAt")
           WHERE a."specialistId" = $1`,
          [spec.user.id],
        )
      ).rows[0].n,
    );
    const lat = results.map((r) => r.ms).sort((a, b) => a - b);
    log(`won ${won}, 409 ${conflicts}, other ${other}`);

    // The same race against the least a booking can be (baselines/raw-booking-server.ts: one INSERT the exclusion
    // constraint refuses), on a time after the window: the floor of this machine for 200 requests at once.
    log(`${ATTEMPTS} concurrent attempts on one slot through the raw baseline`);
    const raw = await startProcess(
      process.execPath,
      ["--import", "tsx", "bench/baselines/raw-booking-server.ts"],
      { DATABASE_URL: databaseUrl },
      /raw booking listening on (\d+)/,
    );
    const rawSlot = { startsAt: slotAt(2 + SINGLE + ATTEMPTS), endsAt: slotAt(3 + SINGLE + ATTEMPTS) };
    const bare = await Promise.all(
      ids.map(() => post(`http://127.0.0.1:${raw.match[1]}`, "", "/book", { specialistId: spec.user.id, ...rawSlot })),
    );
    await stopProcess(raw.child);
    const bareLat = bare.map((r) => r.ms).sort((a, b) => a - b);
    const bareWon = bare.filter((r) => r.status === 201).length;
    if (bareWon !== 1 || bare.some((r) => r.status !== 201 && r.status !== 409))
      throw new Error(`raw baseline: ${bareWon} won, statuses ${[...new Set(bare.map((r) => r.status))]}`);

    log(`${ATTEMPTS} uncontended bookings of distinct slots, 10 at a time`);
    const more = await acceptedConsultations(db, ATTEMPTS, docRef, coord.user.institution.id, spec.user.id);
    const unc: number[] = [];
    let failed = 0;
    const uncTimings: Map<string, number>[] = [];
    for (let i = 0; i < more.length; i += 10) {
      const batch = await Promise.all(
        more
          .slice(i, i + 10)
          .map((id, j) =>
            post(base, coord.accessToken, `/api/consultations/${id}/booking`, { startsAt: slotAt(1 + SINGLE + i + j) }),
          ),
      );
      for (const r of batch) {
        if (r.status !== 201) failed++;
        else {
          unc.push(r.ms);
          uncTimings.push(r.timing);
        }
      }
    }
    unc.sort((a, b) => a - b);

    emit(BENCH, "single_p50_ms", percentile(singleMs, 50), "ms");
    emit(BENCH, "single_p99_ms", percentile(singleMs, 99), "ms");
    emit(BENCH, "single_failed", SINGLE - singleOk.length, "count");
    emitProfile(
      BENCH,
      "single",
      singleOk.map((r) => r.timing),
    );
    emit(BENCH, "double_bookings", overlaps + Math.max(0, won - 1), "count");
    emit(BENCH, "p50_ms", percentile(lat, 50), "ms");
    emit(BENCH, "p99_ms", percentile(lat, 99), "ms");
    emit(BENCH, "bare_p50_ms", percentile(bareLat, 50), "ms");
    emit(BENCH, "bare_p99_ms", percentile(bareLat, 99), "ms");
    emit(BENCH, "ratio_vs_bare", percentile(lat, 99) / percentile(bareLat, 99), "ratio");
    emitProfile(
      BENCH,
      "contended_winner",
      results.filter((r) => r.status === 201).map((r) => r.timing),
    );
    emitProfile(
      BENCH,
      "contended_409",
      results.filter((r) => r.status === 409).map((r) => r.timing),
    );
    emit(BENCH, "succeeded", won, "count");
    emit(BENCH, "conflicts_409", conflicts, "count");
    emit(BENCH, "other_status", other, "count");
    emit(BENCH, "uncontended_p50_ms", percentile(unc, 50), "ms");
    emit(BENCH, "uncontended_p99_ms", percentile(unc, 99), "ms");
    emit(BENCH, "uncontended_failed", failed, "count");
    emitProfile(BENCH, "uncontended", uncTimings);
    // Context for the absolute figures: the machine is shared (2 cores).
    emit(BENCH, "load_avg_1m", loadavg()[0]!, "load");
  } finally {
    await db.end();
    await stopProcess(server.child);
    await dropBenchDatabase(DB);
    await deleteRedisKeys(prefix);
  }
}
