// bench notify: 2,000 authenticated Socket.IO clients (each in its personal and institution rooms) spread over
// two server processes joined through Redis. Consultation events are raised inside the servers through the
// product's notification path at 500/s and 2,000/s, each to one user's personal room on either process, and
// trigger-to-receipt latency is measured (sender stamps performance.timeOrigin + performance.now()). The same
// load then runs against two bare socket.io servers with the same Redis adapter setup; ratio_vs_bare = p95/p95.
import { performance } from "node:perf_hooks";
import { loadavg } from "node:os";
import pg from "pg";
import { Redis } from "ioredis";
import { io as connect, type Socket } from "socket.io-client";
import {
  benchTokens,
  createBenchDatabase,
  dropBenchDatabase,
  emit,
  log,
  percentile,
  startProcess,
  stopProcess,
} from "./lib";

const BENCH = "notify";
const DB = "yilian_bench_notify";
const CLIENTS = 2000;
const PHASES = [
  // seconds per side, measured in alternating one-second slices
  { rate: 500, seconds: 5 },
  { rate: 2000, seconds: 5 },
];
const SECRET = "bench-notify-secret-bench-notify-secret-0123";

interface BenchUser {
  id: string;
  institutionId: string;
  token?: string;
}

const now = () => performance.timeOrigin + performance.now();

async function connectAll(
  urls: string[],
  users: BenchUser[],
  auth: (u: BenchUser) => Record<string, string>,
  onEvent: (ms: number) => void,
): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < users.length; i += 100) {
    const batch = users.slice(i, i + 100).map(
      (u, j) =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(urls[(i + j) % urls.length]!, {
            auth: auth(u),
            transports: ["websocket"],
            reconnection: false,
            forceNew: true,
          });
          s.on("consultation:scheduled", (e: { sentAt: number }) => onEvent(now() - e.sentAt));
          s.once("connect", () => resolve(s));
          s.once("connect_error", (err) => reject(err));
        }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

/** Paced triggers: every 10 ms, as many as the elapsed time calls for, split over the servers' channels. */
async function drive(
  redis: Redis,
  channels: string[],
  users: BenchUser[],
  rate: number,
  seconds: number,
): Promise<number> {
  const t0 = performance.now();
  let sent = 0;
  const total = rate * seconds;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      const batches: string[][] = channels.map(() => []);
      for (; sent < due; sent++)
        batches[sent % channels.length]!.push(users[Math.floor(Math.random() * users.length)]!.id);
      batches.forEach((b, i) => b.length && void redis.publish(channels[i]!, JSON.stringify(b)));
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  return sent;
}

interface Side {
  label: string;
  urls: string[];
  channels: string[];
  auth: (u: BenchUser) => Record<string, string>;
  lat: number[];
  sent: number;
}

/**
 * Both sides connected at once, measured in alternating one-second slices at each rate, so machine noise
 * (other processes, GC in this client process) hits both alike.
 */
async function measureInterleaved(sides: Side[], users: BenchUser[], redis: Redis) {
  const sockets: Socket[] = [];
  for (const side of sides) {
    log(`${side.label}: connecting ${users.length} clients`);
    sockets.push(...(await connectAll(side.urls, users, side.auth, (ms) => side.lat.push(ms))));
  }
  await new Promise((r) => setTimeout(r, 1000));
  for (const side of sides) await drive(redis, side.channels, users, 500, 1); // warm-up
  await new Promise((r) => setTimeout(r, 1000));
  const out: Record<string, Record<number, { p50: number; p95: number; p99: number; lost: number }>> = {};
  for (const { rate, seconds } of PHASES) {
    for (const side of sides) {
      side.lat = [];
      side.sent = 0;
    }
    for (let slice = 0; slice < seconds; slice++) {
      const order = slice % 2 ? [...sides].reverse() : sides;
      for (const side of order) {
        side.sent += await drive(redis, side.channels, users, rate, 1);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    await new Promise((r) => setTimeout(r, 1500));
    for (const side of sides) {
      const lat = side.lat.sort((a, b) => a - b);
      (out[side.label] ??= {})[rate] = {
        p50: percentile(lat, 50),
        p95: percentile(lat, 95),
        p99: percentile(lat, 99),
        lost: side.sent - lat.length,
      };
      const r = out[side.label]![rate]!;
      log(
        `${side.label} ${rate}/s: p50 ${r.p50.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, lost ${r.lost}`,
      );
    }
  }
  sockets.forEach((s) => s.disconnect());
  return out;
}

export default async function run(): Promise<void> {
  log("creating and seeding the bench database");
  const databaseUrl = await createBenchDatabase(DB);
  const prefix = `yilian-bench-notify-${process.pid}`;
  const redis = new Redis();
  const children: Awaited<ReturnType<typeof startProcess>>[] = [];
  try {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const rows = (
      await db.query(
        `SELECT u.id, u.username, u.roles, u."institutionId", u."departmentId", i.tier FROM "User" u JOIN "Institution" i ON i.id = u."institutionId"
         WHERE u.active AND u."regionId" IS NULL ORDER BY u.username LIMIT $1`,
        [CLIENTS],
      )
    ).rows as {
      id: string;
      username: string;
      roles: string;
      institutionId: string;
      departmentId: string | null;
      tier: string;
    }[];
    await db.end();
    if (rows.length < CLIENTS) throw new Error(`only ${rows.length} users seeded`);
    // Access tokens signed with the servers' secret (2,000 password logins would only measure argon2).
    const tokenFor = benchTokens(redis, prefix, SECRET, 3600);
    const users: BenchUser[] = await Promise.all(
      rows.map(async (r) => ({ id: r.id, institutionId: r.institutionId, token: await tokenFor(r) })),
    );

    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_PREFIX: prefix,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SEED_DEMO_DATA: "false",
      JWT_SECRET: SECRET,
      NODE_ENV: "production",
      PATIENT_DATA_KEY: Buffer.alloc(32, 7).toString("base64"),
    };
    const channels = [`${prefix}:bench-trigger:0`, `${prefix}:bench-trigger:1`];

    log("starting two product server processes and two bare socket.io processes");
    const bareChannels = channels.map((c) => `${c}:bare`);
    const [product, bareServers] = await Promise.all([
      Promise.all(
        channels.map((ch) =>
          startProcess(
            process.execPath,
            ["--import", "tsx", "bench/baselines/notify-product-server.ts"],
            { ...env, BENCH_TRIGGER_CHANNEL: ch },
            /product listening on (http:\/\/\S+)/,
            120_000,
          ),
        ),
      ),
      Promise.all(
        bareChannels.map((ch) =>
          startProcess(
            process.execPath,
            ["--import", "tsx", "bench/baselines/notify-bare-server.ts"],
            { REDIS_PREFIX: `${prefix}-bare`, BENCH_TRIGGER_CHANNEL: ch },
            /bare listening on (http:\/\/\S+)/,
            120_000,
          ),
        ),
      ),
    ]);
    children.push(...product, ...bareServers);
    const res = await measureInterleaved(
      [
        {
          label: "product",
          urls: product.map((s) => s.match[1]!),
          channels,
          auth: (u) => ({ token: u.token! }),
          lat: [],
          sent: 0,
        },
        {
          label: "bare",
          urls: bareServers.map((s) => s.match[1]!),
          channels: bareChannels,
          auth: (u) => ({ userId: u.id, institutionId: u.institutionId }),
          lat: [],
          sent: 0,
        },
      ],
      users,
      redis,
    );
    const p = res.product!;
    const bare = res.bare!;

    emit(BENCH, "p50_ms", p[2000]!.p50, "ms");
    emit(BENCH, "p95_ms", p[2000]!.p95, "ms");
    emit(BENCH, "p99_ms", p[2000]!.p99, "ms");
    emit(BENCH, "bare_p95_ms", bare[2000]!.p95, "ms");
    emit(BENCH, "ratio_vs_bare", p[2000]!.p95 / bare[2000]!.p95, "ratio");
    emit(BENCH, "p95_ms_at_500", p[500]!.p95, "ms");
    emit(BENCH, "bare_p95_ms_at_500", bare[500]!.p95, "ms");
    emit(BENCH, "ratio_vs_bare_at_500", p[500]!.p95 / bare[500]!.p95, "ratio");
    emit(BENCH, "lost_events", p[500]!.lost + p[2000]!.lost, "count");
    emit(BENCH, "bare_lost_events", bare[500]!.lost + bare[2000]!.lost, "count");
    // Context for the absolute figures: the machine is shared (2 cores).
    emit(BENCH, "load_avg_1m", loadavg()[0]!, "load");
  } finally {
    await Promise.all(children.map((c) => stopProcess(c.child)));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await dropBenchDatabase(DB);
  }
}
