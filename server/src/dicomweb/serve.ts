// The consultation's imaging over DICOMweb (PS3.18), for any viewer a hospital already uses (OHIF, Weasis):
// QIDO-RS search at study/series/instance level, WADO-RS instances, metadata, frames and rendered images. Built on
// the READY DICOM uploads of the consultation with the upload routes' rules: outside the consultation's scope
// everything answers 404, and whoever does not see the patient's identity gets the de-identified copies.
import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";
import type { Upload } from "@prisma/client";
import { AppError, ErrorCode } from "@yilian/contract";
import type { Storage } from "@yilian/storage";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import { consultationAccess } from "../uploads/access";
import { instanceJson, readFrames, renderFrame, type DicomJson } from "./dataset";

export interface DicomwebDeps {
  db: Db;
  storage: Storage;
  scratch: () => Promise<string>;
}

export interface Selector {
  consultationId: string;
  study?: string;
  series?: string;
  sop?: string;
}

interface Instance {
  row: Upload;
  key: string;
  study: string;
  series: string;
  sop: string;
}

/** The instances the caller may read under `sel`, with the storage key of the copy they may see. */
async function load(deps: DicomwebDeps, user: AuthUser, sel: Selector, action: string) {
  const access = await consultationAccess(deps.db, user, sel.consultationId, action);
  const rows = await deps.db.upload.findMany({
    where: {
      consultationId: sel.consultationId,
      kind: "DICOM",
      status: "READY",
      ...(sel.study ? { studyInstanceUid: sel.study } : {}),
      ...(sel.series ? { seriesInstanceUid: sel.series } : {}),
      ...(sel.sop ? { sopInstanceUid: sel.sop } : {}),
    },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const deidentified = !access.seesIdentity;
  const instances: Instance[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const key = deidentified ? row.deidentifiedKey : row.storageKey;
    // The same instance uploaded twice is one instance to a DICOMweb client.
    if (!key || !row.studyInstanceUid || !row.seriesInstanceUid || !row.sopInstanceUid || seen.has(row.sopInstanceUid))
      continue;
    seen.add(row.sopInstanceUid);
    instances.push({ row, key, study: row.studyInstanceUid, series: row.seriesInstanceUid, sop: row.sopInstanceUid });
  }
  return { instances, deidentified };
}

const base = (req: Request, consultationId: string) =>
  `${req.protocol}://${req.get("host")}/dicomweb/consultations/${consultationId}`;
const instanceUrl = (root: string, i: Instance) => `${root}/studies/${i.study}/series/${i.series}/instances/${i.sop}`;

async function json(deps: DicomwebDeps, i: Instance, root: string): Promise<DicomJson> {
  return instanceJson(deps.storage, i.key, await deps.scratch(), instanceUrl(root, i));
}

const STUDY_TAGS = [
  "00080005",
  "00080020",
  "00080030",
  "00080050",
  "00080090",
  "00100010",
  "00100020",
  "00100030",
  "00100040",
  "0020000D",
  "00200010",
  "00081030",
];
const SERIES_TAGS = ["00080005", "00080060", "0020000E", "00200011", "0008103E", "00080021", "00080031", "00180015"];
const INSTANCE_TAGS = [
  "00080005",
  "00080016",
  "00080018",
  "00200013",
  "00280010",
  "00280011",
  "00280008",
  "00280100",
  "0020000D",
  "0020000E",
  "00080060",
];
const pick = (ds: DicomJson, tags: string[]) =>
  Object.fromEntries(tags.filter((t) => ds[t]).map((t) => [t, ds[t]!])) as DicomJson;

const KEYWORDS: Record<string, string> = {
  StudyInstanceUID: "0020000D",
  SeriesInstanceUID: "0020000E",
  SOPInstanceUID: "00080018",
  SOPClassUID: "00080016",
  PatientID: "00100020",
  PatientName: "00100010",
  StudyDate: "00080020",
  AccessionNumber: "00080050",
  StudyID: "00200010",
  ModalitiesInStudy: "00080061",
  Modality: "00080060",
  StudyDescription: "00081030",
  SeriesDescription: "0008103E",
  SeriesNumber: "00200011",
  InstanceNumber: "00200013",
};
const CONTROL = new Set(["limit", "offset", "includefield", "fuzzymatching"]);

function values(ds: DicomJson, tag: string): string[] {
  return (ds[tag]?.Value ?? []).flatMap((v) => {
    if (typeof v === "string" || typeof v === "number") return [String(v)];
    if (v && typeof v === "object") return Object.values(v as Record<string, string>).map((s) => s.replace(/\^/g, " "));
    return [];
  });
}

/** QIDO-RS attribute matching: UID lists, "*" / "?" wildcards (names case-insensitive), date ranges. */
export function matches(ds: DicomJson, query: Record<string, unknown>, fuzzy: boolean): boolean {
  for (const [k, raw] of Object.entries(query)) {
    if (CONTROL.has(k)) continue;
    const tag = /^[0-9A-Fa-f]{8}$/.test(k) ? k.toUpperCase() : KEYWORDS[k];
    if (!tag) continue; // unsupported keys are ignored (PS3.18 8.3.4.2)
    const want = String(Array.isArray(raw) ? raw[0] : raw).trim();
    if (!want) continue;
    const have = values(ds, tag);
    if (tag.startsWith("0020000") || tag === "00080018" || tag === "00080016") {
      const list = want.split(/[,\\]/);
      if (!have.some((h) => list.includes(h))) return false;
    } else if (tag === "00080020" && want.includes("-")) {
      const [from, to] = want.split("-");
      if (!have.some((h) => (!from || h >= from) && (!to || h <= to))) return false;
    } else {
      const pattern = want
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
      const person = tag === "00100010";
      const re = new RegExp(person && fuzzy ? `(^|\\s)${pattern}` : `^${pattern}$`, person ? "i" : "");
      if (!have.some((h) => re.test(person ? h.replace(/\s+/g, " ").trim() : h))) return false;
    }
  }
  return true;
}

function page<T>(items: T[], query: Record<string, unknown>): T[] {
  const offset = Math.max(0, Number(query.offset ?? 0) || 0);
  const limit = Math.min(1000, Math.max(1, Number(query.limit ?? 1000) || 1000));
  return items.slice(offset, offset + limit);
}

export type Level = "studies" | "series" | "instances";

/** QIDO-RS: the matching studies, series or instances (within `sel`). */
export async function search(
  deps: DicomwebDeps,
  user: AuthUser,
  sel: Selector,
  level: Level,
  query: Record<string, unknown>,
  req: Request,
) {
  const { instances, deidentified } = await load(deps, user, sel, "dicomweb.search");
  if ((sel.study || sel.series) && !instances.length) throw notFound("影像");
  const root = base(req, sel.consultationId);
  const groups = new Map<string, Instance[]>();
  for (const i of instances) {
    const k = level === "studies" ? i.study : level === "series" ? `${i.study}/${i.series}` : i.sop;
    groups.set(k, [...(groups.get(k) ?? []), i]);
  }
  const out: DicomJson[] = [];
  for (const members of groups.values()) {
    const first = members[0]!;
    const ds = await json(deps, first, root);
    let rec: DicomJson;
    if (level === "studies") {
      rec = pick(ds, STUDY_TAGS);
      rec["00080061"] = { vr: "CS", Value: [...new Set(members.map((m) => m.row.modality).filter(Boolean))] };
      rec["00201206"] = { vr: "IS", Value: [new Set(members.map((m) => m.series)).size] };
      rec["00201208"] = { vr: "IS", Value: [members.length] };
      rec["00081190"] = { vr: "UR", Value: [`${root}/studies/${first.study}`] };
    } else if (level === "series") {
      rec = { ...pick(ds, SERIES_TAGS), "0020000D": ds["0020000D"]! };
      rec["00201209"] = { vr: "IS", Value: [members.length] };
      rec["00081190"] = { vr: "UR", Value: [`${root}/studies/${first.study}/series/${first.series}`] };
    } else {
      rec = pick(ds, INSTANCE_TAGS);
      rec["00081190"] = { vr: "UR", Value: [instanceUrl(root, first)] };
    }
    if (matches({ ...ds, ...rec }, query, query.fuzzymatching === "true")) out.push(rec);
  }
  const items = page(out, query);
  await audit(deps.db, {
    action: "dicomweb.search",
    entityType: "Consultation",
    entityId: sel.consultationId,
    outcome: "SUCCESS",
    detail: { level, ...sel, count: items.length, deidentified },
  });
  return items;
}

/** WADO-RS metadata: every instance's attributes, bulk data as URIs. */
export async function metadata(deps: DicomwebDeps, user: AuthUser, sel: Selector, req: Request) {
  const { instances, deidentified } = await load(deps, user, sel, "dicomweb.metadata");
  if (!instances.length) throw notFound("影像");
  const root = base(req, sel.consultationId);
  // A few dcmtk conversions at once (cached afterwards): a 200-slice series answers in seconds the first time.
  const out: DicomJson[] = new Array(instances.length);
  let next = 0;
  const lane = async () => {
    while (next < instances.length) {
      const k = next++;
      out[k] = await json(deps, instances[k]!, root);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, instances.length) }, lane));
  await audit(deps.db, {
    action: "dicomweb.metadata",
    entityType: "Consultation",
    entityId: sel.consultationId,
    outcome: "SUCCESS",
    detail: { ...sel, count: out.length, deidentified },
  });
  return out;
}

/** Refuses Accept headers that exclude what this resource can answer with (406). */
function negotiate(req: Request, offered: string[]): string {
  const accept = req.headers.accept;
  if (!accept || accept.includes("*/*")) return offered[0]!;
  const hit = offered.find((o) => accept.toLowerCase().includes(o));
  if (!hit)
    throw new AppError(
      ErrorCode.NOT_ACCEPTABLE,
      `不支持所请求的格式（Accept: ${accept.slice(0, 100)}），可用：${offered.join("、")}`,
    );
  return hit;
}

async function writePart(res: Response, boundary: string, headers: string, body: NodeJS.ReadableStream | Buffer) {
  res.write(`\r\n--${boundary}\r\n${headers}\r\n\r\n`);
  if (Buffer.isBuffer(body)) {
    if (!res.write(body)) await new Promise<void>((r) => res.once("drain", () => r()));
    return;
  }
  for await (const chunk of body) if (!res.write(chunk)) await new Promise<void>((r) => res.once("drain", () => r()));
}

/** WADO-RS retrieve: the instances as multipart/related application/dicom, each streamed from storage. */
export async function retrieve(deps: DicomwebDeps, user: AuthUser, sel: Selector, req: Request, res: Response) {
  negotiate(req, ["multipart/related"]);
  const { instances, deidentified } = await load(deps, user, sel, "dicomweb.retrieve");
  if (!instances.length) throw notFound("影像");
  await audit(deps.db, {
    action: "dicomweb.retrieve",
    entityType: "Consultation",
    entityId: sel.consultationId,
    outcome: "SUCCESS",
    detail: { ...sel, count: instances.length, deidentified },
  });
  const boundary = randomBytes(16).toString("hex");
  res.status(200).setHeader("content-type", `multipart/related; type="application/dicom"; boundary=${boundary}`);
  res.setHeader("cache-control", "private, no-store");
  for (const i of instances) {
    const ts = (i.row.details as { transferSyntax?: string } | null)?.transferSyntax;
    await writePart(
      res,
      boundary,
      `Content-Type: application/dicom${ts ? `; transfer-syntax=${ts}` : ""}`,
      await deps.storage.get(i.key),
    );
  }
  res.end(`\r\n--${boundary}--\r\n`);
}

async function readAllBytes(storage: Storage, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await storage.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function frameNumbers(list: string, count: number): number[] {
  const nums = list.split(",").map((s) => Number(s.trim()));
  if (nums.some((n) => !Number.isInteger(n) || n < 1 || n > count)) throw notFound(`帧（该实例共 ${count} 帧）`);
  return nums;
}

/** WADO-RS frames: pixel data of the listed frames, native or as stored (JPEG etc.), multipart/related. */
export async function frames(
  deps: DicomwebDeps,
  user: AuthUser,
  sel: Selector,
  list: string,
  req: Request,
  res: Response,
) {
  const { instances, deidentified } = await load(deps, user, sel, "dicomweb.frames");
  const inst = instances[0];
  if (!inst) throw notFound("影像");
  const f = readFrames(await readAllBytes(deps.storage, inst.key));
  if (!f) throw notFound("像素数据");
  const nums = frameNumbers(list, f.count);
  negotiate(req, ["multipart/related"]);
  await audit(deps.db, {
    action: "dicomweb.frames",
    entityType: "Consultation",
    entityId: sel.consultationId,
    outcome: "SUCCESS",
    detail: { ...sel, frames: nums.length, deidentified },
  });
  const boundary = randomBytes(16).toString("hex");
  const type =
    f.mediaType === "application/octet-stream" ? f.mediaType : `${f.mediaType}; transfer-syntax=${f.transferSyntax}`;
  res.status(200).setHeader("content-type", `multipart/related; type="${f.mediaType}"; boundary=${boundary}`);
  res.setHeader("cache-control", "private, no-store");
  for (const n of nums)
    await writePart(
      res,
      boundary,
      `Content-Type: ${type}\r\nContent-Location: ${instanceUrl(base(req, sel.consultationId), inst)}/frames/${n}`,
      f.frame(n),
    );
  res.end(`\r\n--${boundary}--\r\n`);
}

/** WADO-RS rendered: one frame (default the first) as PNG or JPEG for viewers without a DICOM decoder. */
export async function rendered(
  deps: DicomwebDeps,
  user: AuthUser,
  sel: Selector,
  frame: number,
  req: Request,
  res: Response,
) {
  const { instances, deidentified } = await load(deps, user, sel, "dicomweb.rendered");
  const inst = instances[0];
  if (!inst) throw notFound("影像");
  const count = Number((inst.row.details as { frames?: number } | null)?.frames ?? 1) || 1;
  if (frame < 1 || frame > count) throw notFound(`帧（该实例共 ${count} 帧）`);
  const type = negotiate(req, ["image/png", "image/jpeg"]) as "image/png" | "image/jpeg";
  const image = await renderFrame(deps.storage, inst.key, await deps.scratch(), frame, type);
  await audit(deps.db, {
    action: "dicomweb.rendered",
    entityType: "Consultation",
    entityId: sel.consultationId,
    outcome: "SUCCESS",
    detail: { ...sel, frame, deidentified },
  });
  res.status(200).setHeader("content-type", type);
  res.setHeader("cache-control", "private, no-store");
  res.end(image);
}
