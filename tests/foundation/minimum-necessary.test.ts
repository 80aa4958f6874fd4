// Issue 12, item 8: administrators manage and count. Unless they work on a consultation they get it
// de-identified — masked name (王**), ID number all stars, no record number, neutral file names — in the detail,
// the lists, the signed PDF report and the FHIR bundle alike; the reads stay audited. The people treating the
// patient keep the identity. Real server, PostgreSQL, Redis, pdfkit + pdftotext.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { draftBody, idNumber, plusMinutes, shanghaiAt } from "../consultations/helpers";

let t: TestServer;
const db = testDb();
const dir = mkdtempSync(path.join(tmpdir(), "yilian-minnec-"));
const tokens: Record<string, string> = {};
let consultationId: string;
const ADMINS = ["admin.youtian", "region.songyuan", "province.admin"];
const PATIENT = draftBody().patient; // 王秀英, record number HDS-2026-0193
const ID = idNumber();

const as = (username: string, p: string, opts: { method?: string; body?: unknown } = {}) =>
  t.api(p, { ...opts, token: tokens[username] });
async function ok(r: Promise<{ status: number; body: any }>) {
  const res = await r;
  if (res.status >= 300) throw new Error(`${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

beforeAll(async () => {
  t = await startTestServer();
  for (const u of ["doctor.hadashan", "coord.youtian", "spec.youtian.1", ...ADMINS])
    tokens[u] = (await t.login(u)).accessToken;
  const youtian = await db.institution.findFirstOrThrow({ where: { name: "松原吉林油田医院" } });
  const spec = await db.user.findUniqueOrThrow({ where: { username: "spec.youtian.1" } });
  // Requested, accepted, booked, held and signed: every view of it exists.
  const c = await ok(
    as("doctor.hadashan", "/api/consultations", { body: draftBody({ targetInstitutionId: youtian.id }) }),
  );
  consultationId = c.id;
  const requester = await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
  await db.upload.create({
    data: {
      consultationId,
      uploaderId: requester.id,
      uploaderInstitutionId: requester.institutionId,
      originalName: `王秀英_${ID}.pdf`,
      kind: "PDF",
      category: "CASE",
      mime: "application/pdf",
      sizeBytes: 1024n,
      sha256: "0".repeat(64),
      status: "READY",
    },
  });
  await ok(as("doctor.hadashan", `/api/consultations/${consultationId}/submit`, { body: {} }));
  await ok(as("coord.youtian", `/api/consultations/${consultationId}/accept`, { body: { specialistIds: [spec.id] } }));
  const start = shanghaiAt(40, 10);
  await ok(
    as("coord.youtian", `/api/specialists/${spec.id}/availability/windows`, {
      body: { kind: "OPEN", startsAt: start, endsAt: plusMinutes(start, 60), slotMinutes: 30 },
    }),
  );
  await ok(as("coord.youtian", `/api/consultations/${consultationId}/booking`, { body: { startsAt: start } }));
  expect(await t.server.consultations.markStarted(consultationId, spec.id)).toBe(true);
  await ok(
    as("spec.youtian.1", `/api/consultations/${consultationId}/report`, {
      method: "PUT",
      body: { impression: "慢性心力衰竭急性加重。" },
    }),
  );
  await ok(as("spec.youtian.1", `/api/consultations/${consultationId}/report/sign`, { body: {} }));
}, 60_000);
afterAll(async () => {
  await t.stop();
  await closeTestDb();
  rmSync(dir, { recursive: true, force: true });
});

async function pdfText(username: string): Promise<string> {
  const res = await fetch(`${t.baseUrl}/api/consultations/${consultationId}/report.pdf`, {
    headers: { authorization: `Bearer ${tokens[username]}` },
  });
  expect(res.status).toBe(200);
  const file = path.join(dir, `${username}.pdf`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return execFileSync("pdftotext", ["-enc", "UTF-8", file, "-"], { encoding: "utf8" });
}

function patientOf(bundle: { entry: { resource: { resourceType: string } }[] }) {
  return bundle.entry.map((e) => e.resource).find((r) => r.resourceType === "Patient") as unknown as {
    name: { text: string }[];
    birthDate: string;
    identifier?: unknown[];
  };
}

it.each(ADMINS)("%s (not working on it) sees the consultation de-identified everywhere, audited", async (admin) => {
  const since = new Date();
  const detail = await ok(as(admin, `/api/consultations/${consultationId}`));
  expect(detail.patient).toEqual({
    name: "王**",
    sex: PATIENT.sex,
    birthDate: PATIENT.birthDate,
    idNumberMasked: "*".repeat(18),
    recordNumber: null,
  });
  expect(detail.attachments.map((a: { originalName: string }) => a.originalName)).toEqual(["文档-1.pdf"]);
  expect(JSON.stringify(detail)).not.toMatch(/王秀英|HDS-2026-0193|2207021990/);

  const list = await ok(as(admin, "/api/consultations?box=institution&limit=100"));
  const row = list.items.find((r: { id: string }) => r.id === consultationId);
  if (admin !== "province.admin" || row) expect(row.patientName).toBe("王**");
  expect(JSON.stringify(list)).not.toContain("王秀英");

  const pdf = await pdfText(admin);
  expect(pdf).toContain("王**");
  expect(pdf).not.toMatch(/王秀英|HDS-2026-0193|2207021990/);

  const fhir = await ok(as(admin, `/api/consultations/${consultationId}/fhir`));
  const patient = patientOf(fhir);
  expect(patient.name[0]!.text).toBe("王**");
  expect(patient.birthDate).toBe("1956");
  expect(patient.identifier ?? []).toEqual([]);
  expect(JSON.stringify(fhir)).not.toMatch(/王秀英|HDS-2026-0193|2207021990/);

  const adminUser = await db.user.findUniqueOrThrow({ where: { username: admin } });
  const audited = await db.auditLog.findMany({
    where: { actorId: adminUser.id, entityId: consultationId, at: { gte: since } },
  });
  expect(audited.map((a) => a.action).sort()).toEqual(["consultation.fhir", "consultation.read", "report.pdf"]);
  expect(audited.every((a) => (a.detail as { deidentified?: boolean } | null)?.deidentified === true)).toBe(true);
});

it("the people treating the patient keep the identity", async () => {
  for (const u of ["doctor.hadashan", "spec.youtian.1"]) {
    const detail = await ok(as(u, `/api/consultations/${consultationId}`));
    expect(detail.patient).toMatchObject({
      name: "王秀英",
      recordNumber: "HDS-2026-0193",
      idNumberMasked: `${ID.slice(0, 6)}********${ID.slice(-4)}`,
    });
    expect(await pdfText(u)).toContain("王秀英");
    expect(patientOf(await ok(as(u, `/api/consultations/${consultationId}/fhir`))).name[0]!.text).toBe("王秀英");
  }
  // The file keeps its name for the requesting doctor; the specialist elsewhere sees the neutral one, as in the file list.
  expect((await ok(as("doctor.hadashan", `/api/consultations/${consultationId}`))).attachments[0].originalName).toBe(
    `王秀英_${ID}.pdf`,
  );
  expect((await ok(as("spec.youtian.1", `/api/consultations/${consultationId}`))).attachments[0].originalName).toBe(
    "文档-1.pdf",
  );
  // So does every answer that carries the detail, e.g. an amendment.
  const amended = await ok(
    as("spec.youtian.1", `/api/consultations/${consultationId}/report/amendments`, {
      body: { followUp: "两周后复查。", reason: "补充随访" },
    }),
  );
  expect(amended.attachments[0].originalName).toBe("文档-1.pdf");
});
