// bench ttff: time to first frame. A township doctor publishes a simulcast camera in Chromium; 20 specialists
// join the consultation one after another with random gaps of 0–600 ms (so some land inside each other's
// key-frame window). TTFF = from client.joinRoom() to the first decoded frame of the doctor's camera.
// In one invocation:
//  1. tuned (producer keyFrameRequestDelay 350 ms, joiners start on the lowest layer): p50/p95/max, and per join
//     the time spent in each phase (socket ready → media:join answered → device loaded → transports created →
//     consumers created → ICE connected → DTLS connected → first RTP → key frame → first decoded frame), p50/p95
//     of each as phase_<name>_p50_ms / _p95_ms;
//  2. reconnection in the same room: media back after a network drop (setOffline until the SDK notices, then
//     online again) and after the room's mediasoup worker is killed → rejoin_p95_ms;
//  3. the bare baseline (bench/ttff/bare.ts): the smallest mediasoup-client ↔ mediasoup join, same Chromium,
//     publisher and joins → bare_p50_ms, bare_p95_ms, ratio_vs_bare (p95 / bare p95);
//  4. the SDK again with mediasoup's defaults → default_*.
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createServices, createYilianServer, loadConfig } from "@yilian/server";
import type { MediaService } from "@yilian/media";
import { buildSdk } from "../client-sdk/build";
import { launchBrowser } from "../tests/helpers/chromium";
import { createBenchDatabase, deleteRedisKeys, dropBenchDatabase, emit, log, percentile } from "./lib";
import { openBarePage, startBareServer } from "./ttff/bare";
import { PAGE_INSTRUMENTS } from "./ttff/page";

const BENCH = "ttff";
const DB = "yilian_bench_ttff";
const JOINS = 20;
/** Specialists that stay in the room for the reconnection part. */
const STAYING = 6;
const REDIS_PREFIX = `yilian-bench-ttff-${process.pid}`;

/** The join phases, in order: each is the time from the previous mark to its own. */
const PHASES = [
  ["socket", "socketReady"],
  ["join", "joinAnswered"],
  ["device", "deviceLoaded"],
  ["transports", "transportsCreated"],
  ["consumers", "consumersCreated"],
  ["ice", "iceConnected"],
  ["dtls", "dtlsConnected"],
  ["first_rtp", "firstRtp"],
  ["key_frame", "keyFrame"],
  ["decode", "decoded"],
] as const;
type Marks = { started: number; decoded: number } & Partial<Record<(typeof PHASES)[number][1], number>>;

const SETUP = `async (token) => {
  const sdk = await import("/sdk/yilian-sdk.js");
  window.yl = { client: sdk.createClient({ token }) };
  await new Promise((r) => (window.yl.client.socket.connected ? r() : window.yl.client.socket.once("connect", r)));
}`;
const PUBLISH = `async (roomId) => {
  const room = await window.yl.client.joinRoom(roomId);
  window.yl.room = room;
  await room.publishCamera();
  await room.publishMicrophone();
}`;
/** Joins, waits for the first decoded frame of the doctor's camera; leaves a second later unless told to stay. */
const JOIN_AND_TIME = `async ({ roomId, stay }) => {
  // Viewers stay on the low layer: 20 pages decoding 720p would measure this machine's CPU, not the join.
  const room = await window.yl.client.joinRoom(roomId, { preferredSpatialLayer: 0 });
  window.yl.room = room;
  const camera = () => [...room.tracks.values()].find((t) => t.kind === "video" && t.source === "camera");
  const track = camera() ?? (await new Promise((resolve) => room.on("track", () => camera() && resolve(camera()))));
  const tracked = performance.now();
  const frame = await window.__firstFrame(track.track, () => room.getStats());
  if (!stay) setTimeout(() => room.leave(), 1000);
  return { ...room.timeline, consumersCreated: room.timeline.consumersCreated ?? tracked, ...window.__pcMarks(track.track), ...frame };
}`;
/** Date.now() when the doctor's camera decodes again: a new consumer's first frame, or the same one's next frames. */
const MEDIA_BACK = `async (oldConsumerId) => {
  const room = window.yl.room;
  const frames = async (t) => {
    let n = 0;
    (await room.getStats())?.forEach((s) => s.type === "inbound-rtp" && s.trackIdentifier === t.track.id && (n = s.framesDecoded));
    return n;
  };
  const start = Date.now();
  let base;
  for (;;) {
    const t = [...room.tracks.values()].find((x) => x.kind === "video" && x.source === "camera");
    if (t && t.consumerId !== oldConsumerId) return (await window.__firstFrame(t.track, () => room.getStats())).decodedAt;
    if (t) {
      const n = await frames(t);
      base ??= n;
      if (n > base + 1) return Date.now();
    }
    if (Date.now() - start > 30000) throw new Error("media not back within 30 s");
    await new Promise((r) => setTimeout(r, 10));
  }
}`;

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fires one timed join per page with the bench's random gaps; resolves with each join's marks. */
async function joinInBursts(pages: Page[], join: (p: Page, i: number) => Promise<Marks>): Promise<Marks[]> {
  const random = rng(20261123);
  const timings: Promise<Marks>[] = [];
  for (const [i, p] of pages.entries()) {
    timings.push(join(p, i));
    await new Promise((r) => setTimeout(r, random() * 600));
  }
  return Promise.all(timings);
}

async function openPage(
  browser: Browser,
  baseUrl: string,
  token: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ bypassCSP: true });
  await context.addInitScript({ content: PAGE_INSTRUMENTS });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/sdk/index.html`);
  await page.evaluate(`(${SETUP})(${JSON.stringify(token)})`);
  return { context, page };
}

interface SdkRun {
  joins: Marks[];
  /** Reconnection samples (ms until the doctor's camera decodes again). */
  rejoin: number[];
}

async function runSdk(browser: Browser, databaseUrl: string, label: string, tuned: boolean): Promise<SdkRun> {
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: REDIS_PREFIX,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    SEED_DEMO_DATA: "false",
    LOGIN_RATE_LIMIT: "100000",
    // A media node's default shape here (one worker per core): the room lives on one of them, and when its worker is
    // killed the room moves to the other at once instead of waiting for a new process.
    MEDIA_WORKERS: "2",
    MEDIA_WEBRTC_PORT: "0",
    TURN_ENABLED: "false",
    MEDIA_KEY_FRAME_REQUEST_DELAY_MS: tuned ? "350" : "0",
    MEDIA_CONSUMER_START_LAYER: tuned ? "lowest" : "highest",
  });
  const services = createServices(config);
  const server = createYilianServer(services);
  const { url } = await server.listen();
  const pages: { context: BrowserContext; page: Page }[] = [];
  try {
    const db = services.db;
    const doctor = await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
    const specialists = await db.user.findMany({
      where: { roles: { has: "SPECIALIST" }, active: true },
      take: JOINS,
      orderBy: { username: "asc" },
    });
    const c = await db.consultation.create({
      data: {
        number: `BENCH-${randomUUID().slice(0, 12)}`,
        status: "SCHEDULED",
        requestingInstitutionId: doctor.institutionId,
        requestingDoctorId: doctor.id,
        targetInstitutionId: specialists[0]!.institutionId,
        patientName: "基准测试",
        patientSex: "MALE",
        patientBirthDate: new Date("1970-01-01"),
        scheduledStart: new Date(),
        participants: {
          create: [
            { userId: doctor.id, role: "REQUESTER" },
            ...specialists.map((s) => ({ userId: s.id, role: "SPECIALIST" as const })),
          ],
        },
      },
    });
    const login = async (username: string) => {
      const res = await fetch(`${url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username, password: "Yilian@2024" }),
      });
      if (!res.ok) throw new Error(`login ${username}: ${res.status}`);
      return ((await res.json()) as { accessToken: string }).accessToken;
    };
    const producer = await openPage(browser, url, await login(doctor.username));
    pages.push(producer);
    await producer.page.evaluate(`(${PUBLISH})(${JSON.stringify(c.id)})`);
    const joiners: Page[] = [];
    for (const s of specialists) {
      const p = await openPage(browser, url, await login(s.username));
      pages.push(p);
      joiners.push(p.page);
    }
    await new Promise((r) => setTimeout(r, 2000)); // the producer's encoder ramps up
    log(`${label}: ${joiners.length} joins with random gaps of 0–600 ms`);
    const joins = await joinInBursts(
      joiners,
      (p) => p.evaluate(`(${JOIN_AND_TIME})(${JSON.stringify({ roomId: c.id, stay: false })})`) as Promise<Marks>,
    );
    log(`${label}: join→first frame ms: ${joins.map((m) => Math.round(m.decoded - m.started)).join(" ")}`);
    if (!tuned) return { joins, rejoin: [] };

    // Reconnection: a few specialists stay; their network drops, then the room's mediasoup worker dies.
    await new Promise((r) => setTimeout(r, 1500)); // the timed joiners have left
    const staying = joiners.slice(0, STAYING);
    const stayContexts = pages.slice(1, 1 + STAYING).map((p) => p.context);
    for (const p of staying) await p.evaluate(`(${JOIN_AND_TIME})(${JSON.stringify({ roomId: c.id, stay: true })})`);
    const cameraConsumer = (p: Page) =>
      p.evaluate(`[...window.yl.room.tracks.values()].find((t) => t.source === "camera")?.consumerId`) as Promise<
        string | undefined
      >;
    const rejoin: number[] = [];

    log(`${label}: network drop of ${STAYING} specialists`);
    const before = await Promise.all(staying.map(cameraConsumer));
    const noticed = staying.map((p) =>
      p.evaluate(
        `new Promise((r) => window.yl.room.once ? window.yl.room.once("reconnecting", r) : window.yl.room.on("reconnecting", r))`,
      ),
    );
    await Promise.all(stayContexts.map((ctx) => ctx.setOffline(true)));
    await Promise.race([Promise.all(noticed), new Promise((r) => setTimeout(r, 25_000))]);
    const restored = Date.now();
    const back = staying.map((p, i) => p.evaluate(`(${MEDIA_BACK})(${JSON.stringify(before[i])})`) as Promise<number>);
    await Promise.all(stayContexts.map((ctx) => ctx.setOffline(false)));
    const drop = (await Promise.all(back)).map((at) => at - restored);
    log(`${label}: media back after the drop, ms: ${drop.map(Math.round).join(" ")}`);
    rejoin.push(...drop);

    log(`${label}: killing the room's mediasoup worker`);
    const media = (await server.media.hub.started!) as MediaService;
    const consumersBefore = await Promise.all(staying.map(cameraConsumer));
    const backAfterKill = staying.map(
      (p, i) => p.evaluate(`(${MEDIA_BACK})(${JSON.stringify(consumersBefore[i])})`) as Promise<number>,
    );
    const killed = Date.now();
    process.kill(media.workerOf(`consultation:${c.id}`)!.worker.pid, "SIGKILL");
    const kill = (await Promise.all(backAfterKill)).map((at) => at - killed);
    log(`${label}: media back after the worker kill, ms: ${kill.map(Math.round).join(" ")}`);
    rejoin.push(...kill);
    return { joins, rejoin };
  } finally {
    for (const p of pages) await p.context.close().catch(() => undefined);
    await server.stop();
  }
}

async function runBare(browser: Browser): Promise<Marks[]> {
  const bare = await startBareServer();
  const pages: { context: BrowserContext; page: Page }[] = [];
  try {
    const publisher = await openBarePage(browser, bare.url);
    pages.push(publisher);
    await publisher.page.evaluate("window.bare.publish()");
    for (let i = 0; i < JOINS; i++) pages.push(await openBarePage(browser, bare.url));
    await new Promise((r) => setTimeout(r, 2000));
    log(`bare: ${JOINS} joins with random gaps of 0–600 ms`);
    const joins = await joinInBursts(
      pages.slice(1).map((p) => p.page),
      (p) => p.evaluate("window.bare.join()") as Promise<Marks>,
    );
    log(`bare: join→first frame ms: ${joins.map((m) => Math.round(m.decoded - m.started)).join(" ")}`);
    return joins;
  } finally {
    for (const p of pages) await p.context.close().catch(() => undefined);
    await bare.stop();
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const total = (joins: Marks[]) => sorted(joins.map((m) => m.decoded - m.started));

/** Time spent in each phase: from the latest earlier mark to this one (0 when a later step finished first). */
function phases(m: Marks): Record<string, number> {
  const out: Record<string, number> = {};
  let last = m.started;
  for (const [name, mark] of PHASES) {
    const at = m[mark];
    if (at === undefined) continue;
    out[name] = Math.max(0, at - last);
    last = Math.max(last, at);
  }
  return out;
}

export default async function run(): Promise<void> {
  log("building the SDK bundle and a seeded bench database");
  await buildSdk(undefined, { minify: true });
  const databaseUrl = await createBenchDatabase(DB);
  const browser = await launchBrowser();
  try {
    const tuned = await runSdk(browser, databaseUrl, "tuned", true);
    const perJoin = tuned.joins.map(phases);
    log(`phases per join (ms): ${PHASES.map(([n]) => n).join("/")}`);
    for (const p of perJoin) log(`  ${PHASES.map(([n]) => Math.round(p[n] ?? NaN)).join("/")}`);
    const bare = await runBare(browser);
    const plain = await runSdk(browser, databaseUrl, "mediasoup defaults", false);

    const report = (prefix: string, joins: Marks[]) => {
      const t = total(joins);
      emit(BENCH, `${prefix}p50_ms`, percentile(t, 50), "ms");
      emit(BENCH, `${prefix}p95_ms`, percentile(t, 95), "ms");
      emit(BENCH, `${prefix}max_ms`, t[t.length - 1]!, "ms");
      // The part the key-frame tuning acts on: from the consumer's creation to the first frame.
      const wait = sorted(joins.map((m) => m.decoded - (m.consumersCreated ?? m.started)));
      emit(BENCH, `${prefix}keyframe_wait_p50_ms`, percentile(wait, 50), "ms");
      emit(BENCH, `${prefix}keyframe_wait_p95_ms`, percentile(wait, 95), "ms");
    };
    report("", tuned.joins);
    for (const [name] of PHASES) {
      const xs = sorted(perJoin.map((p) => p[name]).filter((x): x is number => x !== undefined));
      emit(BENCH, `phase_${name}_p50_ms`, percentile(xs, 50), "ms");
      emit(BENCH, `phase_${name}_p95_ms`, percentile(xs, 95), "ms");
    }
    const b = total(bare);
    emit(BENCH, "bare_p50_ms", percentile(b, 50), "ms");
    emit(BENCH, "bare_p95_ms", percentile(b, 95), "ms");
    emit(BENCH, "ratio_vs_bare", percentile(total(tuned.joins), 95) / percentile(b, 95), "ratio");
    emit(BENCH, "rejoin_p95_ms", percentile(sorted(tuned.rejoin), 95), "ms");
    report("default_", plain.joins);
    emit(BENCH, "load_avg_1m", loadavg()[0]!, "load");
  } finally {
    await browser.close();
    await dropBenchDatabase(DB);
    await deleteRedisKeys(REDIS_PREFIX);
  }
}
