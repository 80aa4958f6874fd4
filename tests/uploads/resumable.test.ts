// Resumable (tus) uploads end to end: the SDK's tus client through a line that is cut halfway, the real server,
// storage on disk and the real `uploads` processor; refusals of wrong declared lengths and types; expiry.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRedis } from "@yilian/server";
import { createStorage } from "@yilian/storage";
import { initUploads } from "../../worker/src/queues/uploads";
import { createRestClient } from "../../client-sdk/src/rest";
import { startTestServer, type TestServer } from "../helpers/server";
import { testDb, closeTestDb } from "../helpers/db";
import { makeConsultation, waitForFinal } from "../worker/helpers";
import { startCuttingProxy, tusCreate, tusHead, tusPatch } from "../helpers/tus";

process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-tus`;
const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-tus-"));
process.env.STORAGE_DIR = storageDir;
const tusDir = path.join(storageDir, ".tus");
const partials = () => (existsSync(tusDir) ? readdirSync(tusDir) : []);

const fx = mkdtempSync(path.join(tmpdir(), "yilian-tus-fx-"));
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: fx, stdio: ["ignore", "ignore", "pipe"] });

let ts: TestServer;
let worker: Awaited<ReturnType<typeof initUploads>>;
const connection = createRedis(process.env.REDIS_URL!);
const db = testDb();
let doctor: string;
let otherDoctor: string;
let consultationId: string;
let bigDicom: string;

beforeAll(async () => {
  // A real uncompressed DICOM of ~17 MB (noise does not compress): large enough to cut in the middle.
  run("/usr/bin/convert", [
    "-size",
    "2400x2400",
    "xc:gray",
    "+noise",
    "Random",
    "-type",
    "TrueColor",
    "-quality",
    "95",
    "big.jpg",
  ]);
  run("img2dcm", ["big.jpg", "big-jpeg.dcm", "-k", "Modality=CT", "-k", "PatientID=TUS-0001"]);
  run("dcmdjpeg", ["big-jpeg.dcm", "big.dcm"]);
  bigDicom = path.join(fx, "big.dcm");
  run("/usr/bin/convert", ["-size", "200x100", "xc:white", "page.jpg"]);
  run("img2pdf", ["page.jpg", "-o", "page.pdf"]);
  ts = await startTestServer();
  worker = await initUploads({ db, storage: createStorage() }, connection, `${process.env.REDIS_PREFIX}:bull`, {
    concurrency: 1,
  });
  doctor = (await ts.login("doctor.hadashan")).accessToken;
  otherDoctor = (await ts.login("doctor.nongan")).accessToken;
  consultationId = await makeConsultation(db);
}, 90_000);

afterAll(async () => {
  await worker.worker.close();
  await worker.queue.close();
  await ts.stop();
  connection.disconnect();
  await closeTestDb();
});

it("resumes after the line is cut halfway without sending the first half again, and the file goes READY", async () => {
  const bytes = readFileSync(bigDicom);
  const size = bytes.length;
  const target = new URL(ts.baseUrl);
  const proxy = await startCuttingProxy({ host: target.hostname, port: Number(target.port) }, Math.floor(size / 2));
  try {
    const rest = createRestClient({ baseUrl: proxy.url });
    await rest.login("doctor.hadashan", "Yilian@2024");
    const loginBytes = proxy.sentBytes();
    const progress: number[] = [];
    const view = await rest.upload(consultationId, new Blob([bytes], { type: "application/dicom" }), "胸部CT.dcm", {
      onProgress: (f) => progress.push(f),
      retryDelays: [100, 500, 1000],
    });
    expect(proxy.cut()).toBe(true);
    expect(view).toMatchObject({ status: "UPLOADED", kind: "DICOM", sizeBytes: size, originalName: "胸部CT.dcm" });
    expect(view.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    // Everything sent beyond the file itself: request headers and what was in flight when the line went.
    const resent = proxy.sentBytes() - loginBytes - size;
    expect(resent / size).toBeLessThan(0.05);
    const done = await waitForFinal(db, view.id, 60_000);
    expect(done.status).toBe("READY");
    expect(done.modality).toBe("CT");
    expect(partials()).toEqual([]);
    const audits = await db.auditLog.count({
      where: { action: "upload.create", entityId: view.id, outcome: "SUCCESS" },
    });
    expect(audits).toBe(1);
  } finally {
    await proxy.close();
  }
}, 120_000);

it("refuses a wrong declared length or type with a zh-CN reason and leaves nothing behind", async () => {
  const before = await db.upload.count({ where: { consultationId } });
  // Declared length beyond the declared kind's limit (JPEG: 30 MB).
  const tooLong = await tusCreate(ts.baseUrl, doctor, {
    consultationId,
    filename: "x.jpg",
    filetype: "image/jpeg",
    length: 31 * 1024 * 1024,
  });
  expect(tooLong.status).toBe(413);
  expect(tooLong.headers.get("content-type")).toMatch(/problem\+json/);
  expect(tooLong.body).toMatchObject({
    code: "PAYLOAD_TOO_LARGE",
    detail: expect.stringMatching(/JPEG 图片不能超过 30 MB/),
  });
  // A declared type we do not take.
  const exe = await tusCreate(ts.baseUrl, doctor, {
    consultationId,
    filename: "setup.exe",
    filetype: "application/x-msdownload",
    length: 1000,
  });
  expect(exe.status).toBe(415);
  expect(exe.body.detail).toMatch(/声明的文件类型/);
  // No declared length (deferred) and an empty file.
  expect(
    (
      await tusCreate(ts.baseUrl, doctor, {
        consultationId,
        filename: "a.pdf",
        headers: { "upload-defer-length": "1" },
      })
    ).body.detail,
  ).toMatch(/Upload-Length/);
  expect((await tusCreate(ts.baseUrl, doctor, { consultationId, filename: "a.pdf", length: 0 })).body.detail).toBe(
    "文件为空",
  );

  // Declared a JPEG, the bytes are a PDF: refused as soon as the head arrives, the partial file removed.
  const pdf = readFileSync(path.join(fx, "page.pdf"));
  const created = await tusCreate(ts.baseUrl, doctor, {
    consultationId,
    filename: "photo.jpg",
    filetype: "image/jpeg",
    length: pdf.length,
  });
  expect(created.status).toBe(201);
  expect(partials().length).toBeGreaterThan(0);
  const mismatch = await tusPatch(created.url!, doctor, 0, pdf);
  expect(mismatch.status).toBe(415);
  expect(mismatch.body.detail).toMatch(/文件内容为PDF 文档，与声明的类型（JPEG 图片）不符/);
  expect(partials()).toEqual([]);

  // An executable named like a photo, type not declared: refused from its content.
  const pe = Buffer.alloc(200_000);
  pe.write("MZ", 0, "latin1");
  pe.writeUInt32LE(0x80, 0x3c);
  pe.write("PE\0\0", 0x80, "latin1");
  const exeUp = await tusCreate(ts.baseUrl, doctor, { consultationId, filename: "photo.jpg", length: pe.length });
  const exeRes = await tusPatch(exeUp.url!, doctor, 0, pe);
  expect(exeRes.status).toBe(415);
  expect(exeRes.body.detail).toMatch(/Windows 可执行程序/);
  expect(partials()).toEqual([]);

  // More bytes than declared: the declared length was wrong; the upload is gone.
  const short = await tusCreate(ts.baseUrl, doctor, { consultationId, filename: "doc.pdf", length: 100 });
  const over = await tusPatch(short.url!, doctor, 0, pdf);
  expect(over.status).toBe(413);
  expect(over.body.detail).toMatch(/超过了声明的文件大小/);
  expect(partials()).toEqual([]);
  expect((await tusHead(short.url!, doctor)).status).toBe(404);

  expect(await db.upload.count({ where: { consultationId } })).toBe(before);
  const refusals = await db.auditLog.count({
    where: { action: "upload.create", entityId: consultationId, outcome: "INVALID" },
  });
  expect(refusals).toBeGreaterThanOrEqual(6);
});

it("keeps scope: no consultation, someone else's consultation, someone else's partial upload", async () => {
  const none = await tusCreate(ts.baseUrl, doctor, { filename: "a.pdf", length: 10 });
  expect(none.status).toBe(400);
  expect(none.body.errors).toEqual([expect.objectContaining({ path: "metadata.consultationId" })]);
  // doctor.nongan works elsewhere: the consultation does not exist for them.
  const foreign = await tusCreate(ts.baseUrl, otherDoctor, { consultationId, filename: "a.pdf", length: 10 });
  expect(foreign.status).toBe(404);
  const mine = await tusCreate(ts.baseUrl, doctor, { consultationId, filename: "a.pdf", length: 10 });
  expect((await tusHead(mine.url!, otherDoctor)).status).toBe(404);
  expect((await tusPatch(mine.url!, otherDoctor, 0, Buffer.from("%PDF-1.4\n"))).status).toBe(404);
  expect((await tusHead(mine.url!, doctor)).offset).toBe(0);
  const unauth = await fetch(mine.url!, { method: "HEAD", headers: { "tus-resumable": "1.0.0" } });
  expect(unauth.status).toBe(401);
  // Closed consultations take no files.
  const closed = await makeConsultation(db, { status: "CLOSED" });
  expect((await tusCreate(ts.baseUrl, doctor, { consultationId: closed, filename: "a.pdf", length: 10 })).status).toBe(
    409,
  );
});

it("expires an unfinished upload: refused, and its partial bytes removed", async () => {
  const short = await startTestServer({ UPLOAD_RESUMABLE_EXPIRY_S: "1" });
  try {
    const token = (await short.login("doctor.hadashan")).accessToken;
    const pdf = readFileSync(path.join(fx, "page.pdf"));
    const up = await tusCreate(short.baseUrl, token, {
      consultationId,
      filename: "report.pdf",
      filetype: "application/pdf",
      length: pdf.length,
    });
    expect(up.headers.get("upload-expires")).toBeTruthy();
    const half = await tusPatch(up.url!, token, 0, pdf.subarray(0, Math.floor(pdf.length / 2)));
    expect(half.status).toBe(204);
    const id = up.url!.split("/").pop()!;
    expect(partials()).toEqual(expect.arrayContaining([id]));
    // The server's clean-up runs every expiry period (here 1 s).
    const t0 = Date.now();
    while (partials().some((f) => f.startsWith(id)) && Date.now() - t0 < 10_000)
      await new Promise((r) => setTimeout(r, 200));
    expect(partials().filter((f) => f.startsWith(id))).toEqual([]);
    const late = await tusPatch(up.url!, token, Math.floor(pdf.length / 2), pdf.subarray(Math.floor(pdf.length / 2)));
    expect(late.status).toBe(404);
    expect(await db.upload.findUnique({ where: { id } })).toBeNull();
  } finally {
    await short.stop();
  }
});

it("does not process or record a half-written upload", async () => {
  const pdf = readFileSync(path.join(fx, "page.pdf"));
  const up = await tusCreate(ts.baseUrl, doctor, { consultationId, filename: "half.pdf", length: pdf.length });
  await tusPatch(up.url!, doctor, 0, pdf.subarray(0, pdf.length - 10));
  const id = up.url!.split("/").pop()!;
  expect(await db.upload.findUnique({ where: { id } })).toBeNull();
  const rest = await tusPatch(up.url!, doctor, pdf.length - 10, pdf.subarray(pdf.length - 10));
  expect(rest.status).toBe(200);
  expect(rest.body).toMatchObject({ id, status: "UPLOADED", kind: "PDF" });
  expect(rest.headers.get("yilian-upload-id")).toBe(id);
  expect((await waitForFinal(db, id)).status).toBe("READY");
});
