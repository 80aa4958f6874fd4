// Uploads end to end: real HTTP multipart into the server, real storage on disk, the real `uploads` BullMQ
// processor on Redis, real files made by dcmtk / ImageMagick / img2pdf, checked again with dcmdump.
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { createRedis } from "@yilian/server";
import { createStorage, LocalStorage } from "@yilian/storage";
import { initUploads, execSweep } from "../../worker/src/queues/uploads";
import { mkdirSync, utimesSync, existsSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { startTestServer, type TestServer } from "../helpers/server";
import { testDb, closeTestDb } from "../helpers/db";
import { makeFixtures, dcmdump, type Fixtures } from "./fixtures";
import { makeConsultation, uploadFile, waitForFinal } from "./helpers";

// Own queue prefix: test files run in parallel and each runs its own processors.
process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-up`;

const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-storage-"));
process.env.STORAGE_DIR = storageDir;
process.env.UPLOAD_MAX_IMAGE_MB = "2";

let ts: TestServer;
let fx: Fixtures;
let worker: Awaited<ReturnType<typeof initUploads>>;
const connection = createRedis(process.env.REDIS_URL!);
const db = testDb();
let doctor: string; // doctor.hadashan: requesting institution
let spec: string; // spec.youtian.1: another institution
let consultationId: string;

/** Every object file under the storage root, relative (scratch excluded). */
function storedFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === ".tmp") continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(storageDir, p));
    }
  };
  walk(storageDir);
  return out.sort();
}
const scratchFiles = () => {
  try {
    return readdirSync(path.join(storageDir, ".tmp"));
  } catch {
    return [];
  }
};

beforeAll(async () => {
  fx = makeFixtures();
  ts = await startTestServer();
  worker = await initUploads({ db, storage: createStorage() }, connection, `${process.env.REDIS_PREFIX}:bull`, {
    concurrency: 2,
  });
  doctor = (await ts.login("doctor.hadashan")).accessToken;
  spec = (await ts.login("spec.youtian.1")).accessToken;
  consultationId = await makeConsultation(db);
}, 60_000);

afterAll(async () => {
  await worker?.worker.close();
  await worker?.queue.close();
  connection.disconnect();
  await ts?.stop();
  await closeTestDb();
  rmSync(storageDir, { recursive: true, force: true });
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

test("a JPEG-compressed DICOM from img2dcm: attributes, preview, de-identified copy for the other institution", async () => {
  const r = await uploadFile(ts.baseUrl, doctor, consultationId, fx.dicomJpeg, "胸部CT.dcm");
  expect(r.status).toBe(202);
  expect(r.body).toMatchObject({ status: "UPLOADED", kind: "DICOM", category: "IMAGING", originalName: "胸部CT.dcm" });
  expect(r.body.sha256).toBe(createHash("sha256").update(readFileSync(fx.dicomJpeg)).digest("hex"));
  const u = await waitForFinal(db, r.body.id);
  expect(u.status).toBe("READY");
  expect(u).toMatchObject({ modality: "CT", bodyPart: "CHEST" });
  expect(u.studyDate?.toISOString().slice(0, 10)).toBe("2024-03-01");
  expect(u.studyInstanceUid).toMatch(/^[\d.]+$/);
  expect(u.sopInstanceUid).toMatch(/^[\d.]+$/);
  expect(u.previewKey).not.toBeNull();

  // The requesting institution gets the original, byte for byte.
  const orig = await fetch(`${ts.baseUrl}/api/uploads/${u.id}/content`, {
    headers: { authorization: `Bearer ${doctor}` },
  });
  expect(orig.status).toBe(200);
  const origBytes = Buffer.from(await orig.arrayBuffer());
  expect(origBytes.equals(readFileSync(fx.dicomJpeg))).toBe(true);

  // The specialist in another institution gets the de-identified copy: dcmdump finds no identity.
  const deid = await fetch(`${ts.baseUrl}/api/uploads/${u.id}/content`, {
    headers: { authorization: `Bearer ${spec}` },
  });
  expect(deid.status).toBe(200);
  const deidFile = path.join(fx.dir, "served-deid.dcm");
  writeFileSync(deidFile, Buffer.from(await deid.arrayBuffer()));
  const dump = dcmdump(deidFile);
  expect(dump).not.toMatch(/Zhang|ZS-0001|19600101|Hadashan|Li\^Si/);
  expect(dump).toMatch(/StudyDate/);
  expect(dump).toMatch(/\[CT\]/);
  expect(dcmdump(fx.dicomJpeg)).toMatch(/Zhang\^San/);

  // Preview is a PNG.
  const prev = await fetch(`${ts.baseUrl}/api/uploads/${u.id}/preview`, {
    headers: { authorization: `Bearer ${spec}` },
  });
  expect(prev.status).toBe(200);
  expect(prev.headers.get("content-type")).toBe("image/png");
  const png = Buffer.from(await prev.arrayBuffer());
  expect(png.subarray(1, 4).toString()).toBe("PNG");

  const audits = await db.auditLog.findMany({
    where: { entityType: "Upload", entityId: u.id },
    select: { action: true, outcome: true, detail: true },
  });
  expect(audits.map((a) => a.action)).toEqual(
    expect.arrayContaining(["upload.create", "upload.process", "upload.original", "upload.preview"]),
  );
});

test("uncompressed RGB and grayscale DICOM render previews; range requests work", async () => {
  for (const file of [fx.dicomRaw, fx.dicomGray]) {
    const r = await uploadFile(ts.baseUrl, doctor, consultationId, file);
    expect(r.status).toBe(202);
    const u = await waitForFinal(db, r.body.id);
    expect(u.status).toBe("READY");
    expect(u.previewKey).not.toBeNull();
    expect((u.details as { transferSyntax: string }).transferSyntax).toBe("1.2.840.10008.1.2.1");
    const res = await fetch(`${ts.baseUrl}/api/uploads/${u.id}/content`, {
      headers: { authorization: `Bearer ${doctor}`, range: "bytes=128-131" },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 128-131/${Number(u.sizeBytes)}`);
    expect(Buffer.from(await res.arrayBuffer()).toString("latin1")).toBe("DICM");
  }
});

test("JPEG, PNG, a two-page PDF and a Word document are processed", async () => {
  const jpg = await uploadFile(ts.baseUrl, doctor, consultationId, fx.jpeg, "x光片.jpg");
  const png = await uploadFile(ts.baseUrl, spec, consultationId, fx.png);
  const pdf = await uploadFile(ts.baseUrl, doctor, consultationId, fx.pdf2, "出院小结.pdf");
  const docx = await uploadFile(ts.baseUrl, doctor, consultationId, fx.docx);
  for (const r of [jpg, png, pdf, docx]) expect(r.status).toBe(202);
  expect(pdf.body.category).toBe("CASE");
  const [uj, up, ud, uw] = await Promise.all([jpg, png, pdf, docx].map((r) => waitForFinal(db, r.body.id)));
  expect(uj).toMatchObject({ status: "READY", kind: "JPEG", width: 640, height: 480 });
  expect(up).toMatchObject({ status: "READY", kind: "PNG", width: 300, height: 200 });
  expect(ud).toMatchObject({ status: "READY", kind: "PDF", pageCount: 2 });
  expect(ud!.previewKey).not.toBeNull();
  expect(uw).toMatchObject({ status: "READY", kind: "DOCX", category: "CASE" });
  const list = await ts.api(`/api/consultations/${consultationId}/uploads`, { token: spec });
  expect(list.status).toBe(200);
  expect(list.body.items.length).toBeGreaterThanOrEqual(4);
});

test("bad files end REJECTED with a readable reason, leave no file behind, and the worker keeps going", async () => {
  const before = storedFiles();
  // Refused at the door: the content decides, not the name.
  const exe = await uploadFile(ts.baseUrl, doctor, consultationId, fx.exeAsJpg, "片子.jpg");
  expect(exe.status).toBe(415);
  expect(exe.body).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", uploadStatus: "REJECTED" });
  expect(exe.body.detail).toMatch(/Windows 可执行程序/);
  const elf = await uploadFile(ts.baseUrl, doctor, consultationId, fx.elfAsJpg, "片子2.jpg");
  expect(elf.status).toBe(415);
  expect(elf.body.detail).toMatch(/可执行程序/);
  const zip = await uploadFile(ts.baseUrl, doctor, consultationId, fx.plainZip);
  expect(zip.status).toBe(415);
  expect(zip.body.detail).toMatch(/ZIP 压缩包/);
  const big = await uploadFile(ts.baseUrl, doctor, consultationId, fx.bigJpeg);
  expect(big.status).toBe(413);
  expect(big.body).toMatchObject({ code: "PAYLOAD_TOO_LARGE", uploadStatus: "REJECTED" });
  expect(big.body.detail).toMatch(/JPEG 图片不能超过 2 MB/);
  // Wrong consultation: one that does not exist, one the caller cannot see.
  const other = await makeConsultation(db);
  const outsider = (await ts.login("doctor.nongan")).accessToken;
  const ghost = await uploadFile(ts.baseUrl, doctor, "00000000-0000-4000-8000-000000000000", fx.jpeg);
  expect(ghost.status).toBe(404);
  const foreign = await uploadFile(ts.baseUrl, outsider, other, fx.jpeg);
  expect(foreign.status).toBe(404);
  const closed = await makeConsultation(db, { status: "CLOSED" });
  expect((await uploadFile(ts.baseUrl, doctor, closed, fx.jpeg)).status).toBe(409);

  // Accepted at the door, refused by the worker.
  const trunc = await uploadFile(ts.baseUrl, doctor, consultationId, fx.dicomTruncated);
  const bomb = await uploadFile(ts.baseUrl, doctor, consultationId, fx.docxBomb);
  const cut = await uploadFile(ts.baseUrl, doctor, consultationId, fx.truncatedJpeg);
  for (const r of [trunc, bomb, cut]) expect(r.status).toBe(202);
  const ut = await waitForFinal(db, trunc.body.id);
  const ub = await waitForFinal(db, bomb.body.id);
  const uc = await waitForFinal(db, cut.body.id);
  expect(ut).toMatchObject({ status: "REJECTED", rejectCode: "DICOM_TRUNCATED", storageKey: null });
  expect(ut.rejectReason).toMatch(/不完整/);
  expect(ub).toMatchObject({ status: "REJECTED", rejectCode: "ZIP_BOMB" });
  expect(ub.rejectReason).toMatch(/压缩炸弹/);
  expect(uc).toMatchObject({ status: "REJECTED", rejectCode: "IMAGE_INVALID" });
  const view = await ts.api(`/api/uploads/${trunc.body.id}`, { token: doctor });
  expect(view.body).toMatchObject({ status: "REJECTED", rejectReason: expect.stringMatching(/重新导出/) });
  const dl = await ts.api(`/api/uploads/${trunc.body.id}/content`, { token: doctor });
  expect(dl.status).toBe(409);

  // Nothing of the bad files stayed in storage or scratch.
  expect(storedFiles()).toEqual(before);
  expect(scratchFiles()).toEqual([]);

  // And the worker still processes the next good file.
  const ok = await uploadFile(ts.baseUrl, doctor, consultationId, fx.jpeg);
  expect((await waitForFinal(db, ok.body.id)).status).toBe("READY");
});

test("validation: no multipart, no file field, bad ids", async () => {
  const json = await ts.api(`/api/consultations/${consultationId}/uploads`, { token: doctor, body: { file: "x" } });
  expect(json.status).toBe(415);
  const form = new FormData();
  form.append("note", "hello");
  const noFile = await fetch(`${ts.baseUrl}/api/consultations/${consultationId}/uploads`, {
    method: "POST",
    headers: { authorization: `Bearer ${doctor}` },
    body: form,
  });
  expect(noFile.status).toBe(400);
  expect((await ts.api(`/api/uploads/not-a-uuid`, { token: doctor })).status).toBe(400);
  expect((await ts.api(`/api/uploads/00000000-0000-4000-8000-000000000000`, { token: doctor })).status).toBe(404);
  expect(scratchFiles()).toEqual([]);
});

test("a user outside the consultation cannot read its files (404)", async () => {
  const r = await uploadFile(ts.baseUrl, doctor, consultationId, fx.png);
  await waitForFinal(db, r.body.id);
  const outsider = (await ts.login("doctor.nongan")).accessToken;
  expect((await ts.api(`/api/uploads/${r.body.id}`, { token: outsider })).status).toBe(404);
  expect((await ts.api(`/api/uploads/${r.body.id}/content`, { token: outsider })).status).toBe(404);
  expect((await ts.api(`/api/consultations/${consultationId}/uploads`, { token: outsider })).status).toBe(404);
});

test("storage abstraction: local puts are atomic and ranges are inclusive", async () => {
  const s = new LocalStorage(mkdtempSync(path.join(tmpdir(), "yilian-ls-")));
  const f = path.join(fx.dir, "blob.bin");
  writeFileSync(f, "0123456789");
  await s.putFile("a/b/blob", f);
  expect((await s.stat("a/b/blob"))?.size).toBe(10);
  const chunks: Buffer[] = [];
  for await (const c of await s.get("a/b/blob", { start: 2, end: 4 })) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe("234");
  await expect(s.putFile("../escape", f)).rejects.toThrow(/invalid storage key/);
  await s.delete("a/b/blob");
  await s.delete("a/b/blob");
  expect(await s.stat("a/b/blob")).toBeNull();
  rmSync(s.root, { recursive: true, force: true });
});

test("the sweep removes orphan objects and re-enqueues uploads that lost their job", async () => {
  const orphanId = randomUUID();
  const orphan = path.join(storageDir, "uploads", orphanId.slice(0, 2), orphanId);
  mkdirSync(path.dirname(orphan), { recursive: true });
  writeFileSync(orphan, "left by a crash between storing and recording");
  const old = new Date(Date.now() - 2 * 3600_000);
  utimesSync(orphan, old, old);
  // A row committed while Redis was unreachable: stored and UPLOADED, but no job.
  const doctorRow = await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
  const lostId = randomUUID();
  const key = `uploads/${lostId.slice(0, 2)}/${lostId}`;
  mkdirSync(path.join(storageDir, path.dirname(key)), { recursive: true });
  writeFileSync(path.join(storageDir, key), readFileSync(fx.png));
  await db.upload.create({
    data: {
      id: lostId,
      consultationId,
      uploaderId: doctorRow.id,
      uploaderInstitutionId: doctorRow.institutionId,
      originalName: "scan.png",
      kind: "PNG",
      category: "IMAGING",
      mime: "image/png",
      sizeBytes: BigInt(readFileSync(fx.png).length),
      sha256: "x".repeat(64),
      storageKey: key,
      createdAt: new Date(Date.now() - 5 * 60_000),
    },
  });
  const r = await execSweep({ db, storage: createStorage() }, worker.queue);
  expect(r.removed).toBeGreaterThanOrEqual(1);
  expect(r.requeued).toBeGreaterThanOrEqual(1);
  expect(existsSync(orphan)).toBe(false);
  expect((await waitForFinal(db, lostId)).status).toBe("READY");
});
