// recording: after a recording stops, checks every raw part with ffprobe, composes one MP4 (H.264/AAC) with a
// poster (a recording whose media restarted under it gets a visible "录制中断" card for each gap), computes duration, size and sha256, stores it and marks the Recording READY, or FAILED with the reason.
// Re-runnable: outputs have fixed keys and the final update only applies to a PROCESSING row, so a job repeated
// after a crash ends with the same single result.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Queue, Worker, UnrecoverableError, type ConnectionOptions } from "bullmq";
import type { Db } from "@yilian/server";
import { writeAudit } from "@yilian/audit";
import { posterKey, recordingChunkKey, recordingKey, scratchDir, type Storage } from "@yilian/storage";
import type { Redis } from "ioredis";
import {
  RECORDING_OWNER_TTL_MS,
  RECORDING_QUEUE,
  recordingJobOptions,
  recordingOwnerKey,
  recordingsLiveKey,
  RecordingJobData,
  type RecordingJobName,
  type StoredRecordingPart,
} from "@yilian/jobs";
import { composeRecording, joinChunks, poster, probeOutput, probeParts, type PartInput } from "../recording/compose";

export { RECORDING_QUEUE };

export interface RecordingContext {
  db: Db;
  storage: Storage;
  faultDelayMs?: number;
  /**
   * Where recording servers keep their owner keys (recordingOwnerKey): a recording without one lost its recorder,
   * and one no server process took over is ended by the sweep.
   */
  owners?: { redis: Pick<Redis, "exists" | "set" | "get" | "del" | "srem">; prefix: string };
}

async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest("hex");
}

async function fail(db: Db, id: string, reason: string) {
  await db.$transaction(async (tx) => {
    const { count } = await tx.recording.updateMany({
      where: { id, status: "PROCESSING" },
      data: { status: "FAILED", failureReason: reason, processedAt: new Date() },
    });
    if (count)
      await writeAudit(tx, {
        action: "recording.process",
        entityType: "Recording",
        entityId: id,
        outcome: "FAILED",
        detail: { reason },
      });
  });
}

export async function execComposeRecording(ctx: RecordingContext, recordingId: string) {
  const { db, storage } = ctx;
  const rec = await db.recording.findUnique({ where: { id: recordingId } });
  if (!rec || rec.status !== "PROCESSING") return { recordingId, status: rec?.status ?? "MISSING", skipped: true };
  const parts = ((rec.parts as unknown as StoredRecordingPart[]) ?? []).filter((p) => p.chunks > 0);
  if (!parts.length) {
    await fail(db, rec.id, "录制期间没有任何音视频流");
    return { recordingId, status: "FAILED" };
  }
  const work = await mkdtemp(path.join(await scratchDir(), "rec-"));
  try {
    const inputs: PartInput[] = [];
    /** Each input's part, to name the parts left out. */
    const partOf = new Map<string, StoredRecordingPart>();
    /** The parts left out and why ("segment/kind #part: reason"), for whoever looks into a gap (audit detail). */
    const leftOut: string[] = [];
    const named = (p: StoredRecordingPart, reason: string) => `${p.segment}/${p.kind} #${p.part}: ${reason}`;
    for (const p of parts) {
      // The chunks in order, up to the first one missing (a part's time only runs on while nothing is missing).
      const chunks: { file: string; durationS?: number }[] = [];
      for (let c = 0; c < p.chunks; c++) {
        const key = recordingChunkKey(rec.id, p.part, p.kind, c);
        if (!(await storage.stat(key))) break;
        const local = path.join(work, `part-${p.part}-${c}.mkv`);
        await storage.download(key, local);
        const ms = p.durationsMs?.[c];
        chunks.push({ file: local, ...(ms ? { durationS: ms / 1000 } : {}) });
      }
      if (!chunks.length) {
        leftOut.push(named(p, "no chunk in storage"));
        continue;
      }
      let file = chunks[0]!.file;
      if (chunks.length > 1) {
        file = path.join(work, `part-${p.part}.mkv`);
        // Chunks that do not join leave an unreadable part, which the probe below counts as bad.
        await joinChunks(chunks, file).catch(() => undefined);
      }
      inputs.push({ file, kind: p.kind, offsetMs: p.offsetMs, segment: p.segment });
      partOf.set(file, p);
    }
    const { ok, bad } = await probeParts(inputs);
    for (const b of bad) leftOut.push(named(partOf.get(b.file)!, b.reason.slice(0, 200)));
    if (!ok.length) {
      await fail(db, rec.id, `录像文件均无效（${leftOut.length} 个分段无法读取）`);
      return { recordingId, status: "FAILED" };
    }
    const mp4 = path.join(work, "recording.mp4");
    const jpg = path.join(work, "poster.jpg");
    let gaps: { fromS: number; toS: number }[];
    try {
      ({ gaps } = await composeRecording(ok, mp4, { startedAt: rec.startedAt }));
    } catch (e) {
      // A composition error on checked inputs is worth a retry (resources, timeouts); the last attempt records it.
      throw new Error(`compose failed: ${(e as Error).message}`);
    }
    const out = await probeOutput(mp4);
    if (out.video !== "h264" || !(out.durationS > 0)) throw new Error(`unexpected output: ${JSON.stringify(out)}`);
    await poster(mp4, jpg, out.durationS);
    const size = (await stat(mp4)).size;
    const sha = await sha256File(mp4);
    await storage.putFile(recordingKey(rec.id), mp4, { move: true, contentType: "video/mp4" });
    await storage.putFile(posterKey(rec.id), jpg, { move: true, contentType: "image/jpeg" });
    if (ctx.faultDelayMs) await new Promise((r) => setTimeout(r, ctx.faultDelayMs));
    await db.$transaction(async (tx) => {
      const { count } = await tx.recording.updateMany({
        where: { id: rec.id, status: "PROCESSING" },
        data: {
          status: "READY",
          durationMs: Math.round(out.durationS * 1000),
          sizeBytes: BigInt(size),
          sha256: sha,
          storageKey: recordingKey(rec.id),
          posterKey: posterKey(rec.id),
          processedAt: new Date(),
          failureReason: null,
        },
      });
      if (count) {
        await writeAudit(tx, {
          action: "recording.process",
          entityType: "Recording",
          entityId: rec.id,
          outcome: "SUCCESS",
          detail: {
            parts: parts.length,
            usable: ok.length,
            skipped: leftOut.length,
            ...(leftOut.length ? { leftOut } : {}),
            durationS: out.durationS,
            ...(gaps.length ? { gaps } : {}),
          },
        });
      }
    });
    // Raw parts are no longer needed once the playback file is safely stored and recorded (also chunks a recorder
    // stored after its recording was taken over or ended, which the row does not list).
    const raw: string[] = [];
    for await (const o of storage.list(`recordings/${rec.id}/parts/`)) raw.push(o.key);
    for (const key of raw) await storage.delete(key).catch(() => undefined);
    return { recordingId, status: "READY", durationS: out.durationS, skippedParts: leftOut.length, gaps };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Recordings nobody stopped end after this long, whatever their owner says. */
export const MAX_RECORDING_MS = 12 * 3600_000;
/** The sweep leaves an orphaned recording this long to the server processes (which take one over in seconds). */
export const ORPHAN_GRACE_MS = 30_000;

/**
 * Periodic housekeeping (every minute): a recording still RECORDING whose recorder process died (no owner key) and
 * that no server process took over within ORPHAN_GRACE_MS (none is running, or none reaches its media) ends with
 * the parts it stored: PROCESSING for the `recording` job (FAILED when it stored nothing), the reason audited. So
 * does one older than any session could last. A PROCESSING recording without a job (Redis was unreachable at stop)
 * gets its job again.
 */
export async function execSweepRecordings(
  ctx: RecordingContext,
  queue: Queue<RecordingJobData, unknown, RecordingJobName>,
  now = Date.now(),
) {
  const running = await ctx.db.recording.findMany({
    where: { status: "RECORDING", startedAt: { lt: new Date(now - RECORDING_OWNER_TTL_MS) } },
    select: { id: true, startedAt: true, parts: true },
  });
  const stale: typeof running = [];
  for (const r of running) {
    const tooLong = r.startedAt.getTime() < now - MAX_RECORDING_MS;
    if (!ctx.owners) {
      if (tooLong) stale.push(r);
      continue;
    }
    const { redis, prefix } = ctx.owners;
    const owner = recordingOwnerKey(prefix, r.id);
    const seenKey = `${owner}:orphan-since`;
    if (!tooLong && (await redis.exists(owner))) {
      await redis.del(seenKey); // owned (again): a later loss starts its own grace
      continue;
    }
    // Orphaned: first seen now, or long enough ago that no server process is going to take it over.
    await redis.set(seenKey, String(now), "PX", 10 * ORPHAN_GRACE_MS, "NX");
    const since = Number(await redis.get(seenKey));
    if (!tooLong && now - since < ORPHAN_GRACE_MS) continue;
    // The owner key decides between the sweep and a server process taking it over at the same moment.
    if (!tooLong && !(await redis.set(owner, "sweep", "PX", RECORDING_OWNER_TTL_MS, "NX"))) continue;
    stale.push(r);
  }
  for (const r of stale) {
    const parts = ((r.parts as unknown as StoredRecordingPart[]) ?? []).filter((p) => p.chunks > 0);
    const stored = parts.length > 0;
    const reason = "录制服务已停止，录像在中断处结束";
    const ended = await ctx.db.$transaction(async (tx) => {
      const { count } = await tx.recording.updateMany({
        where: { id: r.id, status: "RECORDING" },
        data: stored
          ? { status: "PROCESSING", stoppedAt: new Date(now) }
          : {
              status: "FAILED",
              failureReason: "录制意外中断（录制服务已停止），本次录像不可用",
              stoppedAt: new Date(now),
            },
      });
      if (count)
        await writeAudit(tx, {
          action: stored ? "recording.stop" : "recording.process",
          entityType: "Recording",
          entityId: r.id,
          outcome: stored ? "SUCCESS" : "FAILED",
          detail: { reason: stored ? reason : "recorder lost", parts: parts.length },
        });
      return count > 0;
    });
    if (ended && stored) await queue.add("compose", { recordingId: r.id }, recordingJobOptions(r.id));
    await ctx.owners?.redis.srem(recordingsLiveKey(ctx.owners.prefix), r.id);
  }
  const processing = await ctx.db.recording.findMany({
    where: { status: "PROCESSING", stoppedAt: { lt: new Date(now - 5 * 60_000) } },
    select: { id: true },
  });
  let requeued = 0;
  for (const { id } of processing) {
    if (!(await queue.getJob(recordingJobOptions(id).jobId!))) {
      await queue.add("compose", { recordingId: id }, recordingJobOptions(id));
      requeued++;
    }
  }
  return { ended: stale.length, requeued };
}
export async function initRecording(
  ctx: RecordingContext,
  connection: ConnectionOptions,
  prefix: string,
  opts: { lockDuration?: number; stalledInterval?: number } = {},
) {
  const queue = new Queue<RecordingJobData, unknown, RecordingJobName>(RECORDING_QUEUE, { connection, prefix });
  await queue.upsertJobScheduler(
    "recording-sweep" as RecordingJobName,
    { every: 60_000 },
    { name: "sweep", data: {}, opts: { removeOnComplete: 50, removeOnFail: 200 } },
  );
  const worker = new Worker<RecordingJobData, unknown, RecordingJobName>(
    RECORDING_QUEUE,
    async (job) => {
      if (job.name === "sweep") return execSweepRecordings(ctx, queue);
      const { recordingId } = RecordingJobData.parse(job.data);
      if (!recordingId) throw new UnrecoverableError("recordingId missing");
      return execComposeRecording(ctx, recordingId);
    },
    {
      connection,
      prefix,
      // ffmpeg uses both cores: one composition at a time.
      concurrency: 1,
      lockDuration: opts.lockDuration ?? 120_000,
      ...(opts.stalledInterval ? { stalledInterval: opts.stalledInterval } : {}),
    },
  );
  worker.on("failed", (job, err) => {
    if (job?.data.recordingId && job.attemptsMade >= (job.opts.attempts ?? 1))
      void fail(ctx.db, job.data.recordingId, `录像处理失败：${err.message.slice(0, 300)}`).catch(() => undefined);
  });
  return { queue, worker };
}
