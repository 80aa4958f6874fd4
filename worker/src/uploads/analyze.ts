// Inspects one stored file by kind. Returns what to record and the derived files to store; throws a Rejection
// for a file that must not be accepted. Everything here reads a local scratch copy.
import { execFile } from "node:child_process";
import { open, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import type { UploadKind } from "@prisma/client";
import { PREVIEW_ON_REQUEST } from "@yilian/server";
import { canPreview, dicomInfo, dicomPreview, parseDicom } from "./dicom";
import { DEIDENTIFICATION_METHOD, deidentify } from "./deidentify";
import { Rejection } from "./rejection";

const run = promisify(execFile);

export interface Analysis {
  fields: {
    studyInstanceUid?: string | null;
    seriesInstanceUid?: string | null;
    sopInstanceUid?: string | null;
    modality?: string | null;
    bodyPart?: string | null;
    studyDate?: Date | null;
    pageCount?: number | null;
    width?: number | null;
    height?: number | null;
  };
  details: Record<string, unknown>;
  preview: Buffer | null;
  deidentified: Buffer | null;
}

/** Images beyond this many pixels are refused before decoding (decompression bombs). */
export const MAX_PIXELS = 100_000_000;
/** Office documents: refuse archives that expand beyond these (zip bombs). */
export const MAX_UNZIPPED_BYTES = 200 * 1024 * 1024;
export const MAX_ZIP_RATIO = 100;
export const MAX_ZIP_ENTRIES = 10_000;

/** `preview: false` (DICOM only) leaves the preview to be drawn when first asked for (PACS imports). */
export async function analyze(
  kind: UploadKind,
  file: string,
  scratchDir: string,
  opts: { preview?: boolean } = {},
): Promise<Analysis> {
  switch (kind) {
    case "DICOM":
      return analyzeDicom(file, opts.preview ?? true);
    case "JPEG":
    case "PNG":
      return analyzeImage(file);
    case "PDF":
      return analyzePdf(file, scratchDir);
    case "DOCX":
      return analyzeDocx(file);
  }
}

async function analyzeDicom(file: string, drawPreview: boolean): Promise<Analysis> {
  return analyzeDicomBytes(await readFile(file), { preview: drawPreview });
}

/** A DICOM instance already in memory (a PACS answer's part); `preview: false` as for analyze. */
export async function analyzeDicomBytes(bytes: Buffer, opts: { preview?: boolean } = {}): Promise<Analysis> {
  const drawPreview = opts.preview ?? true;
  const ds = parseDicom(bytes);
  const info = dicomInfo(ds, bytes.length);
  let preview: Buffer | null = null;
  try {
    if (drawPreview) preview = await dicomPreview(ds, info);
  } catch {
    // A bad embedded JPEG stream means the image itself is damaged.
    throw new Rejection("DICOM_INVALID", "DICOM 文件中的图像数据已损坏，无法显示");
  }
  const { file: deid, cleared } = deidentify(bytes, ds);
  return {
    fields: {
      studyInstanceUid: info.studyInstanceUid,
      seriesInstanceUid: info.seriesInstanceUid,
      sopInstanceUid: info.sopInstanceUid,
      modality: info.modality,
      bodyPart: info.bodyPart,
      studyDate: info.studyDate ? new Date(`${info.studyDate}T00:00:00Z`) : null,
      width: info.columns,
      height: info.rows,
    },
    details: {
      transferSyntax: info.transferSyntax,
      frames: info.frames,
      photometric: info.photometric,
      preview: preview
        ? "rendered"
        : !drawPreview && canPreview(ds, info)
          ? PREVIEW_ON_REQUEST
          : "compressed pixel data: no server-side preview",
      deidentification: { profile: DEIDENTIFICATION_METHOD, cleared },
    },
    preview,
    deidentified: deid,
  };
}

async function analyzeImage(file: string): Promise<Analysis> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: MAX_PIXELS }).metadata();
  } catch {
    throw new Rejection("IMAGE_INVALID", "图片文件已损坏，无法读取");
  }
  if ((meta.width ?? 0) * (meta.height ?? 0) > MAX_PIXELS) {
    throw new Rejection("IMAGE_TOO_LARGE", `图片像素过多（${meta.width}×${meta.height}），疑似异常文件，请缩小后上传`);
  }
  let preview: Buffer;
  try {
    // failOn "warning": a truncated JPEG decodes with a warning; treat it as damaged.
    preview = await sharp(file, { limitInputPixels: MAX_PIXELS, failOn: "warning" })
      .rotate()
      .resize(512, 512, { fit: "inside", withoutEnlargement: true })
      .png()
      .toBuffer();
  } catch {
    throw new Rejection("IMAGE_INVALID", "图片文件不完整或已损坏，无法显示");
  }
  return {
    fields: { width: meta.width ?? null, height: meta.height ?? null },
    details: { format: meta.format, space: meta.space, channels: meta.channels, orientation: meta.orientation ?? null },
    preview,
    deidentified: null,
  };
}

async function analyzePdf(file: string, scratchDir: string): Promise<Analysis> {
  let info: string;
  try {
    ({ stdout: info } = await run("pdfinfo", [file], { timeout: 30_000, maxBuffer: 1 << 20 }));
  } catch (e) {
    const err = e as { stderr?: string };
    if (/Incorrect password|encrypted/i.test(err.stderr ?? ""))
      throw new Rejection("PDF_ENCRYPTED", "PDF 文件已加密，请去除密码后上传");
    throw new Rejection("PDF_INVALID", "PDF 文件已损坏，无法读取");
  }
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1] ?? NaN);
  if (!Number.isFinite(pages) || pages < 1) throw new Rejection("PDF_INVALID", "PDF 文件没有可读取的页面");
  const out = path.join(scratchDir, "page");
  try {
    await run("pdftoppm", ["-f", "1", "-l", "1", "-png", "-scale-to", "800", "-singlefile", file, out], {
      timeout: 60_000,
    });
  } catch {
    throw new Rejection("PDF_INVALID", "PDF 第一页无法显示，文件可能已损坏");
  }
  const preview = await readFile(`${out}.png`);
  const encrypted = /^Encrypted:\s+yes/m.test(info);
  return {
    fields: { pageCount: pages },
    details: { encrypted, producer: /^Producer:\s+(.*)$/m.exec(info)?.[1] ?? null },
    preview,
    deidentified: null,
  };
}

/** Reads a zip's central directory (without inflating anything) and refuses archives that would expand too far. */
export async function checkZip(file: string): Promise<{ entries: number; uncompressed: number; compressed: number }> {
  const { size } = await stat(file);
  const fh = await open(file, "r");
  try {
    const tailLen = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Rejection("DOCUMENT_INVALID", "文档已损坏（压缩目录缺失）");
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdOffset === 0xffffffff)
      throw new Rejection("DOCUMENT_TOO_LARGE", "文档过大（ZIP64），不予接收");
    if (count > MAX_ZIP_ENTRIES) throw new Rejection("ZIP_BOMB", "文档包含的条目过多，疑似压缩炸弹，不予接收");
    if (cdOffset + cdSize > size) throw new Rejection("DOCUMENT_INVALID", "文档不完整（文件被截断）");
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    let p = 0;
    let uncompressed = 0;
    let compressed = 0;
    for (let n = 0; n < count; n++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50)
        throw new Rejection("DOCUMENT_INVALID", "文档已损坏（压缩目录错误）");
      const csize = cd.readUInt32LE(p + 20);
      const usize = cd.readUInt32LE(p + 24);
      if (csize === 0xffffffff || usize === 0xffffffff)
        throw new Rejection("ZIP_BOMB", "文档解压后过大，疑似压缩炸弹，不予接收");
      compressed += csize;
      uncompressed += usize;
      p += 46 + cd.readUInt16LE(p + 28) + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32);
    }
    if (uncompressed > MAX_UNZIPPED_BYTES || uncompressed > Math.max(compressed, 1) * MAX_ZIP_RATIO) {
      throw new Rejection(
        "ZIP_BOMB",
        `文档解压后约 ${Math.round(uncompressed / 1048576)} MB，压缩比异常，疑似压缩炸弹，不予接收`,
      );
    }
    return { entries: count, uncompressed, compressed };
  } finally {
    await fh.close();
  }
}

async function analyzeDocx(file: string): Promise<Analysis> {
  const zip = await checkZip(file);
  return {
    fields: {},
    details: { zipEntries: zip.entries, unzippedBytes: zip.uncompressed },
    preview: null,
    deidentified: null,
  };
}
