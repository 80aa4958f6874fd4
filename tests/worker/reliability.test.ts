// Reliability with real processes: a worker killed with SIGKILL in the middle of an upload job, a job that keeps
// failing, and twenty worker restarts against one Redis. The worker runs as `node --import tsx worker/src/main.ts`
// (one process, so SIGKILL really kills the processor).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { createRedis } from "@yilian/server";
import {
  UPLOADS_QUEUE,
  STATISTICS_QUEUE,
  RECORDING_QUEUE,
  recordingJobOptions,
  type StoredRecordingPart,
} from "@yilian/jobs";
import {
  createStorage,
  deidentifiedKey,
  originalKey,
  posterKey,
  previewKey,
  recordingChunkKey,
  recordingKey,
} from "@yilian/storage";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { startTestServer, type TestServer } from "../helpers/server";
import { testDb, closeTestDb } from "../helpers/db";
import { makeFixtures, type Fixtures } from "./fixtures";
import { makeConsultation, uploadFile, waitFor, waitForFinal } from "./helpers";

// Own queue prefix: test files run in parallel and each runs its own processors.
process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-rel`;

jest.setTimeout(240_000);

const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-rel-"));
process.env.STORAGE_DIR = storageDir;
const db = testDb();
const connection = createRedis(process.env.REDIS_URL!);
const prefix = `${process.env.REDIS_PREFIX}:bull`;
const uploads = new Queue(UPLOADS_QUEUE, { connection, prefix });
const statistics = new Queue(STATISTICS_QUEUE, { connection, prefix });
const recording = new Queue(RECORDING_QUEUE, { connection, prefix });
let ts: TestServer;
let fx: Fixtures;
const children = new Set<ChildProcess>();

function startWorker(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "worker/src/main.ts"], {
      env: {
        ...process.env,
        STORAGE_DIR: storageDir,
        WORKER_LOCK_MS: "3000",
        WORKER_STALLED_INTERVAL_MS: "1000",
        LOG_LEVEL: "warn",
        ...extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let out = "";
    const timer = setTimeout(() => reject(new Error(`worker not ready:\n${out}`)), 60_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes("Yilian worker running queues")) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      children.delete(child);
      clearTimeout(timer);
      if (!out.includes("Yilian worker running queues")) reject(new Error(`worker exited ${code}:\n${out}`));
    });
  });
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

beforeAll(async () => {
  fx = makeFixtures();
  ts = await startTestServer();
}, 60_000);

afterAll(async () => {
  for (const c of children) await kill9(c);
  await uploads.close();
  await statistics.close();
  await recording.close();
  connection.disconnect();
  await ts?.stop();
  await closeTestDb();
  rmSync(storageDir, { recursive: true, force: true });
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

test("SIGKILL in the middle of an upload job: after restart it completes exactly once, nothing lost or doubled", async () => {
  const doctor = (await ts.login("doctor.hadashan")).accessToken;
  const consultationId = await makeConsultation(db);
  // Pause 6 s after the derived files are stored and before the row is updated.
  const w1 = await startWorker({ YILIAN_FAULT_DELAY_MS: "6000" });
  const r = await uploadFile(ts.baseUrl, doctor, consultationId, fx.dicomJpeg);
  expect(r.status).toBe(202);
  const id: string = r.body.id;
  await waitFor(() => Promise.resolve(existsSync(path.join(storageDir, deidentifiedKey(id)))), 30_000);
  expect((await db.upload.findUniqueOrThrow({ where: { id } })).status).toBe("PROCESSING");
  await kill9(w1);
  const job = await uploads.getJob(`upload-${id}`);
  expect(await job!.getState()).toBe("active"); // its lock belongs to a dead process

  await startWorker(); // no fault delay
  const done = await waitForFinal(db, id, 60_000);
  expect(done.status).toBe("READY");
  expect(await db.upload.count({ where: { id } })).toBe(1);
  expect(await db.upload.count({ where: { consultationId } })).toBe(1);
  const processed = await db.auditLog.count({
    where: { entityType: "Upload", entityId: id, action: "upload.process" },
  });
  expect(processed).toBe(1);
  for (const key of [originalKey(id), previewKey(id), deidentifiedKey(id)])
    expect(existsSync(path.join(storageDir, key))).toBe(true);
  const finished = await uploads.getJob(`upload-${id}`);
  expect(await finished!.getState()).toBe("completed");
  expect(finished!.returnvalue).toMatchObject({ status: "READY" });
});

test("SIGKILL in the middle of a recording job: after restart one READY recording, one file, one audit row", async () => {
  for (const c of [...children]) await kill9(c);
  // Raw parts as the media node leaves them: one video, one audio (real ffmpeg encodes), in storage.
  const run = (args: string[]) =>
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { cwd: fx.dir });
  run(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "3", "-c:v", "libvpx", "rv.mkv"]);
  run(["-f", "lavfi", "-i", "sine=frequency=500", "-t", "3", "-c:a", "libopus", "ra.mkv"]);
  const storage = createStorage();
  const id = randomUUID();
  const parts: StoredRecordingPart[] = [
    { part: 1, kind: "video", offsetMs: 0, segment: 0, producerId: "cam", peerId: "doctor", chunks: 1 },
    { part: 2, kind: "audio", offsetMs: 200, segment: 0, producerId: "mic", peerId: "doctor", chunks: 1 },
  ];
  await storage.putFile(recordingChunkKey(id, 1, "video", 0), path.join(fx.dir, "rv.mkv"));
  await storage.putFile(recordingChunkKey(id, 2, "audio", 0), path.join(fx.dir, "ra.mkv"));
  const spec = await db.user.findUniqueOrThrow({ where: { username: "spec.youtian.1" } });
  await db.recording.create({
    data: {
      id,
      subject: "CONSULTATION",
      subjectId: randomUUID(),
      institutionId: spec.institutionId,
      startedById: spec.id,
      status: "PROCESSING",
      stoppedAt: new Date(),
      parts: parts as object[],
    },
  });

  const w1 = await startWorker({ YILIAN_FAULT_DELAY_MS: "8000" });
  await recording.add("compose", { recordingId: id }, recordingJobOptions(id));
  // Killed after the MP4 and poster are stored, before the row says READY.
  await waitFor(() => Promise.resolve(existsSync(path.join(storageDir, posterKey(id)))), 90_000, 100);
  expect((await db.recording.findUniqueOrThrow({ where: { id } })).status).toBe("PROCESSING");
  await kill9(w1);
  await startWorker();
  const done = await waitFor(
    async () => {
      const r = await db.recording.findUniqueOrThrow({ where: { id } });
      return r.status === "READY" || r.status === "FAILED" ? r : null;
    },
    120_000,
    250,
  );
  expect(done.status).toBe("READY");
  const stored = readFileSync(path.join(storageDir, recordingKey(id)));
  expect(createHash("sha256").update(stored).digest("hex")).toBe(done.sha256);
  expect(Number(done.sizeBytes)).toBe(stored.length);
  expect(
    await db.auditLog.count({ where: { entityType: "Recording", entityId: id, action: "recording.process" } }),
  ).toBe(1);
  expect(await db.recording.count({ where: { id } })).toBe(1);
  // The raw parts are gone only now that the playback file is recorded.
  for (const p of parts)
    expect(existsSync(path.join(storageDir, recordingChunkKey(id, p.part, p.kind, 0)))).toBe(false);
  expect(await (await recording.getJob(`recording-${id}`))!.getState()).toBe("completed");
});

test("a job that keeps failing ends in the failed set with its reason, the upload is told so", async () => {
  const consultationId = await makeConsultation(db);
  const doctor = await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
  const id = randomUUID();
  // A row whose stored object is gone (e.g. a storage outage lost it): infrastructure, not the user's file.
  await db.upload.create({
    data: {
      id,
      consultationId,
      uploaderId: doctor.id,
      uploaderInstitutionId: doctor.institutionId,
      originalName: "lost.jpg",
      kind: "JPEG",
      category: "IMAGING",
      mime: "image/jpeg",
      sizeBytes: 10n,
      sha256: "0".repeat(64),
      storageKey: originalKey(id),
    },
  });
  await uploads.add(
    "process",
    { uploadId: id },
    { jobId: `upload-${id}`, attempts: 3, backoff: { type: "fixed", delay: 200 } },
  );
  const job = await waitFor(async () => {
    const j = await uploads.getJob(`upload-${id}`);
    return j && (await j.getState()) === "failed" ? j : null;
  }, 60_000);
  expect(job.attemptsMade).toBe(3);
  expect(job.failedReason).toMatch(/stored object missing/);
  const row = await waitFor(async () => {
    const u = await db.upload.findUniqueOrThrow({ where: { id } });
    return u.status === "REJECTED" ? u : null;
  });
  expect(row).toMatchObject({ rejectCode: "PROCESSING_FAILED" });
  expect(row.rejectReason).toMatch(/处理失败/);

  // Visible in Bull Board with its reason.
  const admin = (await ts.login("province.admin")).accessToken;
  const ticket = await ts.api("/api/admin/queues/ticket", { token: admin, method: "POST" });
  const open = await fetch(ts.baseUrl + ticket.body.url, { redirect: "manual" });
  const cookie = open.headers.get("set-cookie")!.split(";")[0]!;
  const q = await fetch(`${ts.baseUrl}/admin/queues/api/queues?activeQueue=uploads&status=failed&page=1`, {
    headers: { cookie },
  });
  expect(q.status).toBe(200);
  const body = (await q.json()) as { queues: { name: string; jobs: { id: string; failedReason: string }[] }[] };
  const failed = body.queues.find((x) => x.name === "uploads")!.jobs.find((j) => j.id === `upload-${id}`);
  expect(failed?.failedReason).toMatch(/stored object missing/);
});

test("the job schedulers exist exactly once after 20 worker restarts", async () => {
  for (const c of [...children]) await kill9(c);
  // Ten rounds of two workers starting at the same time (racing to register the schedulers); one of each pair is
  // killed hard, the other shut down cleanly.
  for (let round = 0; round < 10; round++) {
    const [a, b] = await Promise.all([startWorker(), startWorker()]);
    await Promise.all([
      kill9(a!),
      new Promise<void>((resolve) => {
        b!.once("exit", () => resolve());
        b!.kill("SIGTERM");
      }),
    ]);
  }
  const monthly = (await statistics.getJobSchedulers()).filter((s) => s.key === "monthly-statistics");
  expect(monthly).toHaveLength(1);
  expect(monthly[0]).toMatchObject({ pattern: "0 2 1 * *", tz: "Asia/Shanghai" });
  expect(await statistics.getJobSchedulersCount()).toBe(1);
  expect((await uploads.getJobSchedulers()).filter((s) => s.key === "uploads-sweep")).toHaveLength(1);
  // One delayed "next run" per scheduler, not twenty.
  const delayed = await statistics.getDelayed();
  expect(delayed.filter((j) => j.name === "monthly")).toHaveLength(1);
}, 420_000);
