// Importing studies from the institution's PACS into a consultation (WADO-RS by the worker), against a real
// Orthanc: byte-equal instances that become READY together, de-identified for outsiders, resumable after the
// study vanished mid-import, and each bad input ending FAILED with a zh-CN reason and nothing READY.
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRedis } from "@yilian/server";
import { createStorage } from "@yilian/storage";
import { encryptCredential } from "../../server/src/pacs/credentials";
import { basicAuth, storeInstances } from "../../server/src/pacs/orthanc/orthanc";
import { DEMO_PATIENTS, makeCtStudy, readAll } from "../../server/src/pacs/orthanc/demo-studies";
import type { PacsImportContext } from "../../worker/src/pacs/import";
import { initPacsImports } from "../../worker/src/queues/pacs-imports";
import { startTestServer, type TestServer } from "../helpers/server";
import { LOOPBACK_PACS, startTestPacs, type TestPacs } from "../helpers/orthanc";
import { testDb, closeTestDb } from "../helpers/db";
import { makeConsultation, userId, waitFor } from "../worker/helpers";

process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-pacsimp`;
process.env.STORAGE_DIR = mkdtempSync(path.join(tmpdir(), "yilian-pacsimp-"));

const db = testDb();
const connection = createRedis(process.env.REDIS_URL!);
let pacs: TestPacs;
let ts: TestServer;
let ctx: PacsImportContext;
let worker: Awaited<ReturnType<typeof initPacsImports>>;
let doctor: string;
let spec: string;
let hadashanId: string;
let fake: Server;
const staged: string[] = [];

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const orthancGet = async (p: string) => {
  const res = await fetch(`${pacs.orthanc.url}${p}`, { headers: { authorization: basicAuth(pacs.orthanc.auth) } });
  if (!res.ok) throw new Error(`${p}: ${res.status}`);
  return res;
};
/** SOP Instance UID → SHA-256 of the file Orthanc holds, for one study. */
async function sourceHashes(studyUid: string) {
  const [hit] = (await (
    await fetch(`${pacs.orthanc.url}/tools/lookup`, {
      method: "POST",
      headers: { authorization: basicAuth(pacs.orthanc.auth) },
      body: studyUid,
    })
  ).json()) as { ID: string }[];
  const instances = (await (await orthancGet(`/studies/${hit!.ID}/instances`)).json()) as {
    ID: string;
    MainDicomTags: { SOPInstanceUID: string };
  }[];
  const out = new Map<string, string>();
  for (const i of instances)
    out.set(
      i.MainDicomTags.SOPInstanceUID,
      sha(Buffer.from(await (await orthancGet(`/instances/${i.ID}/file`)).arrayBuffer())),
    );
  return { orthancId: hit!.ID, hashes: out };
}

/**
 * A gateway in front of the PACS that records the requests and breaks the first whole-study answer once `cutAfter`
 * bytes have passed (a line dropping mid-transfer).
 */
async function gateway(cutAfter: number) {
  const seen: string[] = [];
  let cut = false;
  const target = new URL(pacs.orthanc.dicomWebUrl);
  const server = createServer((req, res) => {
    seen.push(req.url!);
    const up = httpRequest(
      { host: target.hostname, port: target.port, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        const cutting = !cut && /\/studies\/[^/?]+$/.test(req.url!);
        if (cutting) cut = true;
        let sent = 0;
        answer.on("data", (chunk: Buffer) => {
          if (cutting && sent + chunk.length > cutAfter) {
            // Exactly `cutAfter` bytes get through; once they have been read, the line drops.
            answer.destroy();
            res.write(chunk.subarray(0, Math.max(0, cutAfter - sent)), () => setTimeout(() => res.destroy(), 300));
            sent = cutAfter;
            return;
          }
          sent += chunk.length;
          res.write(chunk);
        });
        answer.on("end", () => res.end());
      },
    );
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}`,
    seen,
    close: () => server.close(),
  };
}

const importStudies = (consultationId: string, studyInstanceUids: string[], token = doctor) =>
  ts.api(`/api/consultations/${consultationId}/pacs-imports`, { token, body: { studyInstanceUids } });
const imports = async (consultationId: string) =>
  (await ts.api(`/api/consultations/${consultationId}/pacs-imports`, { token: doctor })).body.items as {
    status: string;
    [k: string]: unknown;
  }[];
const finished = (consultationId: string, n = 1) =>
  waitFor(
    async () => {
      const items = await imports(consultationId);
      return items.length >= n && items.every((i) => i.status === "DONE" || i.status === "FAILED") ? items : null;
    },
    60_000,
    200,
  );

async function setPacs(baseUrl: string, password = "pacs-test-password") {
  const key = ts.server.services.config.PATIENT_DATA_KEY;
  const data = {
    name: "哈达山卫生院 PACS",
    baseUrl,
    usernameEnc: encryptCredential("pacs", key),
    passwordEnc: encryptCredential(password, key),
  };
  await db.pacsConnection.upsert({
    where: { institutionId: hadashanId },
    create: { institutionId: hadashanId, createdById: (await userId(db, "doctor.hadashan")).id, ...data },
    update: data,
  });
}

beforeAll(async () => {
  pacs = await startTestPacs();
  ts = await startTestServer();
  hadashanId = (await userId(db, "doctor.hadashan")).institutionId;
  doctor = (await ts.login("doctor.hadashan")).accessToken;
  spec = (await ts.login("spec.youtian.1")).accessToken;
  ctx = {
    db,
    storage: createStorage(),
    keyB64: ts.server.services.config.PATIENT_DATA_KEY,
    policy: LOOPBACK_PACS,
    maxStudyBytes: 1024 * 1024 * 1024,
    concurrency: 2,
    afterInstance: async (_imp, sop) => void staged.push(sop),
  };
  worker = await initPacsImports(ctx, connection, `${process.env.REDIS_PREFIX}:bull`);
  // A PACS that answers WADO-RS with a text part: what a misconfigured gateway does.
  fake = createServer((req, res) => {
    if (req.url!.includes("/instances?")) {
      res.setHeader("content-type", "application/dicom+json");
      res.end(
        JSON.stringify([
          { "0020000E": { vr: "UI", Value: ["1.2.3.4"] }, "00080018": { vr: "UI", Value: ["1.2.3.4.5"] } },
        ]),
      );
      return;
    }
    res.setHeader("content-type", 'multipart/related; type="application/dicom"; boundary=XX');
    res.end("--XX\r\nContent-Type: text/html\r\n\r\n<html>登录已过期</html>\r\n--XX--\r\n");
  });
  await new Promise<void>((r) => fake.listen(0, "127.0.0.1", r));
}, 120_000);

afterAll(async () => {
  await worker?.worker.close();
  await worker?.queue.close();
  await db.pacsConnection.deleteMany({ where: { institutionId: hadashanId } });
  await ts?.stop();
  await pacs?.stop();
  fake?.close();
  connection.disconnect();
  await closeTestDb();
});

beforeEach(async () => {
  await setPacs(pacs.orthanc.dicomWebUrl);
  staged.length = 0;
});

it("imports the picked studies byte-equal; the instances become attachments together, de-identified for the specialist", async () => {
  const consultationId = await makeConsultation(db);
  const r = await importStudies(consultationId, [pacs.demo.ct.studyUid, pacs.demo.us.studyUid]);
  expect(r.status).toBe(202);
  expect(r.body.items.map((i: { status: string }) => i.status)).toEqual(["QUEUED", "QUEUED"]);
  const done = await finished(consultationId, 2);
  expect(done.map((i) => [i.status, i.totalInstances, i.importedInstances])).toEqual([
    ["DONE", 6, 6],
    ["DONE", 1, 1],
  ]);
  const list = await ts.api(`/api/consultations/${consultationId}/uploads`, { token: doctor });
  expect(list.body.items).toHaveLength(7);
  expect(
    list.body.items.every((u: { status: string; hasPreview: boolean }) => u.status === "READY" && u.hasPreview),
  ).toBe(true);
  const { hashes } = await sourceHashes(pacs.demo.ct.studyUid);
  const ct = list.body.items.filter((u: { dicom: { modality: string } }) => u.dicom.modality === "CT");
  expect(
    new Map(ct.map((u: { dicom: { sopInstanceUid: string }; sha256: string }) => [u.dicom.sopInstanceUid, u.sha256])),
  ).toEqual(hashes);
  // The requester downloads the original, byte for byte; the specialist at the upper hospital gets no identity.
  const one = ct[0];
  const original = Buffer.from(
    await (
      await fetch(`${ts.baseUrl}/api/uploads/${one.id}/content`, { headers: { authorization: `Bearer ${doctor}` } })
    ).arrayBuffer(),
  );
  expect(sha(original)).toBe(hashes.get(one.dicom.sopInstanceUid));
  expect(original.includes(Buffer.from("张^三"))).toBe(true);
  const deid = Buffer.from(
    await (
      await fetch(`${ts.baseUrl}/api/uploads/${one.id}/content`, { headers: { authorization: `Bearer ${spec}` } })
    ).arrayBuffer(),
  );
  expect(deid.includes(Buffer.from("张^三"))).toBe(false);
  expect(deid.includes(Buffer.from(one.dicom.sopInstanceUid))).toBe(true);
  // Importing the same study again changes nothing.
  const again = await importStudies(consultationId, [pacs.demo.ct.studyUid]);
  expect(again.body.items[0].status).toBe("DONE");
  const audited = await db.auditLog.count({ where: { action: "pacs.import", entityId: done[0]!.id as string } });
  expect(audited).toBe(1);
}, 90_000);

it("a study that vanishes mid-import ends FAILED with nothing READY; the retry fetches only what is missing", async () => {
  const consultationId = await makeConsultation(db);
  const { orthancId, hashes } = await sourceHashes(pacs.demo.ct.studyUid);
  // The first answer breaks off a third of the way (a slice or two staged); once the retry has fetched its first gap
  // the study is deleted, and every lane waits for that before it goes on.
  const gw = await gateway((await readAll(pacs.demo.ct.files)).reduce((n, f) => n + f.length, 0) / 3);
  let deletion: Promise<unknown> | null = null;
  ctx.afterRetrieve = async () => {
    deletion ??= fetch(`${pacs.orthanc.url}/studies/${orthancId}`, {
      method: "DELETE",
      headers: { authorization: basicAuth(pacs.orthanc.auth) },
    });
    await deletion;
  };
  try {
    await setPacs(gw.url);
    await importStudies(consultationId, [pacs.demo.ct.studyUid]);
    const [failed] = await finished(consultationId);
    expect(failed).toMatchObject({ status: "FAILED", failCode: "STUDY_VANISHED" });
    expect(failed!.failReason).toMatch(/已从 PACS 中删除/);
    expect(await db.upload.count({ where: { consultationId, status: "READY" } })).toBe(0);
    expect((await ts.api(`/api/consultations/${consultationId}/uploads`, { token: doctor })).body.items).toHaveLength(
      0,
    );
    const kept = await db.upload.count({ where: { consultationId, status: "PROCESSING" } });
    expect(kept).toBeGreaterThanOrEqual(1);
  } finally {
    ctx.afterRetrieve = undefined;
    gw.close();
  }
  // The study is back in the PACS: importing it again resumes.
  await setPacs(pacs.orthanc.dicomWebUrl);
  await storeInstances(pacs.orthanc, await readAll(pacs.demo.ct.files));
  staged.length = 0;
  const kept = await db.upload.count({ where: { consultationId, status: "PROCESSING" } });
  expect((await importStudies(consultationId, [pacs.demo.ct.studyUid])).status).toBe(202);
  const [done] = await finished(consultationId);
  expect(done).toMatchObject({ status: "DONE", importedInstances: 6, failReason: null });
  expect(staged).toHaveLength(6 - kept);
  const ready = await db.upload.findMany({ where: { consultationId, status: "READY" } });
  expect(new Map(ready.map((u) => [u.sopInstanceUid, u.sha256]))).toEqual(hashes);
}, 90_000);

it("a wrong password, a non-DICOM part and a study over the size limit end FAILED with a zh-CN reason", async () => {
  await setPacs(pacs.orthanc.dicomWebUrl, "wrong-password");
  const c1 = await makeConsultation(db);
  await importStudies(c1, [pacs.demo.dx.studyUid]);
  expect((await finished(c1))[0]).toMatchObject({
    status: "FAILED",
    failCode: "PACS_AUTH",
    failReason: expect.stringMatching(/用户名或密码错误/),
  });

  await setPacs(`http://127.0.0.1:${(fake.address() as AddressInfo).port}/dicom-web`);
  const c2 = await makeConsultation(db);
  await importStudies(c2, ["1.2.3.4"]);
  expect((await finished(c2))[0]).toMatchObject({
    status: "FAILED",
    failCode: "NOT_DICOM",
    failReason: expect.stringMatching(/非 DICOM/),
  });

  await setPacs(pacs.orthanc.dicomWebUrl);
  ctx.maxStudyBytes = 60 * 1024; // the CT's six slices are ~200 KB
  try {
    const c3 = await makeConsultation(db);
    await importStudies(c3, [pacs.demo.ct.studyUid]);
    expect((await finished(c3))[0]).toMatchObject({
      status: "FAILED",
      failCode: "TOO_LARGE",
      failReason: expect.stringMatching(/上限/),
    });
    expect(await db.upload.count({ where: { consultationId: c3 } })).toBe(0);
  } finally {
    ctx.maxStudyBytes = 1024 * 1024 * 1024;
  }
  for (const c of [c1, c2]) expect(await db.upload.count({ where: { consultationId: c, status: "READY" } })).toBe(0);
}, 90_000);

it("a study comes in one answer; cut off halfway, the retry fetches only the missing slices; previews are drawn once", async () => {
  const ct = await makeCtStudy(
    path.join(process.env.STORAGE_DIR!, "series-ct"),
    { patient: DEMO_PATIENTS[0]!, studyDate: "20261201", accession: "CT-SERIES-1", description: "胸部CT（断点续传）" },
    { slices: 12, size: 128 },
  );
  const files = await readAll(ct.files);
  await storeInstances(pacs.orthanc, files);
  const { hashes } = await sourceHashes(ct.studyUid);
  const gw = await gateway(files.reduce((n, f) => n + f.length, 0) / 2);
  // Parts over 16 KiB go to scratch files on the way (a long clip would), the others stay in memory.
  ctx.memoryPartBytes = 16 * 1024;
  try {
    await setPacs(gw.url);
    const c = await makeConsultation(db);
    await importStudies(c, [ct.studyUid]);
    const [done] = await finished(c);
    expect(done).toMatchObject({ status: "DONE", totalInstances: 12, importedInstances: 12 });
    const whole = gw.seen.filter((u) => /\/studies\/[^/?]+$/.test(u));
    const single = gw.seen.filter((u) => /\/instances\/[^/?]+$/.test(u));
    // One whole-study answer (the broken one), then each slice that had not arrived, and nothing twice.
    expect(whole).toHaveLength(1);
    expect(single.length).toBeGreaterThan(0);
    expect(single.length).toBeLessThan(12);
    expect(new Set(staged).size).toBe(staged.length);
    const ready = await db.upload.findMany({ where: { consultationId: c, status: "READY" } });
    expect(new Map(ready.map((u) => [u.sopInstanceUid, u.sha256]))).toEqual(hashes);
    // Every slice shows a preview, drawn when first asked for (from the copy the caller may read) and then kept.
    const list = (await ts.api(`/api/consultations/${c}/uploads`, { token: doctor })).body.items as {
      id: string;
      hasPreview: boolean;
    }[];
    expect(list.every((u) => u.hasPreview)).toBe(true);
    expect(ready.every((u) => u.previewKey === null)).toBe(true);
    const slice = ready[3]!;
    for (const token of [spec, doctor]) {
      const r = await fetch(`${ts.baseUrl}/api/uploads/${slice.id}/preview`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("image/png");
      expect(
        Buffer.from(await r.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
    }
    expect((await db.upload.findUniqueOrThrow({ where: { id: slice.id } })).previewKey).not.toBeNull();
  } finally {
    ctx.memoryPartBytes = undefined;
    gw.close();
  }
}, 90_000);

it("an unreachable PACS is retried, then ends FAILED with its reason; the import can be started again", async () => {
  await setPacs("http://127.0.0.1:1/dicom-web");
  const c = await makeConsultation(db);
  await importStudies(c, [pacs.demo.dx.studyUid]);
  const [failed] = await finished(c);
  expect(failed).toMatchObject({
    status: "FAILED",
    failCode: "PACS_UNREACHABLE",
    failReason: expect.stringMatching(/无法连接/),
  });
  await setPacs(pacs.orthanc.dicomWebUrl);
  await importStudies(c, [pacs.demo.dx.studyUid]);
  expect((await finished(c))[0]).toMatchObject({ status: "DONE", importedInstances: 1 });
}, 90_000);

it("only people working on the consultation import; others are told it does not exist, bad input is a 400", async () => {
  const c = await makeConsultation(db);
  const outsider = (await ts.login("doctor.nongan")).accessToken;
  expect((await importStudies(c, [pacs.demo.ct.studyUid], outsider)).status).toBe(404);
  const bad = await importStudies(c, ["not-a-uid"]);
  expect(bad.status).toBe(400);
  expect(bad.body.code).toBe("VALIDATION_FAILED");
  expect((await importStudies(c, [])).status).toBe(400);
  await db.pacsConnection.deleteMany({ where: { institutionId: hadashanId } });
  const none = await importStudies(c, [pacs.demo.ct.studyUid]);
  expect(none.status).toBe(409);
  expect(none.body.code).toBe("PACS_NOT_REGISTERED");
});
