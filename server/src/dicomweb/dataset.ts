// DICOM files as DICOMweb needs them: the JSON model (dcmtk's dcm2json, bulk data replaced by a URI), frames of the
// pixel data (dicom-parser) and a rendered image (dcmtk's dcmj2pnm). Stored objects never change, so the JSON of
// each is cached by its storage key.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import * as dicomParserNs from "dicom-parser";
import type { Storage } from "@yilian/storage";

const run = promisify(execFile);
// UMD bundle: under ESM its API sits on `default`, under CommonJS (jest) on the namespace itself.
const dicomParser: typeof dicomParserNs =
  (dicomParserNs as unknown as { default?: typeof dicomParserNs }).default ?? dicomParserNs;

export type DicomJson = Record<string, { vr: string; Value?: unknown[]; InlineBinary?: string; BulkDataURI?: string }>;

/** A stored object copied to scratch for a command-line tool; removed afterwards. */
async function withLocalCopy<T>(
  storage: Storage,
  key: string,
  scratch: string,
  fn: (file: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(scratch, "dicomweb-"));
  try {
    const file = path.join(dir, "in.dcm");
    await storage.download(key, file);
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const cache = new Map<string, DicomJson>();
const CACHE_MAX = 5000;

/** The instance's attributes in the DICOM JSON model; binary values over 1 KB become a BulkDataURI. */
export async function instanceJson(
  storage: Storage,
  key: string,
  scratch: string,
  bulkDataUri: string,
): Promise<DicomJson> {
  let ds = cache.get(key);
  if (!ds) {
    ds = await withLocalCopy(storage, key, scratch, async (file) => {
      // The pixel data leaves the scratch copy first: dcm2json cannot write compressed pixel data, and native
      // pixels would only be base64 to throw away.
      await run("dcmodify", ["-nb", "-q", "-ea", "(7fe0,0010)", file]);
      const { stdout } = await run("dcm2json", ["-q", "-fc", file], { maxBuffer: 64 * 1024 * 1024, encoding: "utf8" });
      return JSON.parse(stdout) as DicomJson;
    });
    for (const [tag, el] of Object.entries(ds)) {
      if (el.InlineBinary && el.InlineBinary.length > 1400) ds[tag] = { vr: el.vr, BulkDataURI: "" };
    }
    if (ds["00280010"])
      ds["7FE00010"] = { vr: Number(ds["00280100"]?.Value?.[0] ?? 8) > 8 ? "OW" : "OB", BulkDataURI: "" };
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, ds);
  }
  const out: DicomJson = {};
  for (const [tag, el] of Object.entries(ds))
    out[tag] = "BulkDataURI" in el ? { vr: el.vr, BulkDataURI: bulkDataUri } : el;
  return out;
}

const FRAME_TYPES: Record<string, string> = {
  "1.2.840.10008.1.2.4.50": "image/jpeg",
  "1.2.840.10008.1.2.4.51": "image/jpeg",
  "1.2.840.10008.1.2.4.57": "image/jpeg",
  "1.2.840.10008.1.2.4.70": "image/jpeg",
  "1.2.840.10008.1.2.4.80": "image/jls",
  "1.2.840.10008.1.2.4.81": "image/jls",
  "1.2.840.10008.1.2.4.90": "image/jp2",
  "1.2.840.10008.1.2.4.91": "image/jp2",
  "1.2.840.10008.1.2.5": "image/dicom-rle",
};

export interface Frames {
  count: number;
  transferSyntax: string;
  /** Media type of each frame's bytes: application/octet-stream for native pixels, else the codec's. */
  mediaType: string;
  frame(n: number): Buffer;
}

/** Pixel data frames of a DICOM file held in memory (1-based numbers). */
export function readFrames(bytes: Buffer): Frames | null {
  const ds = dicomParser.parseDicom(bytes);
  const pixel = ds.elements.x7fe00010;
  if (!pixel) return null;
  const transferSyntax = ds.string("x00020010") ?? "1.2.840.10008.1.2";
  const count = Number(ds.string("x00280008") ?? "1") || 1;
  if (!pixel.encapsulatedPixelData) {
    const rows = ds.uint16("x00280010") ?? 0;
    const cols = ds.uint16("x00280011") ?? 0;
    const size = (rows * cols * (ds.uint16("x00280002") ?? 1) * (ds.uint16("x00280100") ?? 16)) / 8;
    return {
      count,
      transferSyntax,
      mediaType: "application/octet-stream",
      frame: (n) => bytes.subarray(pixel.dataOffset + (n - 1) * size, pixel.dataOffset + n * size),
    };
  }
  const fragments = pixel.fragments ?? [];
  const table = pixel.basicOffsetTable?.length
    ? pixel.basicOffsetTable
    : count === fragments.length
      ? null
      : dicomParser.createJPEGBasicOffsetTable(ds, pixel);
  return {
    count,
    transferSyntax,
    mediaType: FRAME_TYPES[transferSyntax] ?? "application/octet-stream",
    frame: (n) => {
      if (count === 1)
        return Buffer.from(dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, fragments.length));
      if (!table) return Buffer.from(dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, n - 1, 1));
      return Buffer.from(dicomParser.readEncapsulatedImageFrame(ds, pixel, n - 1, table));
    },
  };
}

/**
 * One frame rendered to PNG or JPEG (dcmtk, the file's own window or else its min/max), optionally scaled so one
 * axis has `scale.px` pixels (the other follows).
 */
export async function renderFrame(
  storage: Storage,
  key: string,
  scratch: string,
  frame: number,
  type: "image/png" | "image/jpeg",
  scale?: { axis: "x" | "y"; px: number },
): Promise<Buffer> {
  return withLocalCopy(storage, key, scratch, async (file) => {
    const out = path.join(path.dirname(file), type === "image/png" ? "out.png" : "out.jpg");
    const opts = [
      "-q",
      type === "image/png" ? "+on" : "+oj",
      "+F",
      String(frame),
      ...(scale ? [scale.axis === "x" ? "+Sxv" : "+Syv", String(scale.px)] : []),
    ];
    try {
      await run("dcmj2pnm", [...opts, "+Wi", "1", file, out]);
    } catch {
      // No VOI window in the file: stretch the frame's own range.
      await run("dcmj2pnm", [...opts, "+Wm", file, out]);
    }
    return readFile(out);
  });
}
