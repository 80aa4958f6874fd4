// Issue 12, items 7-8: outside the requesting institution a file's name is neutral ("影像-1.dcm") in the file, the
// list and content-disposition, and its DICOM is de-identified; administrators who do not work on the
// consultation get the same (minimum necessary), the FHIR bundle included. Real server, worker, storage, dcmtk.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRedis } from "@yilian/server";
import { createStorage } from "@yilian/storage";
import { initUploads } from "../../worker/src/queues/uploads";
import { hashPassword } from "../../server/src/auth/passwords";
import { startTestServer, type TestServer } from "../helpers/server";
import { testDb, closeTestDb } from "../helpers/db";
import { makeFixtures, dcmdump, type Fixtures } from "./fixtures";
import { makeConsultation, uploadFile, waitForFinal } from "./helpers";

process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-upid`;
const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-storage-"));
process.env.STORAGE_DIR = storageDir;

let ts: TestServer;
let fx: Fixtures;
let worker: Awaited<ReturnType<typeof initUploads>>;
const connection = createRedis(process.env.REDIS_URL!);
const db = testDb();
const ADMIN = `t.sec.instadmin.${process.pid}`;
let doctor: string;
let spec: string;
let admin: string;
let consultationId: string;
let uploadId: string;
const NAME = "张三_220102199001011234.dcm";

beforeAll(async () => {
  fx = makeFixtures();
  ts = await startTestServer();
  worker = await initUploads({ db, storage: createStorage() }, connection, `${process.env.REDIS_PREFIX}:bull`, {
    concurrency: 1,
  });
  const home = await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
  // An administrator of the requesting institution who does not work on the consultation.
  await db.user.create({
    data: {
      username: ADMIN,
      displayName: "机构管理员",
      passwordHash: await hashPassword("admin-password-1"),
      roles: ["INSTITUTION_ADMIN"],
      institutionId: home.institutionId,
    },
  });
  doctor = (await ts.login("doctor.hadashan")).accessToken;
  spec = (await ts.login("spec.youtian.1")).accessToken;
  admin = (await ts.login(ADMIN, "admin-password-1")).accessToken;
  consultationId = await makeConsultation(db);
  const r = await uploadFile(ts.baseUrl, doctor, consultationId, fx.dicomJpeg, NAME);
  expect(r.status).toBe(202);
  uploadId = r.body.id;
  expect((await waitForFinal(db, uploadId)).status).toBe("READY");
}, 60_000);

afterAll(async () => {
  await db.user.deleteMany({ where: { username: ADMIN } });
  await worker?.worker.close();
  await worker?.queue.close();
  connection.disconnect();
  await ts?.stop();
  await closeTestDb();
  rmSync(storageDir, { recursive: true, force: true });
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

const get = (token: string, p: string) => fetch(`${ts.baseUrl}${p}`, { headers: { authorization: `Bearer ${token}` } });

async function seen(token: string) {
  const one = await (await get(token, `/api/uploads/${uploadId}`)).json();
  const list = await (await get(token, `/api/consultations/${consultationId}/uploads`)).json();
  const content = await get(token, `/api/uploads/${uploadId}/content`);
  const file = path.join(fx.dir, `seen-${Math.random().toString(36).slice(2)}.dcm`);
  writeFileSync(file, Buffer.from(await content.arrayBuffer()));
  return {
    name: one.originalName as string,
    listed: list.items.map((u: { originalName: string }) => u.originalName) as string[],
    disposition: decodeURIComponent(content.headers.get("content-disposition") ?? ""),
    dump: dcmdump(file),
  };
}

it("the requesting doctor keeps the original name and file", async () => {
  const s = await seen(doctor);
  expect(s.name).toBe(NAME);
  expect(s.listed).toEqual([NAME]);
  expect(s.disposition).toContain(NAME);
  expect(s.dump).toMatch(/Zhang\^San/);
});

it("the specialist at another institution sees a neutral name and a de-identified file", async () => {
  const s = await seen(spec);
  expect(s.name).toBe("影像-1.dcm");
  expect(s.listed).toEqual(["影像-1.dcm"]);
  expect(s.disposition).toContain("影像-1.dcm");
  expect(s.disposition).not.toMatch(/张三|220102199001011234/);
  expect(s.dump).not.toMatch(/Zhang|ZS-0001/);
  expect(s.dump).toMatch(/PatientIdentityRemoved/);
});

it("an administrator of the requesting institution who is no participant gets de-identified content only", async () => {
  const s = await seen(admin);
  expect(s.name).toBe("影像-1.dcm");
  expect(s.disposition).not.toMatch(/张三|220102199001011234/);
  expect(s.dump).not.toMatch(/Zhang|ZS-0001/);
  const fhir = await (await get(admin, `/api/consultations/${consultationId}/fhir`)).json();
  const patient = fhir.entry
    .map((e: { resource: { resourceType: string } }) => e.resource)
    .find((r: { resourceType: string }) => r.resourceType === "Patient");
  expect(JSON.stringify(patient)).not.toMatch(/张三|1960-01-01/);
  expect(patient.birthDate).toBe("1960");
  // Still audited as before.
  const audited = await db.auditLog.count({
    where: { action: "upload.original", entityId: uploadId, actorId: { not: null } },
  });
  expect(audited).toBeGreaterThanOrEqual(3);
  // The treating doctor's FHIR bundle still names the patient.
  const own = await (await get(doctor, `/api/consultations/${consultationId}/fhir`)).json();
  expect(JSON.stringify(own)).toContain("张三");
});
