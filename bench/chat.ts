// bench chat: in-room traffic at scale. CHAT_CLIENTS (default 2,000) authenticated Socket.IO clients in
// consultation rooms of 6, spread over two product server processes joined through the Redis adapter; every room
// carries 5 messages/s (its members take turns) through the product's media:chat:send — validated, rate-limited,
// stored with its audit row, then sent to the others. Send-to-receipt latency per delivery (the text carries the
// sender's clock; all clients live in this process). The same clients and load then run against two bare socket.io
// servers with the same Redis adapter; both sides are connected at once and measured in alternating slices.
// ratio_vs_bare = p95 / bare p95. Quick runs: CHAT_CLIENTS=300 CHAT_SECONDS=4; CHAT_CPU_PROF=<dir> profiles the servers.
import { performance } from "node:perf_hooks";
import { randomUUID } from "node:crypto";
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

const BENCH = "chat";
const DB = "yilian_bench_chat";
const ROOM_SIZE = 6;
const ROOM_RATE = 5; // messages per second per room
const CLIENTS = Number(process.env.CHAT_CLIENTS ?? 2000);
const SECONDS = Number(process.env.CHAT_SECONDS ?? 10); // per side, in 1 s slices
const SECRET = "bench-chat-secret-bench-chat-secret-0123456";
const PATIENT_DATA_KEY = Buffer.alloc(32, 7).toString("base64");

const now = () => performance.timeOrigin + performance.now();

interface Member {
  socket: Socket;
  room: number;
}

interface Side {
  label: string;
  members: Member[][]; // per room
  lat: number[];
  sent: number;
  refused: number;
  /** Why sends were refused (error code or timeout), for the log. */
  reasons: Record<string, number>;
}

function ack<T>(s: Socket, event: string, ...args: unknown[]): Promise<T> {
  return s
    .timeout(30_000)
    .emitWithAck(event, ...args)
    .then((a: { ok: boolean; data?: T; error?: { code: string; message: string } }) => {
      if (!a.ok) throw new Error(`${event}: ${a.error?.code} ${a.error?.message}`);
      return a.data as T;
    });
}

async function connectSide(
  label: string,
  urls: string[],
  rooms: number,
  auth: (room: number, member: number) => Record<string, string>,
  join?: (s: Socket, room: number) => Promise<void>,
): Promise<Side> {
  const side: Side = { label, members: [], lat: [], sent: 0, refused: 0, reasons: {} };
  const all: { room: number; member: number }[] = [];
  for (let r = 0; r < rooms; r++) for (let m = 0; m < ROOM_SIZE; m++) all.push({ room: r, member: m });
  for (let i = 0; i < all.length; i += 50) {
    await Promise.all(
      all.slice(i, i + 50).map(async ({ room, member }, j) => {
        // Members of one room alternate between the servers: every room crosses the adapter.
        const s = connect(urls[(i + j) % urls.length]!, {
          auth: auth(room, member),
          transports: ["websocket"],
          reconnection: false,
          forceNew: true,
        });
        await new Promise<void>((resolve, reject) => {
          s.once("connect", () => resolve());
          s.once("connect_error", reject);
        });
        s.on("media:chat", (m: { text: string }) => {
          const at = Number(m.text.split(" ")[0]);
          if (Number.isFinite(at)) side.lat.push(now() - at);
        });
        if (join) await join(s, room);
        (side.members[room] ??= [])[member] = { socket: s, room };
      }),
    );
    if (i % 500 === 0) log(`${label}: ${i + 50} / ${all.length} connected`);
  }
  return side;
}

/** One second of traffic: every room sends ROOM_RATE messages, spread evenly, its members taking turns. */
async function drive(side: Side, seconds: number, turn: { n: number }): Promise<void> {
  const rooms = side.members.length;
  const total = rooms * ROOM_RATE * seconds;
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rooms * ROOM_RATE));
      for (; sent < due; sent++) {
        const room = sent % rooms;
        const member = side.members[room]![Math.floor(turn.n++ / rooms) % ROOM_SIZE]!;
        side.sent++;
        void ack(member.socket, "media:chat:send", { text: `${now()} 血压 135/85，心率 72` }).catch((e: Error) => {
          side.refused++;
          const why = e.message.split(" ").slice(0, 2).join(" ");
          side.reasons[why] = (side.reasons[why] ?? 0) + 1;
        });
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
}

export default async function run(): Promise<void> {
  const rooms = Math.floor(CLIENTS / ROOM_SIZE);
  log(
    `scale: ${rooms * ROOM_SIZE} clients in ${rooms} rooms of ${ROOM_SIZE}, ${ROOM_RATE} msg/s per room (${rooms * ROOM_RATE} msg/s), ${SECONDS} s per side`,
  );
  log("creating and seeding the bench database");
  const databaseUrl = await createBenchDatabase(DB);
  const prefix = `yilian-bench-chat-${process.pid}`;
  const redis = new Redis();
  const children: Awaited<ReturnType<typeof startProcess>>[] = [];
  const sockets: Socket[] = [];
  try {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const rows = (
      await db.query(
        `SELECT u.id, u.username, u.roles, u."institutionId", u."departmentId", i.tier FROM "User" u JOIN "Institution" i ON i.id = u."institutionId"
         WHERE u.active AND u."regionId" IS NULL ORDER BY u.username LIMIT $1`,
        [rooms * ROOM_SIZE],
      )
    ).rows as {
      id: string;
      username: string;
      roles: string;
      institutionId: string;
      departmentId: string | null;
      tier: string;
    }[];
    if (rows.length < rooms * ROOM_SIZE) throw new Error(`only ${rows.length} users seeded`);
    // One open (emergency, in progress) consultation per room; its six members are its participants.
    const consultations: string[] = [];
    for (let r = 0; r < rooms; r++) {
      const id = randomUUID();
      const members = rows.slice(r * ROOM_SIZE, (r + 1) * ROOM_SIZE);
      await db.query(
        `INSERT INTO "Consultation" (id, number, status, urgency, "requestingInstitutionId", "requestingDoctorId", "targetInstitutionId", "patientName", "patientSex", "patientBirthDate", "submittedAt", "createdAt", "updatedAt")
         VALUES ($1, $2, 'IN_PROGRESS', 'EMERGENCY', $3, $4, $3, '基准患者', 'MALE', '1960-01-01', now(), now(), now())`,
        [id, `BENCH-CHAT-${r}`, members[0]!.institutionId, members[0]!.id],
      );
      await db.query(
        `INSERT INTO "ConsultationParticipant" ("consultationId", "userId", role) SELECT $1, u, CASE WHEN o = 1 THEN 'REQUESTER' ELSE 'SPECIALIST' END::"ParticipantRole" FROM unnest($2::uuid[]) WITH ORDINALITY AS t(u, o)`,
        [id, members.map((m) => m.id)],
      );
      consultations.push(id);
    }
    await db.end();
    const tokenOf = await Promise.all(rows.map(benchTokens(redis, prefix, SECRET, 3600)));

    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_PREFIX: prefix,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SEED_DEMO_DATA: "false",
      JWT_SECRET: SECRET,
      NODE_ENV: "production",
      PATIENT_DATA_KEY,
      TURN_ENABLED: "false",
      MEDIA_WORKERS: "1",
      MEDIA_WEBRTC_PORT: "0",
    };
    log("starting two product server processes and two bare socket.io processes");
    const [product, bare] = await Promise.all([
      Promise.all(
        [0, 1].map(() =>
          startProcess(
            process.execPath,
            [
              // CHAT_CPU_PROF=<dir>: a V8 CPU profile of each product server (where the time per message goes).
              ...(process.env.CHAT_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.CHAT_CPU_PROF}`] : []),
              "--import",
              "tsx",
              "server/src/main.ts",
            ],
            env,
            /listening on (http:\/\/\S+)/,
            120_000,
          ),
        ),
      ),
      Promise.all(
        [0, 1].map(() =>
          startProcess(
            process.execPath,
            ["--import", "tsx", "bench/baselines/chat-bare-server.ts"],
            { REDIS_PREFIX: `${prefix}-bare` },
            /bare listening on (http:\/\/\S+)/,
            120_000,
          ),
        ),
      ),
    ]);
    children.push(...product, ...bare);

    const sides = [
      await connectSide(
        "product",
        product.map((p) => p.match[1]!),
        rooms,
        (r, m) => ({ token: tokenOf[r * ROOM_SIZE + m]! }),
        async (s, r) => {
          await ack(s, "media:join", { kind: "consultation", roomId: consultations[r] });
        },
      ),
      await connectSide(
        "bare",
        bare.map((p) => p.match[1]!),
        rooms,
        (r) => ({ room: `consultation:${r}` }),
      ),
    ];
    for (const side of sides) for (const room of side.members) for (const m of room) sockets.push(m.socket);
    const turn = { n: 0 };
    for (const side of sides) await drive(side, 1, turn); // warm-up
    await new Promise((r) => setTimeout(r, 2000));
    for (const side of sides) Object.assign(side, { lat: [], sent: 0, refused: 0, reasons: {} });
    for (let slice = 0; slice < SECONDS; slice++) {
      for (const side of slice % 2 ? [...sides].reverse() : sides) {
        await drive(side, 1, turn);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await new Promise((r) => setTimeout(r, 3000));
    const [p, b] = sides.map((s) => {
      const lat = s.lat.sort((x, y) => x - y);
      const expected = (s.sent - s.refused) * (ROOM_SIZE - 1);
      const r = {
        p50: percentile(lat, 50),
        p95: percentile(lat, 95),
        p99: percentile(lat, 99),
        delivered: lat.length,
        expected,
        refused: s.refused,
      };
      log(
        `${s.label}: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.delivered}/${r.expected} deliveries, ${r.refused} sends refused ${JSON.stringify(s.reasons)}`,
      );
      return r;
    }) as [
      { p50: number; p95: number; p99: number; delivered: number; expected: number; refused: number },
      { p50: number; p95: number; p99: number; delivered: number; expected: number; refused: number },
    ];
    emit(BENCH, "clients", rooms * ROOM_SIZE, "count");
    emit(BENCH, "messages_per_s", rooms * ROOM_RATE, "1/s");
    emit(BENCH, "p50_ms", p.p50, "ms");
    emit(BENCH, "p95_ms", p.p95, "ms");
    emit(BENCH, "p99_ms", p.p99, "ms");
    emit(BENCH, "bare_p95_ms", b.p95, "ms");
    emit(BENCH, "ratio_vs_bare", p.p95 / b.p95, "ratio");
    emit(BENCH, "undelivered", p.expected - p.delivered, "count");
    emit(BENCH, "refused_sends", p.refused, "count");
    emit(BENCH, "bare_undelivered", b.expected - b.delivered, "count");
    emit(BENCH, "load_avg_1m", loadavg()[0]!, "load");
  } finally {
    sockets.forEach((s) => s.disconnect());
    await Promise.all(children.map((c) => stopProcess(c.child)));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await dropBenchDatabase(DB);
  }
}
