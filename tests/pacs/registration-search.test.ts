// PACS registration by the institution admin and QIDO-RS search by the doctor, against a real Orthanc.
import { createDb, type Db } from "@yilian/server";
import { encryptCredential } from "../../server/src/pacs/credentials";
import { startTestServer, type TestServer } from "../helpers/server";
import { startTestPacs, type TestPacs } from "../helpers/orthanc";

let pacs: TestPacs;
let ts: TestServer;
let db: Db;
let admin: string;
let doctor: string;
let youtianId: string;
let hadashanId: string;
const KEY = () => ts.server.services.config.PATIENT_DATA_KEY;

beforeAll(async () => {
  pacs = await startTestPacs();
  ts = await startTestServer({ PACS_ALLOWED_HOSTS: new URL(pacs.orthanc.url).host });
  db = createDb(process.env.DATABASE_URL!);
  admin = (await ts.login("admin.youtian")).accessToken;
  doctor = (await ts.login("doctor.hadashan")).accessToken;
  youtianId = (await db.user.findUniqueOrThrow({ where: { username: "admin.youtian" } })).institutionId;
  hadashanId = (await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } })).institutionId;
  await db.pacsConnection.deleteMany({ where: { institutionId: { in: [youtianId, hadashanId] } } });
}, 90_000);
afterAll(async () => {
  await db?.pacsConnection.deleteMany({ where: { institutionId: { in: [youtianId, hadashanId] } } });
  await db?.$disconnect();
  await ts?.stop();
  await pacs?.stop();
});

const register = (token: string, institutionId: string, body: object) =>
  ts.api(`/api/institutions/${institutionId}/pacs`, { token, method: "PUT", body });

describe("registration", () => {
  it("the institution admin registers the PACS; credentials are stored encrypted and never returned", async () => {
    const r = await register(admin, youtianId, {
      name: "油田医院 PACS",
      baseUrl: `${pacs.orthanc.dicomWebUrl}/`,
      username: "pacs",
      password: "pacs-test-password",
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ baseUrl: pacs.orthanc.dicomWebUrl, hasCredentials: true });
    expect(JSON.stringify(r.body)).not.toContain("pacs-test-password");
    const row = await db.pacsConnection.findUniqueOrThrow({ where: { institutionId: youtianId } });
    expect(row.passwordEnc).toMatch(/^v1:/);
    expect(row.passwordEnc).not.toContain("pacs-test-password");
    expect((await ts.api(`/api/institutions/${youtianId}/pacs`, { token: admin })).body.hasCredentials).toBe(true);
    const audited = await db.auditLog.findFirst({ where: { action: "pacs.register", entityId: row.id } });
    expect(audited).not.toBeNull();
  });

  it("another institution's PACS, or a doctor, gets 404", async () => {
    expect((await register(admin, hadashanId, { name: "x", baseUrl: pacs.orthanc.dicomWebUrl })).status).toBe(404);
    expect((await register(doctor, hadashanId, { name: "x", baseUrl: pacs.orthanc.dicomWebUrl })).status).toBe(404);
    expect((await ts.api(`/api/institutions/${hadashanId}/pacs`, { token: admin })).status).toBe(404);
  });

  it("refuses addresses that would make the server a proxy to its own neighbours", async () => {
    for (const baseUrl of [
      "http://127.0.0.1:6379/",
      "http://169.254.169.254/latest",
      "http://localhost:5432/x",
      "http://[::1]:8042/",
    ]) {
      const r = await register(admin, youtianId, { name: "x", baseUrl });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
    }
    const withCreds = await register(admin, youtianId, { name: "x", baseUrl: "http://u:p@10.1.2.3/dicom-web" });
    expect(withCreds.status).toBe(400);
    expect(withCreds.body.detail ?? withCreds.body.message).toMatch(/用户名和密码/);
    expect((await register(admin, youtianId, { name: "x", baseUrl: "ftp://10.1.2.3/" })).status).toBe(400);
  });
});

describe("search", () => {
  it("without a registered PACS the doctor is told to ask the admin", async () => {
    const r = await ts.api("/api/pacs/studies?patientId=PACS-DEMO-0001", { token: doctor });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("PACS_NOT_REGISTERED");
  });

  it("finds studies of the doctor's own institution's PACS by patient ID, name, date and modality", async () => {
    await db.pacsConnection.create({
      data: {
        institutionId: hadashanId,
        name: "哈达山卫生院 PACS",
        baseUrl: pacs.orthanc.dicomWebUrl,
        usernameEnc: encryptCredential("pacs", KEY()!),
        passwordEnc: encryptCredential("pacs-test-password", KEY()!),
        createdById: (await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } })).id,
      },
    });
    const byId = await ts.api("/api/pacs/studies?patientId=PACS-DEMO-0001", { token: doctor });
    expect(byId.status).toBe(200);
    expect(byId.body.items).toHaveLength(1);
    expect(byId.body.items[0]).toMatchObject({
      patientName: "张 三",
      modalities: ["CT"],
      studyDate: "2026-11-18",
      description: "胸部CT平扫",
      instanceCount: 6,
    });
    const byModality = await ts.api("/api/pacs/studies?modality=US", { token: doctor });
    expect(byModality.body.items.map((s: { patientId: string }) => s.patientId)).toEqual(["PACS-DEMO-0002"]);
    const byDate = await ts.api("/api/pacs/studies?studyDate=2026-11-19..2026-11-30", { token: doctor });
    expect(byDate.body.items).toHaveLength(2);
    const byName = await ts.api(`/api/pacs/studies?patientName=${encodeURIComponent("Wang")}`, { token: doctor });
    expect(byName.body.items.map((s: { patientId: string }) => s.patientId)).toEqual(["PACS-DEMO-0003"]);
    expect((await ts.api("/api/pacs/studies?studyDate=yesterday", { token: doctor })).status).toBe(400);
  });

  it("a registered name that now resolves to loopback (DNS rebinding) is not connected to", async () => {
    const row = await db.pacsConnection.findUniqueOrThrow({ where: { institutionId: hadashanId } });
    // localhost stands for a name that passed registration and re-resolves to 127.0.0.1 afterwards.
    await db.pacsConnection.update({
      where: { id: row.id },
      data: { baseUrl: pacs.orthanc.dicomWebUrl.replace("127.0.0.1", "localhost") },
    });
    const r = await ts.api("/api/pacs/studies?patientId=PACS-DEMO-0001", { token: doctor });
    expect(r.status).toBe(502);
    expect(r.body.code).toBe("PACS_UNAVAILABLE");
    expect(r.body.detail ?? r.body.message).toMatch(/不允许的地址/);
    await db.pacsConnection.update({ where: { id: row.id }, data: { baseUrl: row.baseUrl } });
  });

  it("a wrong password and an unreachable PACS end in a zh-CN reason, not a 500", async () => {
    await db.pacsConnection.update({
      where: { institutionId: hadashanId },
      data: { passwordEnc: encryptCredential("wrong", KEY()!) },
    });
    const wrong = await ts.api("/api/pacs/studies?patientId=PACS-DEMO-0001", { token: doctor });
    expect(wrong.status).toBe(502);
    expect(wrong.body.code).toBe("PACS_UNAVAILABLE");
    expect(wrong.body.detail ?? wrong.body.message).toMatch(/用户名或密码错误/);
    await db.pacsConnection.update({
      where: { institutionId: hadashanId },
      data: { baseUrl: "http://127.0.0.1:1/dicom-web" },
    });
    const down = await ts.api("/api/pacs/studies", { token: doctor });
    expect(down.status).toBe(502);
    expect(down.body.detail ?? down.body.message).toMatch(/无法连接/);
  });
});
