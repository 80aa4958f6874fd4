// DICOM: attributes, integrity, first-frame preview and de-identification, with dicom-parser on the raw bytes.
import * as dicomParserNs from "dicom-parser";
import type { DataSet } from "dicom-parser";
import sharp from "sharp";
import { Rejection } from "./rejection";

export interface DicomInfo {
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  sopInstanceUid: string | null;
  modality: string | null;
  bodyPart: string | null;
  /** YYYY-MM-DD */
  studyDate: string | null;
  transferSyntax: string;
  rows: number | null;
  columns: number | null;
  frames: number;
  photometric: string | null;
}

// UMD bundle: under ESM its API sits on `default`, under CommonJS (jest) on the namespace itself.
const dicomParser: typeof dicomParserNs =
  (dicomParserNs as unknown as { default?: typeof dicomParserNs }).default ?? dicomParserNs;

const TS_IMPLICIT_LE = "1.2.840.10008.1.2";
const TS_EXPLICIT_LE = "1.2.840.10008.1.2.1";
const TS_EXPLICIT_BE = "1.2.840.10008.1.2.2";
const TS_DEFLATED = "1.2.840.10008.1.2.1.99";
const UNCOMPRESSED = new Set([TS_IMPLICIT_LE, TS_EXPLICIT_LE, TS_EXPLICIT_BE]);
/** JPEG Baseline / Extended: the fragments are a plain JPEG stream sharp can decode. */
const JPEG_BASELINE = new Set(["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"]);

export function parseDicom(bytes: Uint8Array): DataSet {
  if (bytes.length < 132 || bytes[128] !== 0x44 || bytes[129] !== 0x49 || bytes[130] !== 0x43 || bytes[131] !== 0x4d) {
    throw new Rejection("DICOM_INVALID", "不是有效的 DICOM 文件（缺少 DICM 文件头）");
  }
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(bytes);
  } catch (e) {
    // dicom-parser throws { exception, dataSet } objects, not Errors.
    const msg = String((e as { exception?: string })?.exception ?? (e as Error)?.message ?? e);
    if (/overrun|overread|past end|end of buffer|truncat/i.test(msg)) {
      throw new Rejection("DICOM_TRUNCATED", "DICOM 文件不完整（文件被截断），请重新导出后上传");
    }
    throw new Rejection("DICOM_INVALID", "DICOM 文件已损坏，无法解析");
  }
  const ts = ds.string("x00020010");
  if (ts === TS_DEFLATED) throw new Rejection("DICOM_UNSUPPORTED", "暂不支持压缩（Deflate）传输语法的 DICOM 文件");
  const pixel = ds.elements.x7fe00010;
  if (pixel && !pixel.encapsulatedPixelData && pixel.dataOffset + pixel.length > bytes.length) {
    throw new Rejection("DICOM_TRUNCATED", "DICOM 文件不完整（像素数据被截断），请重新导出后上传");
  }
  return ds;
}

const str = (ds: DataSet, tag: string) => {
  const v = ds.string(tag)?.trim();
  return v ? v : null;
};

export function dicomInfo(ds: DataSet, byteLength: number): DicomInfo {
  const sd = str(ds, "x00080020");
  const studyDate = sd && /^\d{8}$/.test(sd) ? `${sd.slice(0, 4)}-${sd.slice(4, 6)}-${sd.slice(6, 8)}` : null;
  const info: DicomInfo = {
    studyInstanceUid: str(ds, "x0020000d"),
    seriesInstanceUid: str(ds, "x0020000e"),
    sopInstanceUid: str(ds, "x00080018"),
    modality: str(ds, "x00080060"),
    bodyPart: str(ds, "x00180015"),
    studyDate: studyDate && !Number.isNaN(Date.parse(studyDate)) ? studyDate : null,
    transferSyntax: ds.string("x00020010") ?? TS_IMPLICIT_LE,
    rows: ds.uint16("x00280010") ?? null,
    columns: ds.uint16("x00280011") ?? null,
    frames: Number(ds.string("x00280008") ?? "1") || 1,
    photometric: str(ds, "x00280004"),
  };
  if (!info.sopInstanceUid) throw new Rejection("DICOM_INVALID", "DICOM 文件缺少 SOP 实例 UID，无法归档");
  const pixel = ds.elements.x7fe00010;
  if (pixel && UNCOMPRESSED.has(info.transferSyntax) && info.rows && info.columns) {
    const bits = ds.uint16("x00280100") ?? 16;
    const spp = ds.uint16("x00280002") ?? 1;
    const expected = (info.rows * info.columns * spp * info.frames * bits) / 8;
    if (pixel.length < expected || pixel.dataOffset + expected > byteLength) {
      throw new Rejection("DICOM_TRUNCATED", "DICOM 文件不完整（像素数据少于图像尺寸所需），请重新导出后上传");
    }
  }
  return info;
}

/** Maps stored values to 0..255 using the header's rescale and VOI window (or the data's range). */
export function windowToBytes(
  values: ArrayLike<number>,
  opts: { slope: number; intercept: number; center?: number; width?: number; invert: boolean },
): Uint8Array {
  const n = values.length;
  let center = opts.center;
  let width = opts.width;
  if (center === undefined || width === undefined || !(width >= 1)) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = values[i]! * opts.slope + opts.intercept;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    center = (min + max) / 2;
    width = Math.max(1, max - min);
  }
  // PS3.3 C.11.2.1.2 linear VOI function.
  const lo = center - 0.5 - (width - 1) / 2;
  const hi = center - 0.5 + (width - 1) / 2;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i]! * opts.slope + opts.intercept;
    let y = v <= lo ? 0 : v > hi ? 255 : ((v - (center - 0.5)) / (width - 1) + 0.5) * 255;
    y = Math.round(y);
    out[i] = opts.invert ? 255 - y : y;
  }
  return out;
}

const firstNumber = (ds: DataSet, tag: string): number | undefined => {
  const v = ds.string(tag);
  if (!v) return undefined;
  const n = Number(v.split("\\")[0]);
  return Number.isFinite(n) ? n : undefined;
};

/** Whether dicomPreview can draw this instance (uncompressed grey or RGB, or JPEG baseline). */
export function canPreview(ds: DataSet, info: DicomInfo): boolean {
  const pixel = ds.elements.x7fe00010;
  if (!pixel || !info.rows || !info.columns) return false;
  if (JPEG_BASELINE.has(info.transferSyntax)) return !!(pixel.encapsulatedPixelData && pixel.fragments?.length);
  if (!UNCOMPRESSED.has(info.transferSyntax)) return false;
  const spp = ds.uint16("x00280002") ?? 1;
  const bits = ds.uint16("x00280100") ?? 16;
  return (spp === 3 && bits === 8) || (spp === 1 && (bits === 8 || bits === 16));
}

/** PNG preview of the first frame (uncompressed or JPEG baseline), at most `max` pixels wide/high; null when not renderable. */
export async function dicomPreview(ds: DataSet, info: DicomInfo, max = 512): Promise<Buffer | null> {
  const pixel = ds.elements.x7fe00010;
  if (!pixel || !info.rows || !info.columns || !canPreview(ds, info)) return null;
  const rows = info.rows;
  const cols = info.columns;
  const spp = ds.uint16("x00280002") ?? 1;
  const bits = ds.uint16("x00280100") ?? 16;
  const bytes = ds.byteArray;
  if (JPEG_BASELINE.has(info.transferSyntax)) {
    const frame =
      info.frames > 1 && pixel.basicOffsetTable?.length
        ? dicomParser.readEncapsulatedImageFrame(ds, pixel, 0)
        : dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, pixel.fragments!.length);
    return sharp(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), { limitInputPixels: 100e6 })
      .resize(max, max, { fit: "inside", withoutEnlargement: true })
      .png()
      .toBuffer();
  }
  const frameBytes = (rows * cols * spp * bits) / 8;
  const start = pixel.dataOffset;
  const bigEndian = info.transferSyntax === TS_EXPLICIT_BE;
  let img: sharp.Sharp;
  if (spp === 3 && bits === 8) {
    let rgb = Buffer.from(bytes.buffer, bytes.byteOffset + start, frameBytes);
    if ((ds.uint16("x00280006") ?? 0) === 1) {
      // Planar (RRR..GGG..BBB) to interleaved.
      const plane = rows * cols;
      const inter = Buffer.alloc(frameBytes);
      for (let i = 0; i < plane; i++) {
        inter[i * 3] = rgb[i]!;
        inter[i * 3 + 1] = rgb[plane + i]!;
        inter[i * 3 + 2] = rgb[2 * plane + i]!;
      }
      rgb = inter;
    }
    img = sharp(rgb, { raw: { width: cols, height: rows, channels: 3 } });
  } else if (spp === 1 && (bits === 8 || bits === 16)) {
    const signed = (ds.uint16("x00280103") ?? 0) === 1;
    const n = rows * cols;
    const values = new Float64Array(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, frameBytes);
    for (let i = 0; i < n; i++) {
      values[i] =
        bits === 8
          ? signed
            ? view.getInt8(i)
            : view.getUint8(i)
          : signed
            ? view.getInt16(i * 2, !bigEndian)
            : view.getUint16(i * 2, !bigEndian);
    }
    const gray = windowToBytes(values, {
      slope: firstNumber(ds, "x00281053") ?? 1,
      intercept: firstNumber(ds, "x00281052") ?? 0,
      center: firstNumber(ds, "x00281050"),
      width: firstNumber(ds, "x00281051"),
      invert: info.photometric === "MONOCHROME1",
    });
    img = sharp(Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength), {
      raw: { width: cols, height: rows, channels: 1 },
    });
  } else {
    return null;
  }
  return img.resize(max, max, { fit: "inside", withoutEnlargement: true }).png().toBuffer();
}
