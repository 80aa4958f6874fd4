// Pulls one study from the institution's PACS into a consultation (WADO-RS, instance by instance, streamed to
// scratch) through the upload pipeline's analysis: each instance validated, metadata extracted, preview and
// de-identified copy stored. Instances are staged as PROCESSING uploads as they arrive — a retry skips those —
// and all become READY together when the whole study is in, so no half-imported study is ever an attachment.
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { PacsImport } from "@prisma/client";
import { AppError } from "@yilian/contract";
import {
  consultationEvent,
  pacsGet,
  pacsTarget,
  publish,
  type Db,
  type EventSink,
  type PacsAddressPolicy,
  type PacsTarget,
} from "@yilian/server";
import { writeAudit } from "@yilian/audit";
import { deidentifiedKey, originalKey, previewKey, scratchDir, type Storage } from "@yilian/storage";
import { analyze } from "../uploads/analyze";
import { Rejection } from "../uploads/rejection";
import { multipartBoundary, MultipartError, readMultipart } from "./multipart";

export interface PacsImportContext {
  db: Db;
  storage: Storage;
  /** PATIENT_DATA_KEY: decrypts the stored PACS credentials. */
  keyB64: string;
  /** Which addresses a PACS host may resolve to (the registration rules, checked again on every connection). */
  policy: PacsAddressPolicy;
  /** The largest study accepted (bytes of all its instances). */
  maxStudyBytes: number;
  /** Instances fetched at once. */
  concurrency?: number;
  sink?: EventSink;
  /** Test hook: called after each instance is staged (e.g. to make the study vanish mid-import). */
  afterInstance?: (imp: PacsImport, sopInstanceUid: string) => Promise<void>;
}

/** Why an import stopped. Transient causes (network, PACS 5xx) are retried by the queue; the others are final. */
export class ImportFailure extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
    readonly transient = false,
  ) {
    super(`${code}: ${reason}`);
  }
}

const WADO_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const INSTANCE_TIMEOUT_MS = 300_000;

type DicomJson = Record<string, { Value?: unknown[] }>;
const str = (ds: DicomJson, tag: string) => {
  const v = ds[tag]?.Value?.[0];
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
};

interface SourceInstance {
  series: string;
  sop: string;
  number: string | null;
}

/** PACS_UNAVAILABLE from the client → a failure with its zh-CN reason; auth and redirects are final. */
function fromClient(e: unknown): never {
  if (e instanceof AppError) {
    const cause = (e.details as { cause?: string } | undefined)?.cause;
    if (cause === "auth") throw new ImportFailure("PACS_AUTH", e.message);
    if (cause === "redirect") throw new ImportFailure("PACS_REDIRECT", e.message);
    if (cause === "address") throw new ImportFailure("PACS_ADDRESS", e.message);
    throw new ImportFailure("PACS_UNREACHABLE", e.message, true);
  }
  throw e;
}

async function get(t: PacsTarget, p: string, accept: string, timeoutMs?: number) {
  try {
    return await pacsGet(t, p, accept, timeoutMs);
  } catch (e) {
    fromClient(e);
  }
}

/** The study's instances as the PACS lists them (QIDO-RS). */
async function listInstances(t: PacsTarget, studyUid: string): Promise<SourceInstance[]> {
  const res = await get(
    t,
    `/studies/${studyUid}/instances?includefield=0020000E&includefield=00200013`,
    "application/dicom+json",
  );
  if (res.status === 404 || res.status === 204) {
    await res.body?.cancel();
    throw new ImportFailure("STUDY_NOT_FOUND", "PACS 中找不到该检查（可能已被删除或移动），请重新查询后再导入");
  }
  if (res.status >= 500) {
    await res.body?.cancel();
    throw new ImportFailure("PACS_ERROR", `PACS 暂时无法提供该检查（HTTP ${res.status}），稍后将自动重试`, true);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ImportFailure("PACS_ERROR", `PACS 拒绝了该检查的查询（HTTP ${res.status}）`);
  }
  const body = (await res.json().catch(() => null)) as DicomJson[] | null;
  if (!Array.isArray(body)) throw new ImportFailure("PACS_ERROR", "PACS 返回的实例列表格式不正确");
  const list = body
    .map((ds) => ({ series: str(ds, "0020000E") ?? "", sop: str(ds, "00080018") ?? "", number: str(ds, "00200013") }))
    .filter((i) => i.series && i.sop);
  if (!list.length)
    throw new ImportFailure("STUDY_NOT_FOUND", "PACS 中找不到该检查（可能已被删除或移动），请重新查询后再导入");
  return list;
}

const vanished = () =>
  new ImportFailure(
    "STUDY_VANISHED",
    "导入过程中该检查已从 PACS 中删除或移动，已取回的部分未加入会诊；确认检查仍在 PACS 中后可重新导入",
  );

/**
 * WADO-RS retrieve of one instance, streamed into `file`. `budget` is how many bytes the study may still grow by.
 * Returns the size and SHA-256.
 */
async function fetchInstance(t: PacsTarget, studyUid: string, inst: SourceInstance, file: string, budget: number) {
  const res = await get(
    t,
    `/studies/${studyUid}/series/${inst.series}/instances/${inst.sop}`,
    WADO_ACCEPT,
    INSTANCE_TIMEOUT_MS,
  );
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel();
    throw vanished();
  }
  if (res.status >= 500) {
    await res.body?.cancel();
    throw new ImportFailure("PACS_ERROR", `PACS 传输影像时出错（HTTP ${res.status}），稍后将自动重试`, true);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new ImportFailure("PACS_ERROR", `PACS 拒绝传输影像（HTTP ${res.status}）`);
  }
  const boundary = multipartBoundary(res.headers.get("content-type"));
  if (!boundary) {
    await res.body.cancel();
    throw new ImportFailure("NOT_DICOM", "PACS 返回的内容不是 DICOM 影像（应答不是 multipart/related），导入已停止");
  }
  const hash = createHash("sha256");
  let size = 0;
  let count = 0;
  const out = createWriteStream(file);
  const closed = new Promise<void>((resolve, reject) => {
    out.once("close", resolve);
    out.once("error", reject);
  });
  try {
    await readMultipart(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), boundary, (headers, index) => {
      count = index + 1;
      const type = (headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
      if (index > 0) throw new ImportFailure("NOT_DICOM", "PACS 对单个实例返回了多个部分，导入已停止");
      if (type !== "application/dicom")
        throw new ImportFailure("NOT_DICOM", `PACS 返回的内容中有非 DICOM 部分（${type || "未标明类型"}），导入已停止`);
      return {
        write: async (chunk) => {
          size += chunk.length;
          if (size > budget) throw tooLarge();
          hash.update(chunk);
          if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
        },
        end: () => undefined,
      };
    });
  } catch (e) {
    out.destroy();
    await closed.catch(() => undefined);
    if (e instanceof MultipartError)
      throw new ImportFailure("PACS_ERROR", "PACS 的应答不完整（传输中断），稍后将自动重试", true);
    if (e instanceof ImportFailure) throw e;
    // The body broke off mid-stream: the network or the PACS went away.
    throw new ImportFailure("PACS_UNREACHABLE", "从 PACS 传输影像时连接中断，稍后将自动重试", true);
  }
  out.end();
  await closed;
  if (count === 0) throw vanished();
  // The DICOM preamble is 128 bytes followed by "DICM".
  const fh = await open(file, "r");
  const magic = Buffer.alloc(4);
  await fh.read(magic, 0, 4, 128).finally(() => fh.close());
  if (magic.toString("latin1") !== "DICM")
    throw new ImportFailure("NOT_DICOM", "PACS 返回的内容中有非 DICOM 数据（缺少 DICM 文件头），导入已停止");
  return { size, sha256: hash.digest("hex") };
}

const tooLarge = () =>
  new ImportFailure("TOO_LARGE", "该检查超过平台允许的单次导入上限，已停止导入；请只选择所需的序列或联系管理员");

async function stageInstance(
  ctx: PacsImportContext,
  imp: PacsImport,
  t: PacsTarget,
  inst: SourceInstance,
  budget: () => number,
  work: string,
) {
  const id = randomUUID();
  const dir = await mkdtemp(path.join(work, "i-"));
  try {
    const local = path.join(dir, "original.dcm");
    const { size, sha256 } = await fetchInstance(t, imp.studyInstanceUid, inst, local, budget());
    let result;
    try {
      result = await analyze("DICOM", local, dir);
    } catch (e) {
      if (e instanceof Rejection) throw new ImportFailure("NOT_DICOM", `PACS 返回的影像无法通过校验：${e.reason}`);
      throw e;
    }
    if (result.fields.sopInstanceUid !== inst.sop || result.fields.studyInstanceUid !== imp.studyInstanceUid) {
      throw new ImportFailure("PACS_ERROR", "PACS 返回的影像与所请求的检查不符，导入已停止");
    }
    // Objects first, then the row: a crash in between leaves objects no row owns, which the uploads sweep removes.
    await ctx.storage.putFile(originalKey(id), local, { move: true, contentType: "application/dicom" });
    let pKey: string | null = null;
    let dKey: string | null = null;
    if (result.preview) {
      pKey = previewKey(id);
      const f = path.join(dir, "preview.png");
      await writeFile(f, result.preview);
      await ctx.storage.putFile(pKey, f, { move: true, contentType: "image/png" });
    }
    if (result.deidentified) {
      dKey = deidentifiedKey(id);
      const f = path.join(dir, "deid.dcm");
      await writeFile(f, result.deidentified);
      await ctx.storage.putFile(dKey, f, { move: true, contentType: "application/dicom" });
    }
    // One batched transaction (no interactive round trips): the staged row and the progress count together.
    await ctx.db.$transaction([
      ctx.db.upload.create({
        data: {
          id,
          consultationId: imp.consultationId,
          uploaderId: imp.requesterId,
          uploaderInstitutionId: imp.institutionId,
          originalName: `PACS-${result.fields.modality ?? "DICOM"}-${inst.number ?? inst.sop.slice(-8)}.dcm`,
          kind: "DICOM",
          category: "IMAGING",
          mime: "application/dicom",
          sizeBytes: BigInt(size),
          sha256,
          storageKey: originalKey(id),
          previewKey: pKey,
          deidentifiedKey: dKey,
          status: "PROCESSING",
          ...result.fields,
          details: result.details as object,
          processedAt: new Date(),
          pacsImportId: imp.id,
        },
      }),
      ctx.db.pacsImport.update({
        where: { id: imp.id },
        data: { importedInstances: { increment: 1 }, importedBytes: { increment: size } },
      }),
    ]);
    return size;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the import; ImportFailure for a reason to show (transient ones are rethrown for the queue to retry). */
export async function execPacsImport(
  ctx: PacsImportContext,
  importId: string,
): Promise<{ status: "DONE" | "SKIPPED"; fetched: number }> {
  const { db } = ctx;
  const started = await db.pacsImport.updateMany({
    where: { id: importId, status: { in: ["QUEUED", "RUNNING"] } },
    data: { status: "RUNNING" },
  });
  if (!started.count) return { status: "SKIPPED", fetched: 0 };
  const imp = await db.pacsImport.findUniqueOrThrow({ where: { id: importId } });
  const pacs = await db.pacsConnection.findUnique({ where: { institutionId: imp.institutionId } });
  if (!pacs)
    throw new ImportFailure("PACS_NOT_REGISTERED", "本机构的 PACS 登记已被删除，请联系机构管理员重新登记后再导入");
  const t = pacsTarget(pacs, ctx.keyB64, ctx.policy);
  const source = await listInstances(t, imp.studyInstanceUid);
  const staged = await db.upload.findMany({
    where: { pacsImportId: imp.id, status: "PROCESSING" },
    select: { id: true, sopInstanceUid: true, sizeBytes: true },
  });
  const wanted = new Set(source.map((s) => s.sop));
  const have = new Set(
    staged.filter((s) => s.sopInstanceUid && wanted.has(s.sopInstanceUid)).map((s) => s.sopInstanceUid!),
  );
  // Progress as the PACS lists the study now (instances staged earlier but since gone from the PACS do not count).
  let bytes = staged.filter((s) => have.has(s.sopInstanceUid!)).reduce((n, s) => n + Number(s.sizeBytes), 0);
  await db.pacsImport.update({
    where: { id: imp.id },
    data: { totalInstances: source.length, importedInstances: have.size, importedBytes: bytes },
  });
  if (bytes > ctx.maxStudyBytes) throw tooLarge();

  const todo = source.filter((s) => !have.has(s.sop));
  const work = await mkdtemp(path.join(await scratchDir(), "pacs-"));
  let fetched = 0;
  try {
    let next = 0;
    let failed: unknown = null;
    const lane = async () => {
      while (!failed && next < todo.length) {
        const inst = todo[next++]!;
        try {
          bytes += await stageInstance(ctx, imp, t, inst, () => ctx.maxStudyBytes - bytes, work);
          fetched++;
          await ctx.afterInstance?.(imp, inst.sop);
        } catch (e) {
          failed ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ctx.concurrency ?? 4, todo.length || 1) }, lane));
    if (failed) throw failed;
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  const committed = await db.$transaction(async (tx) => {
    // Staged copies of instances the PACS no longer lists stay out of the study.
    const ready = await tx.upload.updateMany({
      where: { pacsImportId: imp.id, status: "PROCESSING", sopInstanceUid: { in: [...wanted] } },
      data: { status: "READY" },
    });
    const done = await tx.pacsImport.updateMany({
      where: { id: imp.id, status: "RUNNING" },
      data: { status: "DONE", finishedAt: new Date(), failCode: null, failReason: null },
    });
    await writeAudit(tx, {
      action: "pacs.import.complete",
      entityType: "PacsImport",
      entityId: imp.id,
      outcome: "SUCCESS",
      detail: { consultationId: imp.consultationId, instances: ready.count, fetched },
    });
    return done.count === 1;
  });
  if (committed) await announce(ctx, imp);
  return { status: "DONE", fetched };
}

/** After submission the other participants are told that the study is there (one event per study). */
async function announce(ctx: PacsImportContext, imp: PacsImport) {
  if (!ctx.sink) return;
  const c = await ctx.db.consultation.findUnique({
    where: { id: imp.consultationId },
    include: { participants: { select: { userId: true } } },
  });
  if (!c || c.status === "DRAFT") return;
  const first = await ctx.db.upload.findFirst({
    where: { pacsImportId: imp.id, status: "READY" },
    orderBy: { createdAt: "asc" },
    select: { id: true },
  });
  if (!first) return;
  const others = c.participants.map((p) => p.userId).filter((id) => id !== imp.requesterId);
  publish(ctx.sink, [
    consultationEvent("consultation:attachment-added", c, others, { actorId: imp.requesterId, uploadId: first.id }),
  ]);
}

/** Ends the import FAILED with its reason. A study over the size limit keeps nothing: a retry cannot succeed. */
export async function markImportFailed(ctx: PacsImportContext, importId: string, failure: ImportFailure) {
  const { db, storage } = ctx;
  let dropped: { id: string; storageKey: string | null; previewKey: string | null; deidentifiedKey: string | null }[] =
    [];
  await db.$transaction(async (tx) => {
    const { count } = await tx.pacsImport.updateMany({
      where: { id: importId, status: { in: ["QUEUED", "RUNNING"] } },
      data: { status: "FAILED", failCode: failure.code, failReason: failure.reason, finishedAt: new Date() },
    });
    if (!count) return;
    if (failure.code === "TOO_LARGE") {
      dropped = await tx.upload.findMany({
        where: { pacsImportId: importId, status: "PROCESSING" },
        select: { id: true, storageKey: true, previewKey: true, deidentifiedKey: true },
      });
      await tx.upload.deleteMany({ where: { id: { in: dropped.map((d) => d.id) } } });
      await tx.pacsImport.update({ where: { id: importId }, data: { importedInstances: 0, importedBytes: 0 } });
    }
    await writeAudit(tx, {
      action: "pacs.import.complete",
      entityType: "PacsImport",
      entityId: importId,
      outcome: "INVALID",
      detail: { code: failure.code },
    });
  });
  for (const d of dropped)
    for (const k of [d.storageKey, d.previewKey, d.deidentifiedKey])
      if (k) await storage.delete(k).catch(() => undefined);
}
