// bench uploads: 1,000 mixed files (DICOM from dcmtk, JPEG from ImageMagick, PDF from img2pdf) uploaded over HTTP
// to the real server process and processed by the real worker process; no-op BullMQ jobs run through the same
// Redis in the same run as a baseline.
//   processed            uploads that ended READY
//   files_per_s          processed / (first upload sent → last job completed)
//   cpu_ratio_vs_direct  the worker process's CPU per processed file (its own threads and the tools it runs, read
//                        from /proc) ÷ the CPU of calling the same analysis (dicom-parser + PNG rendering +
//                        de-identification, sharp, pdfinfo/pdftoppm) directly on the same files, in this process,
//                        in the same run: what the pipeline (queue, storage, database, audit) adds around the work
//   p99_ms               p99 of upload-job latency, enqueue → completed (BullMQ timestamps)
//   ratio_vs_noop        median enqueue → active of upload jobs / of no-op jobs (the backlog of files offered at once)
// Extra: noop_p50_ms, upload_wait_p50_ms, p50_ms, worker_cpu_ms_per_file, direct_cpu_ms_per_file.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { UploadKind } from "@prisma/client";
import { analyze } from "../worker/src/uploads/analyze";
import { createBenchDatabase, dropBenchDatabase, emit, log, percentile, startProcess, stopProcess } from "./lib";

const BENCH = "uploads";
const DB = "yilian_bench_uploads";
const FILES = Number(process.env.BENCH_UPLOADS_FILES ?? 1000);
const HTTP_CONCURRENCY = 6;
/** Direct analyses per fixture file for the baseline. */
const DIRECT_ROUNDS = Number(process.env.BENCH_UPLOADS_DIRECT ?? 25);
const KINDS: Record<string, UploadKind> = {
  "ct.dcm": "DICOM",
  "ct-raw.dcm": "DICOM",
  "photo.jpg": "JPEG",
  "report.pdf": "PDF",
};

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** CPU seconds of a process: all its threads, plus the children it has waited for (pdfinfo, pdftoppm). */
function cpuSeconds(pid: number | "self"): number {
  // Fields after the parenthesised command name: utime, stime, cutime, cstime are the 12th to 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** CPU per file of calling the worker's analysis directly on the fixtures, in the files' mix (one of each in turn). */
async function directCpuPerFile(files: { name: string; bytes: Buffer }[], dir: string): Promise<number> {
  const paths = files.map((f) => {
    const p = path.join(dir, `direct-${f.name}`);
    writeFileSync(p, f.bytes);
    return { p, kind: KINDS[f.name]! };
  });
  for (const f of paths) await analyze(f.kind, f.p, dir); // warm-up: module loading, first-call costs
  const c0 = cpuSeconds("self");
  for (let r = 0; r < DIRECT_ROUNDS; r++) for (const f of paths) await analyze(f.kind, f.p, dir);
  return (cpuSeconds("self") - c0) / (DIRECT_ROUNDS * paths.length);
}

function makeFiles(dir: string) {
  const run = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  run("/usr/bin/convert", ["-size", "800x600", "plasma:fractal", "-quality", "85", "photo.jpg"]);
  run("img2dcm", [
    "photo.jpg",
    "ct.dcm",
    "-k",
    "PatientName=Bench^Patient",
    "-k",
    "Modality=CT",
    "-k",
    "StudyDate=20240301",
  ]);
  run("dcmdjpeg", ["ct.dcm", "ct-raw.dcm"]);
  run("img2pdf", ["photo.jpg", "-o", "page.pdf"]);
  run("pdfunite", ["page.pdf", "page.pdf", "page.pdf", "report.pdf"]);
  return [
    { name: "ct.dcm", bytes: readFileSync(path.join(dir, "ct.dcm")) },
    { name: "ct-raw.dcm", bytes: readFileSync(path.join(dir, "ct-raw.dcm")) },
    { name: "photo.jpg", bytes: readFileSync(path.join(dir, "photo.jpg")) },
    { name: "report.pdf", bytes: readFileSync(path.join(dir, "report.pdf")) },
  ];
}

export default async function run(): Promise<void> {
  log("creating and seeding the bench database");
  const databaseUrl = await createBenchDatabase(DB);
  const redisPrefix = `yilian-bench-uploads-${process.pid}`;
  const storage = mkdtempSync(path.join(tmpdir(), "yilian-bench-storage-"));
  const fxDir = mkdtempSync(path.join(tmpdir(), "yilian-bench-fx-"));
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: redisPrefix,
    STORAGE_DIR: storage,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    LOGIN_RATE_LIMIT: "100000",
    SEED_DEMO_DATA: "false",
    JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
  };
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
  const prefix = `${redisPrefix}:bull`;
  const server = await startProcess(
    process.execPath,
    ["--import", "tsx", "server/src/main.ts"],
    env,
    /listening on (http:\/\/\S+)/,
  );
  const worker = await startProcess(
    process.execPath,
    ["--import", "tsx", "worker/src/main.ts"],
    { ...env, UPLOADS_CONCURRENCY: "2" },
    /Yilian worker running queues/,
  );
  const noopQueue = new Queue("bench-noop", { connection: redis, prefix });
  const noopWorker = new Worker("bench-noop", async () => undefined, {
    connection: redis.duplicate(),
    prefix,
    concurrency: 2,
  });
  const uploads = new Queue("uploads", { connection: redis, prefix });
  const events = new QueueEvents("uploads", { connection: redis.duplicate(), prefix });
  try {
    const base = server.match[1]!;
    const files = makeFiles(fxDir);
    const login = async (username: string) => {
      const r = await fetch(`${base}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username, password: "Yilian@2024" }),
      });
      return ((await r.json()) as { accessToken: string }).accessToken;
    };
    const token = await login("doctor.hadashan");
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const {
      rows: [doc],
    } = await db.query(`SELECT id, "institutionId" FROM "User" WHERE username = 'doctor.hadashan'`);
    const {
      rows: [target],
    } = await db.query(`SELECT "institutionId" FROM "User" WHERE username = 'spec.youtian.1'`);
    const {
      rows: [c],
    } = await db.query(
      `INSERT INTO "Consultation" (id, number, status, "requestingInstitutionId", "requestingDoctorId", "targetInstitutionId", "patientName", "patientSex", "patientBirthDate", "submittedAt", "updatedAt")
       VALUES (gen_random_uuid(), 'BENCH-UP-1', 'SUBMITTED', $1, $2, $3, '压测患者', 'MALE', '1960-01-01', now(), now()) RETURNING id`,
      [doc.institutionId, doc.id, target.institutionId],
    );

    const completed = new Set<string>();
    let lastCompletion = 0;
    events.on("completed", ({ jobId }) => {
      completed.add(jobId);
      lastCompletion = Date.now();
    });
    await events.waitUntilReady();

    log(`uploading ${FILES} files (${HTTP_CONCURRENCY} at a time) with no-op jobs interleaved`);
    const workerCpu0 = cpuSeconds(worker.child.pid!);
    const t0 = Date.now();
    const ids: string[] = [];
    let next = 0;
    const noopIds: string[] = [];
    const sender = async () => {
      while (next < FILES) {
        const i = next++;
        const f = files[i % files.length]!;
        const form = new FormData();
        form.append("file", new Blob([f.bytes]), f.name);
        const r = await fetch(`${base}/api/consultations/${c.id}/uploads`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
          body: form,
        });
        if (r.status !== 202) throw new Error(`upload ${i}: ${r.status} ${await r.text()}`);
        ids.push(((await r.json()) as { id: string }).id);
        if (i % 10 === 0) noopIds.push((await noopQueue.add("noop", {}, { removeOnComplete: false })).id!);
      }
    };
    await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, sender));
    log(`uploaded in ${Date.now() - t0} ms; waiting for processing`);
    const deadline = Date.now() + 15 * 60_000;
    while (ids.some((id) => !completed.has(`upload-${id}`)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      // Events can be missed across reconnects: confirm from the job records now and then.
      if (completed.size >= ids.length - 5) {
        for (const id of ids)
          if (!completed.has(`upload-${id}`) && (await uploads.getJobState(`upload-${id}`)) === "completed")
            completed.add(`upload-${id}`);
      }
    }
    const totalS = (Math.max(lastCompletion, Date.now() - 250) - t0) / 1000;
    const workerCpuPerFile = (cpuSeconds(worker.child.pid!) - workerCpu0) / Math.max(ids.length, 1);
    const { rows: statusRows } = await db.query(`SELECT status, count(*)::int AS n FROM "Upload" GROUP BY status`);
    const ready = statusRows.find((r) => r.status === "READY")?.n ?? 0;
    log("statuses", statusRows);

    const lat: number[] = [];
    const wait: number[] = [];
    for (let i = 0; i < ids.length; i += 200) {
      const jobs = await Promise.all(ids.slice(i, i + 200).map((id) => uploads.getJob(`upload-${id}`)));
      for (const j of jobs) {
        if (j?.finishedOn && j.processedOn) {
          lat.push(j.finishedOn - j.timestamp);
          wait.push(j.processedOn - j.timestamp);
        }
      }
    }
    const noopWait: number[] = [];
    for (const id of noopIds) {
      const j = await noopQueue.getJob(id);
      if (j?.processedOn) noopWait.push(j.processedOn - j.timestamp);
    }
    lat.sort((a, b) => a - b);
    wait.sort((a, b) => a - b);
    noopWait.sort((a, b) => a - b);
    const noopP50 = Math.max(percentile(noopWait, 50), 0.5);
    log(`analysing the same files directly, ${DIRECT_ROUNDS} rounds`);
    const direct = await directCpuPerFile(files, fxDir);
    emit(BENCH, "processed", ready, "count");
    emit(BENCH, "files_per_s", ready / totalS, "1/s");
    emit(BENCH, "cpu_ratio_vs_direct", workerCpuPerFile / direct, "ratio");
    emit(BENCH, "worker_cpu_ms_per_file", workerCpuPerFile * 1000, "ms");
    emit(BENCH, "direct_cpu_ms_per_file", direct * 1000, "ms");
    emit(BENCH, "p99_ms", percentile(lat, 99), "ms");
    emit(BENCH, "ratio_vs_noop", percentile(wait, 50) / noopP50, "ratio");
    emit(BENCH, "p50_ms", percentile(lat, 50), "ms");
    emit(BENCH, "upload_wait_p50_ms", percentile(wait, 50), "ms");
    emit(BENCH, "noop_p50_ms", percentile(noopWait, 50), "ms");
    emit(BENCH, "load_avg_1m", loadavg()[0]!, "load");
    await db.end();
  } finally {
    await events.close().catch(() => undefined);
    await noopWorker.close().catch(() => undefined);
    await noopQueue.obliterate({ force: true }).catch(() => undefined);
    await noopQueue.close().catch(() => undefined);
    await uploads.close().catch(() => undefined);
    await stopProcess(worker.child);
    await stopProcess(server.child);
    const keys = await redis.keys(`${redisPrefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
    rmSync(storage, { recursive: true, force: true });
    rmSync(fxDir, { recursive: true, force: true });
    await dropBenchDatabase(DB);
  }
}
