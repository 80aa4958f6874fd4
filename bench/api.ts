// bench api: 50 concurrent clients log in, then run an authorised institution search (autocannon) against
// the real server process; the same search through a bare node:http + raw pg server in the same run. Login alone
// (one at a time) is compared with one bare argon2 verify of the same hash in this process (login_ratio_vs_hash).
// The server runs with PROFILE_REQUESTS: the Server-Timing of sampled answers says where the time goes.
// The live-session check (access token → session still live) is priced by a second server process that skips it
// (BENCH_SKIP_SESSION_CHECK), loaded in alternation with the real one: session_check_overhead_pct (target ≤ 5 %).
import http from "node:http";
import { loadavg } from "node:os";
import argon2 from "argon2";
import autocannon from "autocannon";
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

const BENCH = "api";
const DB = "yilian_bench_api";
const CLIENTS = 50;
const DURATION_S = 10;
const SINGLE = 40;
const SINGLE_WARMUP = 10;
/** Alternating rounds (with check, without) of the session-check comparison, each this long. */
const AB_ROUNDS = 3;
const AB_DURATION_S = 5;
const SEARCH = "/api/institutions?q=%E5%8D%AB%E7%94%9F%E9%99%A2&tier=TOWNSHIP&limit=20"; // q=卫生院

async function load(url: string, tokens: string[] | null, duration = DURATION_S) {
  let i = 0;
  const result = await autocannon({
    url,
    connections: CLIENTS,
    duration,
    requests: [
      {
        method: "GET",
        path: SEARCH,
        setupRequest: (req) =>
          tokens
            ? { ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[i++ % tokens.length]}` } }
            : req,
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`load on ${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result;
}

export default async function run(): Promise<void> {
  log("creating and seeding the bench database");
  const databaseUrl = await createBenchDatabase(DB);
  const prefix = `yilian-bench-api-${process.pid}`;
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: prefix,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    LOGIN_RATE_LIMIT: "100000",
    JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
    PROFILE_REQUESTS: "true",
  };
  const server = await startProcess(
    process.execPath,
    ["--import", "tsx", "server/src/main.ts"],
    env,
    /listening on (http:\/\/\S+)/,
  );
  const raw = await startProcess(
    process.execPath,
    ["--import", "tsx", "bench/baselines/raw-pg-server.ts"],
    { DATABASE_URL: databaseUrl },
    /raw listening on (\d+)/,
  );
  const unchecked = await startProcess(
    process.execPath,
    ["--import", "tsx", "server/src/main.ts"],
    { ...env, BENCH_SKIP_SESSION_CHECK: "true", SEED_DEMO_DATA: "false" },
    /listening on (http:\/\/\S+)/,
  );
  try {
    const base = server.match[1]!;
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const doctors = (
      await db.query(
        `SELECT username, "passwordHash" FROM "User" WHERE 'DOCTOR' = ANY(roles) ORDER BY username LIMIT $1`,
        [CLIENTS],
      )
    ).rows;
    const users = doctors.map((r) => r.username as string);
    await db.end();

    log(`${SINGLE} logins one at a time, each followed by one bare argon2 verify of the same hash`);
    // Alternated, so that both see the same machine (this host's argon2 time drifts by a fifth between runs), after
    // a warm-up that gets the login path compiled. The client is node:http with a kept-alive connection: fetch's
    // own cost per request is a few milliseconds of this process, not the server's.
    const single: number[] = [];
    const singleTimings: Map<string, number>[] = [];
    const hashMs: number[] = [];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const loginBody = JSON.stringify({ username: users[0], password: "Yilian@2024" });
    for (let i = 0; i < SINGLE_WARMUP + SINGLE; i++) {
      let t0 = performance.now();
      const r = await postJson(agent, `${base}/api/auth/login`, loginBody);
      if (r.status !== 200) throw new Error(`login ${users[0]}: ${r.status}`);
      const loginMs = performance.now() - t0;
      t0 = performance.now();
      if (!(await argon2.verify(doctors[0].passwordHash as string, "Yilian@2024")))
        throw new Error("bare verify failed");
      if (i < SINGLE_WARMUP) continue;
      hashMs.push(performance.now() - t0);
      single.push(loginMs);
      singleTimings.push(parseServerTiming(r.serverTiming));
    }
    agent.destroy();
    single.sort((a, b) => a - b);
    hashMs.sort((a, b) => a - b);

    log(`${CLIENTS} concurrent logins`);
    const loginMs: number[] = [];
    const tokens = await Promise.all(
      users.map(async (username) => {
        const t0 = performance.now();
        const r = await fetch(`${base}/api/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username, password: "Yilian@2024" }),
        });
        loginMs.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`login ${username}: ${r.status}`);
        return ((await r.json()) as { accessToken: string }).accessToken;
      }),
    );
    loginMs.sort((a, b) => a - b);

    log("search profile, one request at a time");
    const searchTimings: Map<string, number>[] = [];
    for (let i = 0; i < SINGLE; i++) {
      const r = await fetch(base + SEARCH, { headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } });
      await r.arrayBuffer();
      searchTimings.push(parseServerTiming(r.headers.get("server-timing")));
    }

    // The same tokens again at once: their sessions are now in the server's 1 s cache (the common case under load).
    const cachedTimings: Map<string, number>[] = [];
    for (let i = 0; i < SINGLE; i++) {
      const r = await fetch(base + SEARCH, { headers: { authorization: `Bearer ${tokens[i % tokens.length]}` } });
      await r.arrayBuffer();
      cachedTimings.push(parseServerTiming(r.headers.get("server-timing")));
    }

    log("warm-up");
    await autocannon({
      url: base + SEARCH,
      connections: 10,
      amount: 500,
      headers: { authorization: `Bearer ${tokens[0]}` },
    });
    await autocannon({ url: `http://127.0.0.1:${raw.match[1]}${SEARCH}`, connections: 10, amount: 500 });

    log(`authorised search, ${CLIENTS} clients, ${DURATION_S} s`);
    const ours = await load(base, tokens);
    log(`raw pg search, ${CLIENTS} clients, ${DURATION_S} s`);
    const bare = await load(`http://127.0.0.1:${raw.match[1]}`, null);

    log(`session check: ${AB_ROUNDS} alternating rounds with and without it, ${AB_DURATION_S} s each`);
    // As warm as the other one, which has just run the full load (JIT, connection pool, caches).
    await load(unchecked.match[1]!, tokens);
    const withCheck: number[] = [];
    const withoutCheck: number[] = [];
    for (let round = 0; round < AB_ROUNDS; round++) {
      // Alternate which goes first, so a drift of the machine's load does not favour one side.
      const order = round % 2 === 0 ? [base, unchecked.match[1]!] : [unchecked.match[1]!, base];
      for (const url of order)
        (url === base ? withCheck : withoutCheck).push((await load(url, tokens, AB_DURATION_S)).latency.mean);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

    emit(BENCH, "p50_ms", ours.latency.p50, "ms");
    emit(BENCH, "p99_ms", ours.latency.p99, "ms");
    emit(BENCH, "rps", ours.requests.average, "req/s");
    emit(BENCH, "raw_pg_p50_ms", bare.latency.p50, "ms");
    emit(BENCH, "raw_pg_p99_ms", bare.latency.p99, "ms");
    emit(BENCH, "raw_pg_rps", bare.requests.average, "req/s");
    // Cost of the product stack (Express, auth, zod, Prisma) per request: raw throughput / ours.
    emit(BENCH, "ratio_vs_raw_pg", bare.requests.average / ours.requests.average, "ratio");
    emitProfile(BENCH, "search", searchTimings);
    emit(BENCH, "login_p50_ms", percentile(single, 50), "ms");
    emit(BENCH, "hash_p50_ms", percentile(hashMs, 50), "ms");
    // The request around the hash: login alone / one bare argon2 verify with the same parameters.
    emit(BENCH, "login_ratio_vs_hash", percentile(single, 50) / percentile(hashMs, 50), "ratio");
    emitProfile(BENCH, "login", singleTimings);
    // 50 at once: argon2id at OWASP cost queued on 2 cores, for context.
    emit(BENCH, "login_wave_p50_ms", percentile(loginMs, 50), "ms");
    emit(BENCH, "login_wave_p99_ms", percentile(loginMs, 99), "ms");
    // The same authorised search with and without the live-session check (mean latency over the rounds).
    emit(BENCH, "session_check_on_mean_ms", mean(withCheck), "ms");
    emit(BENCH, "session_check_off_mean_ms", mean(withoutCheck), "ms");
    emit(BENCH, "session_check_overhead_pct", ((mean(withCheck) - mean(withoutCheck)) / mean(withoutCheck)) * 100, "%");
    // The same from the inside, insensitive to the machine's load: the check's share of the server's time per
    // request (Server-Timing of one-at-a-time searches), for a session in the 1 s cache and for the first request of
    // a session in a second (a Redis round trip).
    const share = (ts: Map<string, number>[]) =>
      (mean(ts.map((t) => t.get("session") ?? 0)) / mean(ts.map((t) => t.get("total") ?? 0))) * 100;
    emit(BENCH, "session_check_share_pct", share(cachedTimings), "%");
    emit(BENCH, "session_check_uncached_share_pct", share(searchTimings), "%");
    emit(BENCH, "load_avg_1m", loadavg()[0]!, "load");
  } finally {
    await stopProcess(server.child);
    await stopProcess(unchecked.child);
    await stopProcess(raw.child);
    await dropBenchDatabase(DB);
    await deleteRedisKeys(prefix);
  }
}

/** POST a JSON body; resolves when the answer's last byte has arrived. */
function postJson(
  agent: http.Agent,
  url: string,
  body: string,
): Promise<{ status: number; serverTiming: string | null }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.on("data", () => {});
        res.on("error", reject);
        res.on("end", () =>
          resolve({ status: res.statusCode!, serverTiming: (res.headers["server-timing"] as string) ?? null }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
