// The consultation's studies over DICOMweb (/dicomweb/consultations/:id/…) after an import from a real Orthanc:
// a small DICOMweb client finds them with QIDO-RS and retrieves byte-equal instances as the requesting doctor,
// de-identified ones as the outside specialist and the upper hospital's admin; strangers get 404; frames and
// rendered images; every read audited.
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRedis } from "@yilian/server";
import { createStorage } from "@yilian/storage";
import { encryptCredential } from "../../server/src/pacs/credentials";
import { basicAuth } from "../../server/src/pacs/orthanc/orthanc";
import { initPacsImports } from "../../worker/src/queues/pacs-imports";
import { LOOPBACK_PACS } from "../helpers/orthanc";
import { multipartBoundary, readMultipart } from "../../worker/src/pacs/multipart";
import { startTestServer, type TestServer } from "../helpers/server";
import { startTestPacs, type TestPacs } from "../helpers/orthanc";
import { testDb, closeTestDb } from "../helpers/db";
import { makeConsultation, userId, waitFor } from "../worker/helpers";

process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-dicomweb`;
process.env.STORAGE_DIR = mkdtempSync(path.join(tmpdir(), "yilian-dicomweb-"));

const db = testDb();
const connection = createRedis(process.env.REDIS_URL!);
let pacs: TestPacs;
let ts: TestServer;
let worker: Awaited<ReturnType<typeof initPacsImports>>;
let consultationId: string;
let root: string;
const tokens: Record<string, string> = {};
let source: Map<string, string>;

type Json = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const NAME = Buffer.from("张^三");

/** The DICOMweb client: GET with the bearer token. */
const dw = (p: string, who: string, accept = "application/dicom+json") =>
  fetch(`${root}${p}`, { headers: { accept, ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}) } });

/** WADO-RS multipart answer → its parts (content type and bytes). */
async function parts(res: Response) {
  const out: { type: string; data: Buffer }[] = [];
  await readMultipart(
    res.body as unknown as AsyncIterable<Uint8Array>,
    multipartBoundary(res.headers.get("content-type"))!,
    (h) => {
      const chunks: Buffer[] = [];
      return {
        write: (c) => void chunks.push(c),
        end: () => void out.push({ type: h["content-type"] ?? "", data: Buffer.concat(chunks) }),
      };
    },
  );
  return out;
}

/** SOP Instance UID of a DICOM file (after the 0008,0018 UI element; enough for these files). */
const sopOf = (file: Buffer, candidates: Iterable<string>) =>
  [...candidates].find((uid) => file.includes(Buffer.from(uid)));

beforeAll(async () => {
  pacs = await startTestPacs();
  ts = await startTestServer();
  root = `${ts.baseUrl}/dicomweb/consultations`;
  for (const u of ["doctor.hadashan", "spec.youtian.1", "admin.youtian", "doctor.nongan"])
    tokens[u] = (await ts.login(u)).accessToken;
  const doctor = await userId(db, "doctor.hadashan");
  const key = ts.server.services.config.PATIENT_DATA_KEY;
  const data = {
    name: "哈达山卫生院 PACS",
    baseUrl: pacs.orthanc.dicomWebUrl,
    usernameEnc: encryptCredential("pacs", key),
    passwordEnc: encryptCredential("pacs-test-password", key),
  };
  await db.pacsConnection.upsert({
    where: { institutionId: doctor.institutionId },
    create: { institutionId: doctor.institutionId, createdById: doctor.id, ...data },
    update: data,
  });
  worker = await initPacsImports(
    { db, storage: createStorage(), keyB64: key, policy: LOOPBACK_PACS, maxStudyBytes: 1 << 30 },
    connection,
    `${process.env.REDIS_PREFIX}:bull`,
  );
  consultationId = await makeConsultation(db);
  root = `${root}/${consultationId}`;
  const studies = [pacs.demo.ct.studyUid, pacs.demo.us.studyUid, pacs.demo.dx.studyUid];
  expect(
    (
      await ts.api(`/api/consultations/${consultationId}/pacs-imports`, {
        token: tokens["doctor.hadashan"],
        body: { studyInstanceUids: studies },
      })
    ).status,
  ).toBe(202);
  await waitFor(
    async () => (await db.pacsImport.count({ where: { consultationId, status: "DONE" } })) === 3,
    60_000,
    200,
  );
  source = new Map();
  const auth = { authorization: basicAuth(pacs.orthanc.auth) };
  for (const id of (await (await fetch(`${pacs.orthanc.url}/instances`, { headers: auth })).json()) as string[]) {
    const tags = (await (
      await fetch(`${pacs.orthanc.url}/instances/${id}/simplified-tags`, { headers: auth })
    ).json()) as { SOPInstanceUID: string };
    source.set(
      tags.SOPInstanceUID,
      sha(
        Buffer.from(await (await fetch(`${pacs.orthanc.url}/instances/${id}/file`, { headers: auth })).arrayBuffer()),
      ),
    );
  }
}, 120_000);

afterAll(async () => {
  await worker?.worker.close();
  await worker?.queue.close();
  // The Orthanc stops with this file: its registration goes too (later files share the database copy).
  await db.pacsConnection.deleteMany({ where: { name: "哈达山卫生院 PACS" } });
  await ts?.stop();
  await pacs?.stop();
  connection.disconnect();
  await closeTestDb();
});

it("the requesting doctor finds the studies (QIDO-RS) and retrieves byte-equal instances (WADO-RS)", async () => {
  const res = await dw("/studies", "doctor.hadashan");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/application\/dicom\+json/);
  const studies = (await res.json()) as Json[];
  expect(studies).toHaveLength(3);
  const ct = studies.find((s) => s["00080061"]?.Value?.[0] === "CT")!;
  expect(ct["00100010"]?.Value?.[0]).toMatchObject({ Ideographic: "张^三" });
  expect(ct["00201208"]?.Value?.[0]).toBe(6);
  expect(ct["00081190"]?.Value?.[0]).toBe(`${root}/studies/${pacs.demo.ct.studyUid}`);
  // Query matching as a viewer's study browser uses it.
  expect(((await (await dw("/studies?ModalitiesInStudy=US", "doctor.hadashan")).json()) as Json[]).length).toBe(1);
  expect(((await (await dw("/studies?PatientID=PACS-DEMO-0001", "doctor.hadashan")).json()) as Json[]).length).toBe(1);
  expect(((await (await dw("/studies?StudyDate=20261120-20261130", "doctor.hadashan")).json()) as Json[]).length).toBe(
    2,
  );
  const series = (await (await dw(`/studies/${pacs.demo.ct.studyUid}/series`, "doctor.hadashan")).json()) as Json[];
  expect(series.map((s) => s["00201209"]?.Value?.[0])).toEqual([6]);
  const instances = (await (
    await dw(`/studies/${pacs.demo.ct.studyUid}/instances`, "doctor.hadashan")
  ).json()) as Json[];
  expect(instances).toHaveLength(6);

  const study = await dw(
    `/studies/${pacs.demo.ct.studyUid}`,
    "doctor.hadashan",
    'multipart/related; type="application/dicom"; transfer-syntax=*',
  );
  expect(study.status).toBe(200);
  const files = await parts(study);
  expect(files).toHaveLength(6);
  for (const f of files) {
    expect(f.type).toMatch(/^application\/dicom/);
    const sop = sopOf(f.data, source.keys())!;
    expect(sha(f.data)).toBe(source.get(sop));
  }
  const audited = await db.auditLog.count({
    where: { action: "dicomweb.retrieve", entityId: consultationId, actorId: (await userId(db, "doctor.hadashan")).id },
  });
  expect(audited).toBeGreaterThanOrEqual(1);
});

it("the outside specialist and the upper hospital's admin get de-identified instances; strangers get 404", async () => {
  for (const who of ["spec.youtian.1", "admin.youtian"]) {
    const studies = (await (await dw("/studies", who)).json()) as Json[];
    expect(studies).toHaveLength(3);
    expect(JSON.stringify(studies)).not.toContain("张");
    const files = await parts(
      await dw(`/studies/${pacs.demo.ct.studyUid}`, who, "multipart/related; type=application/dicom"),
    );
    expect(files).toHaveLength(6);
    for (const f of files) {
      expect(f.data.includes(NAME)).toBe(false);
      // Same instance (UIDs retained), not the same bytes.
      const sop = sopOf(f.data, source.keys())!;
      expect(sop).toBeDefined();
      expect(sha(f.data)).not.toBe(source.get(sop));
    }
    const meta = (await (await dw(`/studies/${pacs.demo.ct.studyUid}/metadata`, who)).json()) as Json[];
    expect(JSON.stringify(meta)).not.toContain("张");
  }
  const strangerQido = await dw("/studies", "doctor.nongan");
  expect(strangerQido.status).toBe(404);
  expect((await dw(`/studies/${pacs.demo.ct.studyUid}`, "doctor.nongan", "multipart/related")).status).toBe(404);
  expect((await dw("/studies", "")).status).toBe(401);
  expect((await dw("/studies/not-a-uid/series", "doctor.hadashan")).status).toBe(400);
});

it("serves metadata with bulk data by URI, frames (native and JPEG) and rendered images", async () => {
  const [meta] = (await (await dw(`/studies/${pacs.demo.ct.studyUid}/metadata`, "doctor.hadashan")).json()) as Json[];
  const sop = meta!["00080018"]!.Value![0] as string;
  const seriesUid = meta!["0020000E"]!.Value![0] as string;
  expect(meta!["7FE00010"]!.BulkDataURI).toBe(
    `${root}/studies/${pacs.demo.ct.studyUid}/series/${seriesUid}/instances/${sop}`,
  );
  const rows = meta!["00280010"]!.Value![0] as number;
  const cols = meta!["00280011"]!.Value![0] as number;
  const frame = await parts(
    await dw(
      `/studies/${pacs.demo.ct.studyUid}/series/${seriesUid}/instances/${sop}/frames/1`,
      "doctor.hadashan",
      "multipart/related; type=application/octet-stream",
    ),
  );
  expect(frame).toHaveLength(1);
  expect(frame[0]!.data.length).toBe(rows * cols * 2);

  const [dx] = (await (await dw(`/studies/${pacs.demo.dx.studyUid}/instances`, "doctor.hadashan")).json()) as Json[];
  const dxPath = `/studies/${pacs.demo.dx.studyUid}/series/${dx!["0020000E"]!.Value![0]}/instances/${dx!["00080018"]!.Value![0]}`;
  const jpeg = await parts(await dw(`${dxPath}/frames/1`, "spec.youtian.1", "multipart/related; type=image/jpeg"));
  expect(jpeg[0]!.type).toMatch(/^image\/jpeg/);
  expect(jpeg[0]!.data.subarray(0, 2).toString("hex")).toBe("ffd8");

  const [us] = (await (await dw(`/studies/${pacs.demo.us.studyUid}/instances`, "doctor.hadashan")).json()) as Json[];
  const usPath = `/studies/${pacs.demo.us.studyUid}/series/${us!["0020000E"]!.Value![0]}/instances/${us!["00080018"]!.Value![0]}`;
  expect((await parts(await dw(`${usPath}/frames/1,15,30`, "doctor.hadashan", "multipart/related"))).length).toBe(3);
  expect((await dw(`${usPath}/frames/31`, "doctor.hadashan", "multipart/related")).status).toBe(404);
  const png = await dw(`${usPath}/frames/30/rendered`, "admin.youtian", "image/png");
  expect(png.status).toBe(200);
  expect(
    Buffer.from(await png.arrayBuffer())
      .subarray(1, 4)
      .toString(),
  ).toBe("PNG");
  const ctJpeg = await dw(
    `/studies/${pacs.demo.ct.studyUid}/series/${seriesUid}/instances/${sop}/rendered`,
    "doctor.hadashan",
    "image/jpeg",
  );
  expect(ctJpeg.headers.get("content-type")).toBe("image/jpeg");
  expect(
    (
      await dw(
        `/studies/${pacs.demo.ct.studyUid}/series/${seriesUid}/instances/${sop}/rendered`,
        "doctor.hadashan",
        "text/html",
      )
    ).status,
  ).toBe(406);
});
