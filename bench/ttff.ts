// bench ttff: time to first frame. A township doctor publishes a simulcast camera in Chromium; 20 specialists
// join the consultation one after another with random gaps of 0–600 ms (so some land inside each other's
// key-frame window, the case that used to wait ~1.1 s). TTFF = from client.joinRoom() to the first decoded
// frame of the doctor's camera. Run twice in the same invocation: with our key-frame tuning (producer
// keyFrameRequestDelay 350 ms, joiners start on the lowest layer) and with mediasoup's defaults.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createServices, createYilianServer, loadConfig } from "@yilian/server";
import { buildSdk } from "../client-sdk/build";
import { launchBrowser } from "../tests/helpers/chromium";
import { createBenchDatabase, dropBenchDatabase, emit, log, percentile } from "./lib";

const BENCH = "ttff";
const DB = "yilian_bench_ttff";
const JOINS = 20;
const REDIS_PREFIX = `yilian-bench-ttff-${process.pid}`;

// Page scripts are strings: functions compiled by tsx would carry helpers the page does not have.
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
const JOIN_AND_TIME = `async (roomId) => {
  const t0 = performance.now();
  // Viewers stay on the low layer: 20 pages decoding 720p would measure this machine's CPU, not the join.
  const room = await window.yl.client.joinRoom(roomId, { preferredSpatialLayer: 0 });
  const tJoined = performance.now();
  window.yl.room = room;
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no frame within 15 s")), 15000);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ttff: performance.now() - t0, joined: tJoined - t0, track: tTrack - t0 });
      // Leave a second later: the next joiners are measured against the same producer, not against 20 decoders.
      setTimeout(() => room.leave(), 1000);
    };
    let tTrack = 0;
    const onTrack = (t) => {
      if (t.kind !== "video" || t.source !== "camera") return;
      tTrack = performance.now();
      const v = document.createElement("video");
      v.muted = true; v.autoplay = true; v.playsInline = true;
      v.srcObject = new MediaStream([t.track]);
      document.body.append(v);
      v.requestVideoFrameCallback?.(finish);
      v.play().catch(() => undefined);
      // Also watch the decoder directly, in case the page is not rendering.
      const poll = setInterval(async () => {
        if (done) return clearInterval(poll);
        const stats = await room.getStats();
        stats?.forEach((s) => { if (s.type === "inbound-rtp" && s.trackIdentifier === t.track.id && s.framesDecoded > 0) finish(); });
      }, 25);
    };
    room.on("track", onTrack);
    for (const t of room.tracks.values()) onTrack(t);
  });
}`;

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function openPage(browser: Browser, baseUrl: string, token: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/sdk/index.html`);
  await page.evaluate(`(${SETUP})(${JSON.stringify(token)})`);
  return { context, page };
}

interface Timing {
  /** joinRoom() → first decoded frame. */
  ttff: number;
  /** joinRoom() resolved: signalling, device, transports (CPU-bound on a busy machine). */
  joined: number;
  /** the remote camera's consumer exists in the page. */
  track: number;
}

async function runOnce(browser: Browser, databaseUrl: string, label: string, tuned: boolean): Promise<Timing[]> {
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: REDIS_PREFIX,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    SEED_DEMO_DATA: "false",
    LOGIN_RATE_LIMIT: "100000",
    MEDIA_WORKERS: "1",
    MEDIA_WEBRTC_PORT: "0",
    MEDIA_KEY_FRAME_REQUEST_DELAY_MS: tuned ? "350" : "0",
    MEDIA_CONSUMER_START_LAYER: tuned ? "lowest" : "highest",
  });
  const services = createServices(config);
  const server = createYilianServer(services);
  const { url } = await server.listen();
  const pages: { context: BrowserContext }[] = [];
  try {
    const db = services.db;
    const doctor = await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
    const specialists = await db.user.findMany({ where: { roles: { has: "SPECIALIST" }, active: true }, take: JOINS, orderBy: { username: "asc" } });
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
        participants: { create: [{ userId: doctor.id, role: "REQUESTER" }, ...specialists.map((s) => ({ userId: s.id, role: "SPECIALIST" as const }))] },
      },
    });
    const login = async (username: string) => {
      const res = await fetch(`${url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password: "Yilian@2024" }) });
      if (!res.ok) throw new Error(`login ${username}: ${res.status}`);
      return ((await res.json()) as { accessToken: string }).accessToken;
    };
    const producer = await openPage(browser, url, await login(doctor.username));
    pages.push(producer);
    await producer.page.evaluate(`(${PUBLISH})(${JSON.stringify(c.id)})`);
    const joiners = [];
    for (const s of specialists) {
      const p = await openPage(browser, url, await login(s.username));
      pages.push(p);
      joiners.push(p);
    }
    await new Promise((r) => setTimeout(r, 2000)); // the producer's encoder ramps up
    log(`${label}: ${joiners.length} joins with random gaps of 0–600 ms`);
    const random = rng(20261123);
    const timings: Promise<Timing>[] = [];
    for (const j of joiners) {
      timings.push(j.page.evaluate(`(${JOIN_AND_TIME})(${JSON.stringify(c.id)})`) as Promise<Timing>);
      await new Promise((r) => setTimeout(r, random() * 600));
    }
    const results = await Promise.all(timings);
    // joined = joinRoom() resolved (signalling, device, transports); track = consumer ready; ttff = first frame.
    log(`${label}: join→joined/track/frame ms: ${results.map((r) => `${Math.round(r.joined)}/${Math.round(r.track)}/${Math.round(r.ttff)}`).join(" ")}`);
    return results;
  } finally {
    for (const p of pages) await p.context.close().catch(() => undefined);
    await server.stop();
  }
}

export default async function run(): Promise<void> {
  log("building the SDK bundle and a seeded bench database");
  await buildSdk(undefined, { minify: true });
  const databaseUrl = await createBenchDatabase(DB);
  const browser = await launchBrowser();
  try {
    const tuned = await runOnce(browser, databaseUrl, "tuned", true);
    const plain = await runOnce(browser, databaseUrl, "mediasoup defaults", false);
    const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
    const report = (prefix: string, t: Timing[]) => {
      const total = sorted(t.map((x) => x.ttff));
      // The part the key-frame tuning acts on: from the consumer's creation to the first frame.
      const wait = sorted(t.map((x) => x.ttff - x.track));
      emit(BENCH, `${prefix}p50_ms`, percentile(total, 50), "ms");
      emit(BENCH, `${prefix}p95_ms`, percentile(total, 95), "ms");
      emit(BENCH, `${prefix}max_ms`, total[total.length - 1]!, "ms");
      emit(BENCH, `${prefix}keyframe_wait_p50_ms`, percentile(wait, 50), "ms");
      emit(BENCH, `${prefix}keyframe_wait_p95_ms`, percentile(wait, 95), "ms");
    };
    report("", tuned);
    report("default_", plain);
  } finally {
    await browser.close();
    await dropBenchDatabase(DB);
    const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    const keys = await redis.keys(`${REDIS_PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}
