// Streams one multipart file to a scratch file while hashing it; the kind is sniffed from the first bytes so an
// over-size file is cut off as soon as it passes its kind's limit. Nothing is kept when anything goes wrong.
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Request } from "express";
import busboy from "busboy";
import { fileTypeFromBuffer, fileTypeFromFile } from "file-type/node";
import { AppError, ErrorCode } from "@yilian/contract";
import { DOCX_MIME, humanSize, MAX_UPLOAD_BYTES, refusedTypeReason, type KindSpec } from "./kinds";

export interface ReceivedFile {
  tmpPath: string;
  originalName: string;
  size: number;
  sha256: string;
  spec: KindSpec;
  /** Extra form fields (e.g. a note); validated by the caller. */
  fields: Record<string, string>;
}

/** Enough of the head for file-type to tell every accepted kind apart. */
export const SNIFF_BYTES = 64 * 1024;

export function rejected(code: ErrorCode, reason: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError(code, reason, { details: { uploadStatus: "REJECTED", reason, ...extra } });
}

export const tooLarge = (spec: KindSpec) =>
  rejected(ErrorCode.PAYLOAD_TOO_LARGE, `${spec.label}不能超过 ${humanSize(spec.maxBytes)}`, {
    limitBytes: spec.maxBytes,
  });

/**
 * The kind the first bytes suggest (undefined when they say nothing yet); throws when they are something we
 * recognise and do not accept. Office documents show up as a zip until the whole file is read.
 */
export async function sniffKind(head: Uint8Array, kinds: Record<string, KindSpec>): Promise<KindSpec | undefined> {
  const ft = await fileTypeFromBuffer(head).catch(() => undefined);
  if (!ft) return undefined;
  const spec = kinds[ft.mime] ?? (ft.ext === "zip" ? kinds[DOCX_MIME] : undefined);
  if (!spec)
    throw rejected(ErrorCode.UNSUPPORTED_MEDIA_TYPE, refusedTypeReason(ft.ext, ft.mime), { detected: ft.mime });
  return spec;
}

/** The final decision, from the whole file (zip-based formats are recognised from their entries). */
export async function decideKind(file: string, size: number, kinds: Record<string, KindSpec>): Promise<KindSpec> {
  if (size === 0) throw rejected(ErrorCode.VALIDATION_FAILED, "文件为空");
  const ft = await fileTypeFromFile(file);
  const spec = ft ? kinds[ft.mime] : undefined;
  if (!spec)
    throw rejected(ErrorCode.UNSUPPORTED_MEDIA_TYPE, refusedTypeReason(ft?.ext, ft?.mime), {
      detected: ft?.mime ?? null,
    });
  if (size > spec.maxBytes) throw tooLarge(spec);
  return spec;
}

/** Normalises a client-supplied file name for display: no paths, no control characters, bounded length. */
export function cleanFileName(name: string | undefined): string {
  const base = (name ?? "").split(/[\\/]/).pop() ?? "";
  // eslint-disable-next-line no-control-regex
  const cleaned = base
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim()
    .slice(0, 200);
  return cleaned || "未命名文件";
}

export function receiveUpload(req: Request, kinds: Record<string, KindSpec>, scratch: string): Promise<ReceivedFile> {
  const type = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data/i.test(type)) {
    return Promise.reject(
      new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "请使用 multipart/form-data 上传文件（字段名 file）"),
    );
  }
  const hardMax = MAX_UPLOAD_BYTES(kinds);
  return new Promise<ReceivedFile>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: hardMax, fields: 10, fieldSize: 4096, parts: 12 },
        defParamCharset: "utf8",
      });
    } catch {
      reject(new AppError(ErrorCode.VALIDATION_FAILED, "上传请求格式不正确"));
      return;
    }
    const fields: Record<string, string> = {};
    const tmpPath = path.join(scratch, `upload-${randomUUID()}`);
    let sawFile = false;
    let failure: AppError | null = null;
    let fileDone: Promise<Omit<ReceivedFile, "fields" | "spec"> & { tentative?: KindSpec }> | null = null;

    const fail = (e: AppError) => {
      failure ??= e;
    };

    bb.on("field", (name, value) => {
      fields[name] = value;
    });
    bb.on("file", (field, stream, info) => {
      if (field !== "file" || sawFile) {
        stream.resume();
        fail(new AppError(ErrorCode.VALIDATION_FAILED, "每次只能上传一个文件，字段名须为 file"));
        return;
      }
      sawFile = true;
      const originalName = cleanFileName(info.filename);
      const hash = createHash("sha256");
      const out = createWriteStream(tmpPath, { flags: "wx" });
      let size = 0;
      let head = Buffer.alloc(0);
      let tentative: KindSpec | undefined;
      let sniffing: Promise<void> | null = null;
      let stopped = false;

      const sniff = () =>
        (sniffing ??= sniffKind(head, kinds).then(
          (spec) => {
            tentative = spec;
          },
          (e) => fail(e as AppError),
        ));

      fileDone = new Promise((res, rej) => {
        stream.on("data", (chunk: Buffer) => {
          if (stopped) return;
          size += chunk.length;
          if (head.length < SNIFF_BYTES) {
            head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES - head.length)]);
            if (head.length >= SNIFF_BYTES) void sniff();
          }
          if (tentative && size > tentative.maxBytes) {
            stopped = true;
            fail(tooLarge(tentative));
          }
          if (failure) {
            // Keep draining the request (the client is still sending) but stop writing to disk.
            stopped = true;
            out.destroy();
            return;
          }
          hash.update(chunk);
          if (!out.write(chunk)) {
            stream.pause();
            out.once("drain", () => stream.resume());
          }
        });
        stream.on("limit", () => {
          fail(rejected(ErrorCode.PAYLOAD_TOO_LARGE, `文件不能超过 ${humanSize(hardMax)}`, { limitBytes: hardMax }));
        });
        stream.on("error", rej);
        stream.on("end", () => {
          if (stopped || failure) {
            out.destroy();
            res({ tmpPath, originalName, size, sha256: "" });
            return;
          }
          out.end(() => res({ tmpPath, originalName, size, sha256: hash.digest("hex"), tentative }));
        });
        out.on("error", rej);
      });
    });
    bb.on("error", () => fail(new AppError(ErrorCode.VALIDATION_FAILED, "上传请求格式不正确或连接中断")));
    let settled = false;
    bb.on("close", async () => {
      if (settled) return;
      try {
        if (!fileDone) throw failure ?? new AppError(ErrorCode.VALIDATION_FAILED, "请求中没有文件（字段名须为 file）");
        const got = await fileDone;
        if (failure) throw failure;
        const spec = await decideKind(tmpPath, got.size, kinds);
        settled = true;
        resolve({ tmpPath, originalName: got.originalName, size: got.size, sha256: got.sha256, spec, fields });
      } catch (e) {
        settled = true;
        await rm(tmpPath, { force: true });
        reject(e);
      }
    });
    // A client that goes away mid-upload leaves nothing behind.
    req.on("close", () => {
      if (settled || req.complete) return;
      settled = true;
      req.unpipe(bb);
      setTimeout(() => void rm(tmpPath, { force: true }), 100).unref();
      reject(new AppError(ErrorCode.VALIDATION_FAILED, "上传中断"));
    });
    req.pipe(bb);
  });
}
