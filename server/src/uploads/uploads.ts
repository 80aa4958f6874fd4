// Use cases of the uploads domain: accept (store, record, enqueue), list, read, stream content with ranges.
import { randomUUID } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Request, Response } from "express";
import type { Upload } from "@prisma/client";
import { AppError, ErrorCode } from "@yilian/contract";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import { originalKey, previewKey, type Storage } from "@yilian/storage";
import { uploadJobOptions } from "@yilian/jobs";
import type { AppQueues } from "../jobs/queues";
import { consultationAccess } from "./access";
import { receiveUpload } from "./receive";
import type { KindSpec } from "./kinds";
import { renderFrame } from "../dicomweb/dataset";

/**
 * `details.preview` of a DICOM instance whose preview is drawn when first asked for, and kept, rather than at
 * import: PACS studies, whose hundreds of slices the stack viewer reads as DICOM and whose cards show one per series.
 */
export const PREVIEW_ON_REQUEST = "on request";
const PREVIEW_MAX_PX = 512;

const previewOnRequest = (u: Upload) =>
  u.kind === "DICOM" && (u.details as { preview?: unknown } | null)?.preview === PREVIEW_ON_REQUEST;

export interface UploadsDeps {
  db: Db;
  storage: Storage;
  queues: AppQueues;
  kinds: Record<string, KindSpec>;
  scratch: () => Promise<string>;
  log: { warn(obj: object, msg: string): void };
}

const NEUTRAL: Record<string, [label: string, ext: string]> = {
  DICOM: ["影像", "dcm"],
  JPEG: ["图片", "jpg"],
  PNG: ["图片", "png"],
  PDF: ["文档", "pdf"],
  DOCX: ["文档", "docx"],
};

/** A name that says what the file is and nothing about whom: "影像-3.dcm" (the 3rd file of the consultation). */
export function neutralName(kind: string | null, position: number): string {
  const [label, ext] = NEUTRAL[kind ?? ""] ?? ["文件", "bin"];
  return `${label}-${position}.${ext}`;
}

/** Position (1-based, upload order) of each file in its consultation: the number in its neutral name. */
/** The consultation's files; instances of an unfinished PACS import are not among them yet (the import shows its progress). */
const listedFiles = (consultationId: string) => ({
  consultationId,
  NOT: { pacsImportId: { not: null }, status: "PROCESSING" as const },
});

async function positions(db: Db, consultationId: string): Promise<Map<string, number>> {
  const ids = await db.upload.findMany({
    where: listedFiles(consultationId),
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true },
  });
  return new Map(ids.map((r, i) => [r.id, i + 1]));
}

/** The file's name as this caller may see it: the original for those who see the identity, else neutral. */
function shownName(u: Upload, access: { seesIdentity: boolean }, position: number | undefined): string {
  return access.seesIdentity ? u.originalName : neutralName(u.kind, position ?? 0);
}

export function uploadDto(u: Upload, name = u.originalName) {
  return {
    id: u.id,
    consultationId: u.consultationId,
    originalName: name,
    kind: u.kind,
    category: u.category,
    mime: u.mime,
    sizeBytes: Number(u.sizeBytes),
    sha256: u.sha256,
    status: u.status,
    rejectCode: u.rejectCode,
    rejectReason: u.rejectReason,
    hasPreview: u.previewKey !== null || previewOnRequest(u),
    dicom:
      u.kind === "DICOM"
        ? {
            studyInstanceUid: u.studyInstanceUid,
            seriesInstanceUid: u.seriesInstanceUid,
            sopInstanceUid: u.sopInstanceUid,
            modality: u.modality,
            bodyPart: u.bodyPart,
            studyDate: u.studyDate ? u.studyDate.toISOString().slice(0, 10) : null,
          }
        : null,
    pageCount: u.pageCount,
    width: u.width,
    height: u.height,
    uploaderId: u.uploaderId,
    createdAt: u.createdAt.toISOString(),
    processedAt: u.processedAt?.toISOString() ?? null,
  };
}

/** Refuses (and audits) an upload into a consultation the caller may not add files to. */
export async function assertCanUpload(db: Db, user: AuthUser, consultationId: string) {
  // Scope first: a consultation the caller may not see answers 404 before a byte is stored.
  const access = await consultationAccess(db, user, consultationId, "upload.create");
  // Readers who do not work on it (administrators) are refused as such, not told the consultation is closed.
  if (!access.worksOnIt)
    throw new AppError(ErrorCode.FORBIDDEN, "只有申请医生、会诊专家和受理机构的协调员可以上传资料");
  if (!access.canUpload) {
    throw new AppError(ErrorCode.INVALID_STATE, "该会诊已结束，不能再上传资料", {
      details: { consultationStatus: access.consultation.status },
    });
  }
  return access;
}

export async function auditRefusedUpload(db: Db, consultationId: string, e: unknown) {
  if (!(e instanceof AppError)) return;
  await audit(db, {
    action: "upload.create",
    entityType: "Consultation",
    entityId: consultationId,
    outcome: "INVALID",
    detail: { reason: e.message, code: e.code },
  });
}

/** A complete file whose kind was decided from its content, waiting in local scratch. */
export interface CompleteFile {
  tmpPath: string;
  originalName: string;
  size: number;
  sha256: string;
  spec: KindSpec;
}

/**
 * The one way into the pipeline (multipart and resumable uploads alike): moves the file into storage, records it
 * UPLOADED with its audit row, then enqueues processing (after the commit).
 */
export async function recordUpload(
  deps: UploadsDeps,
  user: AuthUser,
  consultationId: string,
  file: CompleteFile,
  id: string = randomUUID(),
) {
  const { db, storage } = deps;
  const key = originalKey(id);
  try {
    await storage.putFile(key, file.tmpPath, { move: true, contentType: file.spec.mime });
  } catch (e) {
    await rm(file.tmpPath, { force: true });
    throw e;
  }
  let row: Upload;
  try {
    row = await db.$transaction(async (tx) => {
      const created = await tx.upload.create({
        data: {
          id,
          consultationId,
          uploaderId: user.id,
          uploaderInstitutionId: user.institutionId,
          originalName: file.originalName,
          kind: file.spec.kind,
          category: file.spec.category,
          mime: file.spec.mime,
          sizeBytes: BigInt(file.size),
          sha256: file.sha256,
          storageKey: key,
          status: "UPLOADED",
        },
      });
      await audit(tx, {
        action: "upload.create",
        entityType: "Upload",
        entityId: id,
        outcome: "SUCCESS",
        detail: { consultationId, kind: file.spec.kind, sizeBytes: file.size, sha256: file.sha256 },
      });
      return created;
    });
  } catch (e) {
    // No row, no object: the stored bytes go too.
    await storage.delete(key).catch(() => undefined);
    throw e;
  }
  try {
    await deps.queues.uploads.add("process", { uploadId: id }, uploadJobOptions(id));
  } catch (err) {
    // The row is safe; the worker's periodic sweep enqueues UPLOADED rows that have no job.
    deps.log.warn({ err: (err as Error).message, uploadId: id }, "enqueue failed; the sweep will pick the upload up");
  }
  return uploadDto(row);
}

/** Multipart upload of a small file: received into scratch, then recorded. */
export async function acceptUpload(deps: UploadsDeps, user: AuthUser, consultationId: string, req: Request) {
  await assertCanUpload(deps.db, user, consultationId);
  let file;
  try {
    file = await receiveUpload(req, deps.kinds, await deps.scratch());
  } catch (e) {
    await auditRefusedUpload(deps.db, consultationId, e);
    throw e;
  }
  return recordUpload(deps, user, consultationId, file);
}

export async function listUploads(db: Db, user: AuthUser, consultationId: string) {
  const access = await consultationAccess(db, user, consultationId, "upload.list");
  const rows = await db.upload.findMany({
    where: listedFiles(consultationId),
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  await audit(db, {
    action: "upload.list",
    entityType: "Consultation",
    entityId: consultationId,
    outcome: "SUCCESS",
    detail: { count: rows.length },
  });
  return { items: rows.map((u, i) => uploadDto(u, shownName(u, access, i + 1))) };
}

async function loadReadable(db: Db, user: AuthUser, uploadId: string) {
  const row = await db.upload.findUnique({ where: { id: uploadId } });
  if (!row) throw notFound("文件");
  try {
    const access = await consultationAccess(db, user, row.consultationId, "upload.read");
    return { row, access };
  } catch (e) {
    if (e instanceof AppError && e.code === ErrorCode.NOT_FOUND) throw notFound("文件");
    throw e;
  }
}

export async function getUpload(db: Db, user: AuthUser, uploadId: string) {
  const { row, access } = await loadReadable(db, user, uploadId);
  await audit(db, { action: "upload.read", entityType: "Upload", entityId: uploadId, outcome: "SUCCESS" });
  const position = access.seesIdentity ? undefined : (await positions(db, row.consultationId)).get(row.id);
  return uploadDto(row, shownName(row, access, position));
}

/** Parses a single "bytes=a-b" range; multi-range requests are answered with the whole file (RFC 9110 allows it). */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, a, b] = m;
  let start: number;
  let end: number;
  if (a === "" && b === "") return null;
  if (a === "") {
    const suffix = Number(b);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

/** Sends a stored object with range support; the caller has already decided the user may read it. */
export async function sendObject(
  storage: Storage,
  key: string,
  req: Request,
  res: Response,
  opts: { contentType: string; fileName?: string; etag?: string },
) {
  const info = await storage.stat(key);
  if (!info) throw new AppError(ErrorCode.NOT_FOUND, "文件不存在或已被删除");
  res.setHeader("accept-ranges", "bytes");
  res.setHeader("content-type", opts.contentType);
  res.setHeader("cache-control", "private, no-store");
  if (opts.etag) res.setHeader("etag", `"${opts.etag}"`);
  if (opts.fileName)
    res.setHeader("content-disposition", `inline; filename*=UTF-8''${encodeURIComponent(opts.fileName)}`);
  const range = parseRange(req.headers.range, info.size);
  if (range === "unsatisfiable") {
    res.status(416).setHeader("content-range", `bytes */${info.size}`);
    res.end();
    return;
  }
  if (range) {
    res.status(206);
    res.setHeader("content-range", `bytes ${range.start}-${range.end}/${info.size}`);
    res.setHeader("content-length", String(range.end - range.start + 1));
  } else {
    res.status(200);
    res.setHeader("content-length", String(info.size));
  }
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const body = await storage.get(key, range ?? undefined);
  await new Promise<void>((resolve) => {
    body.on("error", () => {
      res.destroy();
      resolve();
    });
    res.on("close", () => {
      body.destroy();
      resolve();
    });
    body.pipe(res);
  });
}

/** Draws a DICOM instance's preview from `key` (dcmtk, at most 512 px) and keeps it for the next time. */
async function drawPreview(deps: UploadsDeps, row: Upload, key: string): Promise<Buffer> {
  const [w, h] = [row.width ?? 0, row.height ?? 0];
  const scale =
    Math.max(w, h) > PREVIEW_MAX_PX
      ? { axis: w >= h ? ("x" as const) : ("y" as const), px: PREVIEW_MAX_PX }
      : undefined;
  const scratch = await deps.scratch();
  const image = await renderFrame(deps.storage, key, scratch, 1, "image/png", scale).catch(() => {
    throw new AppError(ErrorCode.INVALID_STATE, "该影像无法生成预览图（图像数据可能已损坏）");
  });
  try {
    const file = path.join(scratch, `${randomUUID()}.png`);
    await writeFile(file, image);
    await deps.storage.putFile(previewKey(row.id), file, { move: true, contentType: "image/png" });
    await deps.db.upload.updateMany({
      where: { id: row.id, previewKey: null },
      data: { previewKey: previewKey(row.id) },
    });
  } catch (e) {
    deps.log.warn({ err: e, uploadId: row.id }, "drawn preview not kept");
  }
  return image;
}

/** The original file, or (DICOM outside the requesting institution) its de-identified copy. */
export async function sendContent(
  deps: UploadsDeps,
  user: AuthUser,
  uploadId: string,
  req: Request,
  res: Response,
  variant: "original" | "preview",
) {
  const { row, access } = await loadReadable(deps.db, user, uploadId);
  let key: string | null;
  let deidentified = false;
  const drawn = variant === "preview" && !row.previewKey && previewOnRequest(row);
  if (drawn) {
    // Drawn from the copy this caller may read (the pixels are the same; nothing else reaches the image).
    deidentified = !access.seesIdentity;
    key = deidentified ? row.deidentifiedKey : row.storageKey;
  } else if (variant === "preview") {
    key = row.previewKey;
  } else if (row.kind === "DICOM" && !access.seesIdentity) {
    key = row.deidentifiedKey;
    deidentified = true;
  } else {
    key = row.storageKey;
  }
  if (row.status !== "READY" || !key) {
    await audit(deps.db, {
      action: `upload.${variant}`,
      entityType: "Upload",
      entityId: uploadId,
      outcome: "INVALID",
      detail: { status: row.status },
    });
    throw new AppError(
      ErrorCode.INVALID_STATE,
      row.status === "REJECTED"
        ? `文件已被拒收：${row.rejectReason ?? ""}`
        : variant === "preview"
          ? "该文件没有预览图"
          : "文件仍在处理中，请稍后再试",
      {
        details: { uploadStatus: row.status },
      },
    );
  }
  // One audit row per download, not per range request of the same player session.
  if (!req.headers.range || /^bytes=0-/.test(req.headers.range)) {
    await audit(deps.db, {
      action: `upload.${variant}`,
      entityType: "Upload",
      entityId: uploadId,
      outcome: "SUCCESS",
      detail: { deidentified, range: req.headers.range ?? null },
    });
  }
  if (drawn) {
    const image = await drawPreview(deps, row, key);
    res.setHeader("content-type", "image/png");
    res.setHeader("cache-control", "private, no-store");
    res.end(image);
    return;
  }
  const position =
    variant === "preview" || access.seesIdentity
      ? undefined
      : (await positions(deps.db, row.consultationId)).get(row.id);
  await sendObject(deps.storage, key, req, res, {
    contentType: variant === "preview" ? "image/png" : row.mime,
    fileName: variant === "preview" ? undefined : shownName(row, access, position),
    etag: variant === "original" && !deidentified ? row.sha256 : undefined,
  });
}
