// uploads: inspects each stored file (DICOM attributes, de-identified copy, previews, page counts) and ends the
// Upload READY or REJECTED. Safe to repeat: derived objects have deterministic keys, the final update is
// conditional, so a job re-run after a crash changes nothing twice. A periodic sweep re-enqueues uploads that lost
// their job and removes objects that no row owns.
import { lstat, mkdtemp, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { writeFile } from "node:fs/promises";
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import { consultationEvent, publish, type Db, type EventSink } from "@yilian/server";
import { writeAudit } from "@yilian/audit";
import { deidentifiedKey, previewKey, scratchDir, type Storage } from "@yilian/storage";
import { UPLOADS_QUEUE, uploadJobOptions, UploadsJobData, type UploadsJobName } from "@yilian/jobs";
import { analyze } from "../uploads/analyze";
import { Rejection } from "../uploads/rejection";

export { UPLOADS_QUEUE };

export interface UploadsContext {
  db: Db;
  storage: Storage;
  /** Tells the consultation's participants about files that become attachments after submission. */
  sink?: EventSink;
  /** Test hook: pause this long mid-job (after the derived files are stored, before the row is updated). */
  faultDelayMs?: number;
}

export type ProcessResult = { uploadId: string; status: "READY" | "REJECTED" | "SKIPPED"; code?: string };

async function deleteQuietly(storage: Storage, keys: (string | null | undefined)[]) {
  for (const k of keys) if (k) await storage.delete(k).catch(() => undefined);
}

export async function execProcessUpload(ctx: UploadsContext, uploadId: string): Promise<ProcessResult> {
  const { db, storage } = ctx;
  const row = await db.upload.findUnique({ where: { id: uploadId } });
  // Gone (never committed) or already finished: nothing to do. Staged PACS instances are their import's job.
  if (!row || (row.status !== "UPLOADED" && row.status !== "PROCESSING") || !row.storageKey || row.pacsImportId) {
    return { uploadId, status: "SKIPPED" };
  }
  if (row.status === "UPLOADED")
    await db.upload.updateMany({ where: { id: uploadId, status: "UPLOADED" }, data: { status: "PROCESSING" } });
  const work = await mkdtemp(path.join(await scratchDir(), "job-"));
  try {
    const local = path.join(work, "original");
    const info = await storage.stat(row.storageKey);
    // A missing object is an infrastructure fault, not the user's file: fail (and retry), never REJECT.
    if (!info) throw new Error(`stored object missing: ${row.storageKey}`);
    await storage.download(row.storageKey, local);
    let result;
    try {
      result = await analyze(row.kind, local, work);
    } catch (e) {
      if (!(e instanceof Rejection)) throw e;
      await reject(ctx, row.id, row.storageKey, e);
      return { uploadId, status: "REJECTED", code: e.code };
    }
    let pKey: string | null = null;
    let dKey: string | null = null;
    if (result.preview) {
      pKey = previewKey(row.id);
      const f = path.join(work, "preview.png");
      await writeFile(f, result.preview);
      await storage.putFile(pKey, f, { move: true, contentType: "image/png" });
    }
    if (result.deidentified) {
      dKey = deidentifiedKey(row.id);
      const f = path.join(work, "deid.dcm");
      await writeFile(f, result.deidentified);
      await storage.putFile(dKey, f, { move: true, contentType: "application/dicom" });
    }
    if (ctx.faultDelayMs) await new Promise((r) => setTimeout(r, ctx.faultDelayMs));
    const ready = await db.$transaction(async (tx) => {
      const { count } = await tx.upload.updateMany({
        where: { id: row.id, status: { in: ["UPLOADED", "PROCESSING"] } },
        data: {
          status: "READY",
          ...result.fields,
          previewKey: pKey,
          deidentifiedKey: dKey,
          details: result.details as object,
          processedAt: new Date(),
        },
      });
      if (count) {
        await writeAudit(tx, {
          action: "upload.process",
          entityType: "Upload",
          entityId: row.id,
          outcome: "SUCCESS",
          detail: { status: "READY" },
        });
      }
      return count === 1;
    });
    if (ready && ctx.sink) await announceAttachment(db, ctx.sink, row.consultationId, row.id, row.uploaderId);
    return { uploadId, status: "READY" };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A READY file is an attachment of its consultation. Added after submission (the specialist asked for more
 * images), the other participants are told; while it is a draft only its author is working on it.
 */
async function announceAttachment(
  db: Db,
  sink: EventSink,
  consultationId: string,
  uploadId: string,
  uploaderId: string,
) {
  const c = await db.consultation.findUnique({
    where: { id: consultationId },
    include: { participants: { select: { userId: true } } },
  });
  if (!c || c.status === "DRAFT") return;
  const others = c.participants.map((p) => p.userId).filter((id) => id !== uploaderId);
  publish(sink, [consultationEvent("consultation:attachment-added", c, others, { actorId: uploaderId, uploadId })]);
}

async function reject(ctx: UploadsContext, id: string, storageKey: string | null, r: Rejection) {
  await ctx.db.$transaction(async (tx) => {
    const { count } = await tx.upload.updateMany({
      where: { id, status: { in: ["UPLOADED", "PROCESSING"] } },
      data: {
        status: "REJECTED",
        rejectCode: r.code,
        rejectReason: r.reason,
        storageKey: null,
        previewKey: null,
        deidentifiedKey: null,
        processedAt: new Date(),
      },
    });
    if (count) {
      await writeAudit(tx, {
        action: "upload.process",
        entityType: "Upload",
        entityId: id,
        outcome: "INVALID",
        detail: { status: "REJECTED", code: r.code },
      });
    }
  });
  // After the commit: a crash here leaves objects no row points at, which the sweep removes.
  await deleteQuietly(ctx.storage, [storageKey, previewKey(id), deidentifiedKey(id)]);
}

/** After the last attempt failed: tell the user instead of leaving the file "processing" for ever. */
export async function markProcessingFailed(ctx: UploadsContext, uploadId: string, message: string) {
  await reject(
    ctx,
    uploadId,
    null,
    new Rejection("PROCESSING_FAILED", "文件处理失败，请稍后重新上传；如多次失败请联系技术支持"),
  );
  void message;
}

const ID_IN_KEY = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;

/**
 * Housekeeping: enqueue UPLOADED/PROCESSING rows whose job went missing (deterministic job ids make this a no-op
 * for live jobs), and delete stored objects older than `graceMs` that no live row owns.
 */
export async function execSweep(
  ctx: UploadsContext,
  queue: Queue<UploadsJobData, unknown, UploadsJobName>,
  graceMs = 3_600_000,
) {
  const { db, storage } = ctx;
  const cutoff = new Date(Date.now() - graceMs);
  const pending = await db.upload.findMany({
    where: {
      status: { in: ["UPLOADED", "PROCESSING"] },
      pacsImportId: null,
      createdAt: { lt: new Date(Date.now() - 60_000) },
    },
    select: { id: true },
  });
  let requeued = 0;
  for (const { id } of pending) {
    const job = await queue.getJob(uploadJobOptions(id).jobId!);
    if (!job) {
      await queue.add("process", { uploadId: id }, uploadJobOptions(id));
      requeued++;
    }
  }
  let removed = 0;
  for (const prefix of ["uploads/", "previews/", "deid/"]) {
    const batch: { key: string; id: string }[] = [];
    const flush = async () => {
      const rows = await db.upload.findMany({
        where: { id: { in: batch.map((b) => b.id) } },
        select: { id: true, status: true, storageKey: true, previewKey: true, deidentifiedKey: true },
      });
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const b of batch) {
        const r = byId.get(b.id);
        const owned = r && [r.storageKey, r.previewKey, r.deidentifiedKey].includes(b.key);
        const inFlight = r && (r.status === "UPLOADED" || r.status === "PROCESSING");
        if (!owned && !inFlight) {
          await storage.delete(b.key);
          removed++;
        }
      }
      batch.length = 0;
    };
    for await (const obj of storage.list(prefix)) {
      if (obj.modifiedAt > cutoff) continue;
      const id = ID_IN_KEY.exec(obj.key)?.[1];
      if (!id) continue;
      batch.push({ key: obj.key, id });
      if (batch.length >= 500) await flush();
    }
    if (batch.length) await flush();
  }
  // Scratch left by processes that were killed mid-upload or mid-job.
  let scratchRemoved = 0;
  const scratch = await scratchDir();
  for (const name of await readdir(scratch).catch(() => [] as string[])) {
    const p = path.join(scratch, name);
    const s = await lstat(p).catch(() => null);
    if (s && s.mtimeMs < Date.now() - 86_400_000) {
      await rm(p, { recursive: true, force: true });
      scratchRemoved++;
    }
  }
  return { requeued, removed, scratchRemoved };
}

export async function initUploads(
  ctx: UploadsContext,
  connection: ConnectionOptions,
  prefix: string,
  opts: { concurrency?: number; lockDuration?: number; stalledInterval?: number } = {},
) {
  const queue = new Queue<UploadsJobData, unknown, UploadsJobName>(UPLOADS_QUEUE, { connection, prefix });
  await queue.upsertJobScheduler(
    "uploads-sweep" as UploadsJobName,
    { every: 15 * 60_000 },
    { name: "sweep", data: {}, opts: { removeOnComplete: 50, removeOnFail: 200 } },
  );
  const worker = new Worker<UploadsJobData, unknown, UploadsJobName>(
    UPLOADS_QUEUE,
    async (job: Job<UploadsJobData, unknown, UploadsJobName>) => {
      if (job.name === "sweep") return execSweep(ctx, queue);
      const { uploadId } = UploadsJobData.parse(job.data);
      if (!uploadId) throw new Error("uploadId missing");
      return execProcessUpload(ctx, uploadId);
    },
    {
      connection,
      prefix,
      concurrency: opts.concurrency ?? 2,
      // Only when set: an explicit undefined would override BullMQ's defaults.
      ...(opts.lockDuration ? { lockDuration: opts.lockDuration } : {}),
      ...(opts.stalledInterval ? { stalledInterval: opts.stalledInterval } : {}),
    },
  );
  worker.on("failed", (job, err) => {
    if (!job || job.name !== "process" || !job.data.uploadId) return;
    if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
      void markProcessingFailed(ctx, job.data.uploadId, err.message).catch(() => undefined);
    }
  });
  return { queue, worker };
}
