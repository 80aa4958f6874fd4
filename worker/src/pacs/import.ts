// Pulls one study from the institution's PACS into a consultation (WADO-RS: the whole study in one answer, or on a
// retry what is missing, each part read as it streams in) through the upload pipeline's analysis: each instance
// validated, metadata extracted, de-identified copy stored (previews are drawn when first asked for). Instances are
// staged as PROCESSING uploads as they arrive — a retry skips those — and all become READY together when the whole
// study is in, so no half-imported study is ever an attachment.
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { PacsImport } from "@prisma/client";
import { AppError } from "@yilian/contract";
import {
  consultationEvent,
  groupCommit,
  pacsGet,
  pacsTarget,
  publish,
  sqlOf,
  type Db,
  type EventSink,
  type PacsAddressPolicy,
  type PacsTarget,
  type Sql,
} from "@yilian/server";
import { writeAudit } from "@yilian/audit";
import { deidentifiedKey, originalKey, scratchDir, type Storage } from "@yilian/storage";
import { analyze, analyzeDicomBytes } from "../uploads/analyze";
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
  /** Instances analysed at once, and retrieves (a study, a series or single instances) running at once. */
  concurrency?: number;
  /** Parts up to this size are read into memory, larger ones streamed to scratch (default 16 MiB). */
  memoryPartBytes?: number;
  sink?: EventSink;
  /** Test hook: called after each instance is staged. */
  afterInstance?: (imp: PacsImport, sopInstanceUid: string) => Promise<void>;
  /** Test hook: called when a retrieve has been answered, before its lane starts the next (e.g. to make the study vanish mid-import). */
  afterRetrieve?: (imp: PacsImport) => Promise<void>;
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
/** A series with at least this many instances, none staged yet, comes in one WADO-RS answer. */
const SERIES_RETRIEVE_MIN = 8;
/** A retrieve may take long (a 2 GB series over a township line); one that stops moving is given up sooner. */
const RETRIEVE_TIMEOUT_MS = 6 * 3600_000;
const RETRIEVE_STALL_MS = 60_000;

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

async function get(t: PacsTarget, p: string, accept: string, timeoutMs?: number, signal?: AbortSignal) {
  try {
    return await pacsGet(t, p, accept, timeoutMs, signal);
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

const tooLarge = () =>
  new ImportFailure("TOO_LARGE", "该检查超过平台允许的单次导入上限，已停止导入；请只选择所需的序列或联系管理员");

/** A part up to this size is kept in memory; a larger one (a long multi-frame clip) goes to a scratch file. */
const MEMORY_PART_BYTES = 16 * 1024 * 1024;

/** One complete part of a WADO-RS answer: in memory, or in its own scratch directory. */
type Arrival = { size: number; sha256: string } & ({ bytes: Buffer } | { dir: string; file: string });

/**
 * One WADO-RS retrieve (a whole study, a series, or one instance), each part collected (in memory, or streamed to a
 * scratch file when large) and handed to `arrived` once complete; the answer is read on only when `arrived` returns
 * (the analysis lanes set the pace). `received` counts the study's bytes against its limit as they come. Returns the
 * number of parts.
 */
async function retrieve(
  t: PacsTarget,
  p: string,
  opts: { work: string; memoryPartBytes: number; received: { bytes: number; limit: number } },
  arrived: (a: Arrival) => Promise<void>,
): Promise<number> {
  const stalled = new AbortController();
  const stall = setTimeout(() => stalled.abort(), RETRIEVE_STALL_MS);
  try {
    return await retrieveParts(t, p, opts, arrived, stalled.signal, () => stall.refresh());
  } finally {
    clearTimeout(stall);
  }
}

async function retrieveParts(
  t: PacsTarget,
  p: string,
  opts: { work: string; memoryPartBytes: number; received: { bytes: number; limit: number } },
  arrived: (a: Arrival) => Promise<void>,
  signal: AbortSignal,
  moved: () => void,
): Promise<number> {
  const res = await get(t, p, WADO_ACCEPT, RETRIEVE_TIMEOUT_MS, signal);
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
  let open: WriteStream | null = null;
  try {
    return await readMultipart(
      Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>),
      boundary,
      async (headers) => {
        const type = (headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
        if (type !== "application/dicom")
          throw new ImportFailure(
            "NOT_DICOM",
            `PACS 返回的内容中有非 DICOM 部分（${type || "未标明类型"}），导入已停止`,
          );
        const hash = createHash("sha256");
        // The DICOM preamble is 128 bytes followed by "DICM".
        let head = Buffer.alloc(0);
        let chunks: Buffer[] = [];
        let size = 0;
        let spilled: { dir: string; file: string; out: WriteStream; closed: Promise<void> } | null = null;
        const spill = async () => {
          const dir = await mkdtemp(path.join(opts.work, "i-"));
          const file = path.join(dir, "original.dcm");
          const out = createWriteStream(file);
          open = out;
          const closed = new Promise<void>((resolve, reject) => {
            out.once("close", resolve);
            out.once("error", reject);
          });
          spilled = { dir, file, out, closed };
          for (const c of chunks) out.write(c);
          chunks = [];
          return spilled;
        };
        return {
          write: async (chunk) => {
            moved();
            size += chunk.length;
            opts.received.bytes += chunk.length;
            if (opts.received.bytes > opts.received.limit) throw tooLarge();
            hash.update(chunk);
            if (head.length < 132) head = Buffer.concat([head, chunk.subarray(0, 132 - head.length)]);
            if (!spilled && size <= opts.memoryPartBytes) return void chunks.push(chunk);
            const { out } = spilled ?? (await spill());
            if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
          },
          end: async () => {
            let arrival: Arrival;
            const s = spilled as typeof spilled;
            if (s) {
              s.out.end();
              await s.closed;
              open = null;
              arrival = { dir: s.dir, file: s.file, size, sha256: hash.digest("hex") };
            } else arrival = { bytes: Buffer.concat(chunks, size), size, sha256: hash.digest("hex") };
            if (head.subarray(128, 132).toString("latin1") !== "DICM")
              throw new ImportFailure("NOT_DICOM", "PACS 返回的内容中有非 DICOM 数据（缺少 DICM 文件头），导入已停止");
            await arrived(arrival);
            moved(); // time spent waiting for a lane is ours, not the PACS's
          },
        };
      },
    );
  } catch (e) {
    (open as WriteStream | null)?.destroy();
    if (e instanceof MultipartError)
      throw new ImportFailure("PACS_ERROR", "PACS 的应答不完整（传输中断），稍后将自动重试", true);
    if (e instanceof ImportFailure) throw e;
    // The body broke off mid-stream: the network or the PACS went away.
    throw new ImportFailure("PACS_UNREACHABLE", "从 PACS 传输影像时连接中断，稍后将自动重试", true);
  }
}

/** One WADO-RS retrieve and the instances its answer should hold (a promise: a study's listing may still be on its way). */
interface Retrieval {
  path: string;
  instances: Promise<SourceInstance[]>;
}

/** A resumed import's retrieves: a series in one answer when none of it is staged yet, else its gaps one by one. */
function plan(studyUid: string, source: SourceInstance[], todo: SourceInstance[]): Retrieval[] {
  const total = new Map<string, number>();
  for (const s of source) total.set(s.series, (total.get(s.series) ?? 0) + 1);
  const missing = new Map<string, SourceInstance[]>();
  for (const s of todo) missing.set(s.series, [...(missing.get(s.series) ?? []), s]);
  const out: Retrieval[] = [];
  for (const [series, list] of missing) {
    // The PACS's cost per request outweighs the transfer of a slice.
    if (list.length >= SERIES_RETRIEVE_MIN && list.length === total.get(series))
      out.push({ path: `/studies/${studyUid}/series/${series}`, instances: Promise.resolve(list) });
    else
      for (const i of list)
        out.push({
          path: `/studies/${studyUid}/series/${series}/instances/${i.sop}`,
          instances: Promise.resolve([i]),
        });
  }
  return out;
}

/** One staged instance's row (all of it PROCESSING until the whole study is in). */
interface StagedRow {
  id: string;
  originalName: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
  deidentifiedKey: string | null;
  studyInstanceUid: string;
  seriesInstanceUid: string | null;
  sopInstanceUid: string;
  modality: string | null;
  bodyPart: string | null;
  studyDate: string | null;
  width: number | null;
  height: number | null;
  details: object;
}

/**
 * Analyses one arrived instance and stores its objects (original and de-identified copy; its preview is drawn when
 * first asked for); returns its row. Objects first, then the row: a crash in between leaves objects no row owns,
 * which the uploads sweep removes.
 */
async function stageInstance(ctx: PacsImportContext, imp: PacsImport, a: Arrival, work: string): Promise<StagedRow> {
  const id = randomUUID();
  // A part kept in memory writes its files into the import's scratch directory, named by the new upload's id.
  const dir = "dir" in a ? a.dir : work;
  try {
    let result;
    try {
      result =
        "bytes" in a
          ? await analyzeDicomBytes(a.bytes, { preview: false })
          : await analyze("DICOM", a.file, a.dir, { preview: false });
    } catch (e) {
      if (e instanceof Rejection) throw new ImportFailure("NOT_DICOM", `PACS 返回的影像无法通过校验：${e.reason}`);
      throw e;
    }
    const f = result.fields;
    if (f.studyInstanceUid !== imp.studyInstanceUid) throw mismatch();
    let original: string;
    if ("bytes" in a) {
      original = path.join(dir, `${id}.dcm`);
      await writeFile(original, a.bytes);
    } else original = a.file;
    await ctx.storage.putFile(originalKey(id), original, { move: true, contentType: "application/dicom" });
    let dKey: string | null = null;
    if (result.deidentified) {
      dKey = deidentifiedKey(id);
      const file = path.join(dir, `${id}.deid.dcm`);
      await writeFile(file, result.deidentified);
      await ctx.storage.putFile(dKey, file, { move: true, contentType: "application/dicom" });
    }
    return {
      id,
      originalName: "",
      sizeBytes: a.size,
      sha256: a.sha256,
      storageKey: originalKey(id),
      deidentifiedKey: dKey,
      studyInstanceUid: imp.studyInstanceUid,
      seriesInstanceUid: f.seriesInstanceUid ?? null,
      // dicomInfo refuses an instance without one.
      sopInstanceUid: f.sopInstanceUid!,
      modality: f.modality ?? null,
      bodyPart: f.bodyPart ?? null,
      studyDate: f.studyDate ? f.studyDate.toISOString().slice(0, 10) : null,
      width: f.width ?? null,
      height: f.height ?? null,
      details: result.details,
    };
  } finally {
    if ("dir" in a) await rm(a.dir, { recursive: true, force: true });
  }
}

const mismatch = () => new ImportFailure("PACS_ERROR", "PACS 返回的影像与所请求的检查不符，导入已停止");

/**
 * Writes staged rows and the import's progress in one statement (plain SQL: on this path Prisma's query
 * compiler cost more CPU than everything else the worker does per instance).
 */
async function commitStaged(sql: Sql, imp: PacsImport, rows: StagedRow[]) {
  await sql.query(
    `WITH staged AS (
       INSERT INTO "Upload" (id, "consultationId", "uploaderId", "uploaderInstitutionId", "originalName", kind, category,
         mime, "sizeBytes", sha256, "storageKey", "deidentifiedKey", status, "studyInstanceUid",
         "seriesInstanceUid", "sopInstanceUid", modality, "bodyPart", "studyDate", width, height, details,
         "processedAt", "pacsImportId")
       SELECT r.id, $2, $3, $4, r."originalName", 'DICOM', 'IMAGING', 'application/dicom', r."sizeBytes", r.sha256,
         r."storageKey", r."deidentifiedKey", 'PROCESSING', r."studyInstanceUid",
         r."seriesInstanceUid", r."sopInstanceUid", r.modality, r."bodyPart", r."studyDate", r.width, r.height,
         r.details, now(), $1
         FROM jsonb_to_recordset($5::jsonb) AS r(id uuid, "originalName" text, "sizeBytes" bigint, sha256 text,
           "storageKey" text, "deidentifiedKey" text, "studyInstanceUid" text, "seriesInstanceUid" text,
           "sopInstanceUid" text, modality text, "bodyPart" text, "studyDate" date, width int, height int, details jsonb)
       RETURNING "sizeBytes")
     UPDATE "PacsImport"
        SET "importedInstances" = "importedInstances" + (SELECT count(*) FROM staged),
            "importedBytes" = "importedBytes" + (SELECT coalesce(sum("sizeBytes"), 0) FROM staged)
      WHERE id = $1`,
    [imp.id, imp.consultationId, imp.requesterId, imp.institutionId, JSON.stringify(rows)],
  );
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
  const listing = listInstances(t, imp.studyInstanceUid);
  listing.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  const staged = await db.upload.findMany({
    where: { pacsImportId: imp.id, status: "PROCESSING" },
    select: { id: true, sopInstanceUid: true, sizeBytes: true },
  });
  // Progress as the PACS lists the study now (instances staged earlier but since gone from the PACS do not count).
  const progress = listing.then(async (source) => {
    const wanted = new Set(source.map((s) => s.sop));
    const have = staged.filter((s) => s.sopInstanceUid && wanted.has(s.sopInstanceUid));
    const bytes = have.reduce((n, s) => n + Number(s.sizeBytes), 0);
    await db.pacsImport.update({
      where: { id: imp.id },
      data: { totalInstances: source.length, importedInstances: have.length, importedBytes: bytes },
    });
    if (bytes > ctx.maxStudyBytes) throw tooLarge();
    return { source, wanted, have: new Set(have.map((s) => s.sopInstanceUid!)), bytes };
  });
  progress.catch(() => undefined);
  let retrievals: Retrieval[];
  const received = { bytes: 0, limit: ctx.maxStudyBytes };
  if (!staged.length) {
    // A fresh import asks for the whole study in one answer while the listing is on its way.
    retrievals = [{ path: `/studies/${imp.studyInstanceUid}`, instances: progress.then((p) => p.source) }];
  } else {
    // A resumed one fetches only what is missing, so it needs the listing first.
    const p = await progress;
    received.bytes = p.bytes;
    const todo = p.source.filter((s) => !p.have.has(s.sop));
    retrievals = plan(imp.studyInstanceUid, p.source, todo);
  }

  const lanes = Math.max(1, ctx.concurrency ?? 4);
  const work = await mkdtemp(path.join(await scratchDir(), "pacs-"));
  // Rows of staged instances with the progress count, batched while a write runs.
  const sql = sqlOf(db);
  const commit = groupCommit<StagedRow>(async (rows) => {
    await progress; // the counts it sets come first
    await commitStaged(sql, imp, rows);
    for (const r of rows) await ctx.afterInstance?.(imp, r.sopInstanceUid);
  });

  let fetched = 0;
  let failed: unknown = null;
  const fail = (e: unknown) => void (failed ??= e);
  const analysing = new Set<Promise<void>>();
  const committing = new Set<Promise<void>>();
  const track = (set: Set<Promise<void>>, p: Promise<void>) => {
    const tracked: Promise<void> = p.catch(fail).finally(() => set.delete(tracked));
    set.add(tracked);
  };
  /**
   * Stages an arrived part once a lane is free; a failure anywhere stops the answers being read. The lane is free
   * again as soon as the objects are stored: checking the instance against the listing and writing its row wait
   * outside it.
   */
  const admit = async (a: Arrival, expected: Promise<Map<string, SourceInstance>>) => {
    while (analysing.size >= lanes && !failed) await Promise.race(analysing);
    if (failed) throw failed;
    track(
      analysing,
      stageInstance(ctx, imp, a, work).then((row) => {
        const checked = expected.then(async (want) => {
          const inst = want.get(row.sopInstanceUid);
          // Each requested instance once, and only those.
          if (!inst) {
            for (const k of [row.storageKey, row.deidentifiedKey]) if (k) await ctx.storage.delete(k).catch(() => {});
            throw mismatch();
          }
          want.delete(inst.sop);
          fetched++;
          const name = `PACS-${row.modality ?? "DICOM"}-${inst.number ?? inst.sop.slice(-8)}.dcm`;
          await commit({ ...row, originalName: name });
        });
        track(committing, checked);
      }),
    );
  };
  try {
    let next = 0;
    const lane = async () => {
      while (!failed && next < retrievals.length) {
        const r = retrievals[next++]!;
        const listed = r.instances.then((list) => new Map(list.map((i) => [i.sop, i])));
        listed.catch(() => undefined);
        try {
          const parts = await retrieve(
            t,
            r.path,
            { work, received, memoryPartBytes: ctx.memoryPartBytes ?? MEMORY_PART_BYTES },
            (a) => admit(a, listed),
          );
          // Fewer parts than listed: some instances left the PACS since the listing.
          if (parts < (await r.instances).length) throw vanished();
          await ctx.afterRetrieve?.(imp);
        } catch (e) {
          fail(e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, retrievals.length || 1) }, lane));
    while (analysing.size || committing.size) await Promise.race([...analysing, ...committing]);
    // The listing's own failure (e.g. the study is not in the PACS) is the reason, not what followed from it.
    await progress;
    if (failed) throw failed;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const { wanted } = await progress;

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
