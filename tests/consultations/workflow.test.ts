// The whole path, DRAFT → CLOSED, by a township doctor, a coordinator and two specialists, over REST and
// Socket.IO events, against real PostgreSQL and Redis.
import { createDb } from "@yilian/server";
import { startTestServer, type TestServer } from "../helpers/server";
import { draftBody, idNumber, nextEvent, openSocket, plusMinutes, shanghaiAt, type ClientSocket } from "./helpers";

let t: TestServer;
const db = createDb(process.env.DATABASE_URL!);
const sockets: ClientSocket[] = [];
type Pair = Awaited<ReturnType<TestServer["login"]>>;
let doctor: Pair, coord: Pair, spec1: Pair, spec2: Pair;
let sDoctor: ClientSocket, sCoord: ClientSocket, sSpec1: ClientSocket, sSpec2: ClientSocket;

beforeAll(async () => {
  t = await startTestServer();
  [doctor, coord, spec1, spec2] = (await Promise.all(
    ["doctor.hadashan", "coord.youtian", "spec.youtian.1", "spec.youtian.2"].map((u) => t.login(u)),
  )) as [Pair, Pair, Pair, Pair];
  [sDoctor, sCoord, sSpec1, sSpec2] = (await Promise.all(
    [doctor, coord, spec1, spec2].map((p) => openSocket(t.baseUrl, p.accessToken)),
  )) as [ClientSocket, ClientSocket, ClientSocket, ClientSocket];
  sockets.push(sDoctor, sCoord, sSpec1, sSpec2);
});
afterAll(async () => {
  sockets.forEach((s) => s.disconnect());
  await t.stop();
  await db.$disconnect();
});

it("runs DRAFT → SUBMITTED → RETURNED → SUBMITTED → ACCEPTED → SCHEDULED → IN_PROGRESS → REPORTED → CLOSED", async () => {
  const youtian = coord.user.institution.id;
  // Routing: the Songyuan group lead hospital is suggested for a Hadashan doctor.
  const targets = await t.api("/api/consultations/targets?specialtyCode=CARDIOLOGY&limit=50", {
    token: doctor.accessToken,
  });
  expect(targets.status).toBe(200);
  expect(targets.body.items.map((i: { institution: { id: string } }) => i.institution.id)).toContain(youtian);
  expect(targets.body.items[0].specialtyMatch).toBe(true);

  // Draft, patient ID encrypted at rest and shown masked.
  const id18 = idNumber();
  const draft = await t.api("/api/consultations", {
    token: doctor.accessToken,
    body: draftBody({ targetInstitutionId: youtian }),
  });
  expect(draft.status).toBe(201);
  const c = draft.body;
  expect(c).toMatchObject({
    status: "DRAFT",
    patient: { idNumberMasked: `${id18.slice(0, 6)}********${id18.slice(-4)}` },
  });
  expect(JSON.stringify(c)).not.toContain(id18);
  const row = await db.consultation.findUniqueOrThrow({ where: { id: c.id } });
  expect(row.patientIdNumberEnc).toMatch(/^v1:/);
  expect(row.patientIdNumberEnc).not.toContain(id18.slice(6, 14));

  // Every READY upload of the consultation is an attachment; one still being processed is not (yet).
  const file = (originalName: string, status: "READY" | "UPLOADED") => ({
    consultationId: c.id,
    uploaderId: doctor.user.id,
    uploaderInstitutionId: doctor.user.institution.id,
    originalName,
    kind: "PDF" as const,
    category: "CASE" as const,
    mime: "application/pdf",
    sizeBytes: 1024n,
    sha256: "0".repeat(64),
    status,
  });
  const ecg = await db.upload.create({ data: file("ecg.pdf", "READY") });
  await db.upload.create({ data: file("pending.pdf", "UPLOADED") });
  const edited = await t.api(`/api/consultations/${c.id}`, {
    token: doctor.accessToken,
    method: "PATCH",
    body: { history: "高血压病史 15 年。", version: c.version },
  });
  expect(edited.status).toBe(200);
  expect(edited.body.attachments).toEqual([
    expect.objectContaining({ uploadId: ecg.id, originalName: "ecg.pdf", kind: "PDF" }),
  ]);
  const stale = await t.api(`/api/consultations/${c.id}`, {
    token: doctor.accessToken,
    method: "PATCH",
    body: { history: "旧版本", version: c.version },
  });
  expect(stale.status).toBe(409);

  // Submit: the coordinator's queue gets it live.
  const queued = nextEvent(sCoord, "consultation:queued", (e) => e.consultationId === c.id);
  const submitted = await t.api(`/api/consultations/${c.id}/submit`, { token: doctor.accessToken, body: {} });
  expect(submitted.status).toBe(200);
  expect(submitted.body.slaDueAt).toBeTruthy();
  expect(await queued).toMatchObject({ status: "SUBMITTED", urgency: "URGENT" });
  const queue = await t.api("/api/consultations/triage", { token: coord.accessToken });
  expect(queue.body.items.map((i: { id: string }) => i.id)).toContain(c.id);

  // Returned for more information, completed, resubmitted.
  const returned = nextEvent(sDoctor, "consultation:returned", (e) => e.consultationId === c.id);
  expect(
    (
      await t.api(`/api/consultations/${c.id}/return`, {
        token: coord.accessToken,
        body: { reason: "请补充近期心脏彩超结果" },
      })
    ).status,
  ).toBe(200);
  expect(await returned).toMatchObject({ status: "RETURNED", reason: "请补充近期心脏彩超结果" });
  expect(
    (
      await t.api(`/api/consultations/${c.id}`, {
        token: doctor.accessToken,
        method: "PATCH",
        body: { examinations: "心脏彩超：EF 35%，左房增大。" },
      })
    ).status,
  ).toBe(200);
  expect(
    (await t.api(`/api/consultations/${c.id}/submit`, { token: doctor.accessToken, body: { note: "已补充心脏彩超" } }))
      .body.status,
  ).toBe("SUBMITTED");

  // Accepted with two specialists (MDT).
  const accepted = nextEvent(sDoctor, "consultation:accepted", (e) => e.consultationId === c.id);
  const accepted2 = nextEvent(sSpec2, "consultation:accepted", (e) => e.consultationId === c.id);
  const acc = await t.api(`/api/consultations/${c.id}/accept`, {
    token: coord.accessToken,
    body: { specialistIds: [spec1.user.id, spec2.user.id] },
  });
  expect(acc.status).toBe(200);
  expect(acc.body.participants.filter((p: { role: string }) => p.role === "SPECIALIST")).toHaveLength(2);
  await Promise.all([accepted, accepted2]);

  // Both publish a one-off window; slot search finds it; the coordinator books.
  const start = shanghaiAt(9, 9);
  for (const s of [spec1, spec2]) {
    const w = await t.api(`/api/specialists/${s.user.id}/availability/windows`, {
      token: coord.accessToken,
      body: { kind: "OPEN", startsAt: start, endsAt: plusMinutes(start, 120), slotMinutes: 30 },
    });
    expect(w.status).toBe(201);
  }
  const slots = await t.api(
    `/api/slots?specialtyCode=NEUROLOGY&institutionId=${youtian}&from=${encodeURIComponent(start)}&days=1`,
    { token: doctor.accessToken },
  );
  expect(slots.status).toBe(200);
  expect(slots.body.items[0]).toMatchObject({ specialistId: spec2.user.id, startsAt: start, reserved: false });
  // The next unreserved slot (another test may change the hospital's reserved referral share meanwhile).
  const later = (slots.body.items as { startsAt: string }[]).map((x) => x.startsAt).find((x) => x > start)!;
  const scheduled = nextEvent(sSpec2, "consultation:scheduled", (e) => e.consultationId === c.id);
  const booked = await t.api(`/api/consultations/${c.id}/booking`, {
    token: coord.accessToken,
    body: { startsAt: start },
  });
  expect(booked.status).toBe(201);
  expect(booked.body).toMatchObject({
    status: "SCHEDULED",
    scheduledStart: start,
    booking: { startsAt: start, endsAt: plusMinutes(start, 30) },
  });
  expect(booked.body.scheduledStartLocal).toMatch(/ 09:00$/);
  expect((await scheduled).scheduledStart).toBe(start);

  // Reschedule by 30 minutes with a reason; the invite follows.
  const rescheduled = nextEvent(sDoctor, "consultation:rescheduled", (e) => e.consultationId === c.id);
  const moved = await t.api(`/api/consultations/${c.id}/booking`, {
    token: coord.accessToken,
    method: "PUT",
    body: { startsAt: later, reason: "专家临时手术，顺延半小时" },
  });
  expect(moved.status).toBe(200);
  expect((await rescheduled).reason).toBe("专家临时手术，顺延半小时");
  const ics = await t.api(`/api/consultations/${c.id}/booking.ics`, { token: spec1.accessToken });
  expect(ics.status).toBe(200);
  expect(ics.headers.get("content-type")).toContain("text/calendar");
  expect(ics.body).toContain("BEGIN:VEVENT");
  expect(ics.body).toContain("TZID=Asia/Shanghai");
  expect(ics.body).toContain(`远程会诊 ${c.number}`);
  expect(ics.body).not.toContain("王秀英");
  // The old slot is free again, the new one is taken.
  const busy = await db.specialistBusyTime.findMany({
    where: { specialistId: spec1.user.id, startsAt: { gte: new Date(start), lt: new Date(plusMinutes(start, 120)) } },
  });
  expect(busy.map((b) => b.startsAt.toISOString())).toEqual([later]);

  // The first specialist joining the room starts it (media's join hook calls markStarted).
  const started = nextEvent(sDoctor, "consultation:started", (e) => e.consultationId === c.id);
  expect(await t.server.consultations.markStarted(c.id, doctor.user.id)).toBe(false); // not a specialist
  expect(await t.server.consultations.markStarted(c.id, spec1.user.id)).toBe(true);
  expect(await t.server.consultations.markStarted(c.id, spec2.user.id)).toBe(false); // already started
  await started;

  // Report: written by one, signed by the other; signing locks it.
  const report = {
    findings: "EF 35%，房颤伴快速心室率。",
    impression: "慢性心力衰竭（NYHA III 级）急性加重，持续性房颤。",
    recommendations: "利尿、控制心室率，启动 ARNI；抗凝评估。",
    referralAdvice: "UP",
    followUp: "两周后复查 BNP 与心电图。",
  };
  expect(
    (await t.api(`/api/consultations/${c.id}/report`, { token: spec2.accessToken, method: "PUT", body: report }))
      .status,
  ).toBe(200);
  const signedEv = nextEvent(sDoctor, "consultation:report-signed", (e) => e.consultationId === c.id);
  const signed = await t.api(`/api/consultations/${c.id}/report/sign`, { token: spec1.accessToken, body: {} });
  expect(signed.status).toBe(200);
  expect(signed.body).toMatchObject({
    status: "REPORTED",
    report: { status: "SIGNED", signedBy: { id: spec1.user.id } },
  });
  await signedEv;
  const locked = await t.api(`/api/consultations/${c.id}/report`, {
    token: spec2.accessToken,
    method: "PUT",
    body: { impression: "改" },
  });
  expect(locked.status).toBe(409);

  // Amendments keep both versions and the reason.
  const amended = await t.api(`/api/consultations/${c.id}/report/amendments`, {
    token: spec2.accessToken,
    body: { followUp: "一周后复查 BNP。", reason: "随访间隔更正" },
  });
  expect(amended.status).toBe(201);
  expect(amended.body.report.amendments).toEqual([
    expect.objectContaining({
      reason: "随访间隔更正",
      previous: expect.objectContaining({ followUp: report.followUp }),
      current: expect.objectContaining({ followUp: "一周后复查 BNP。" }),
    }),
  ]);

  const pdf = await fetch(`${t.baseUrl}/api/consultations/${c.id}/report.pdf`, {
    headers: { authorization: `Bearer ${doctor.accessToken}` },
  });
  expect(pdf.status).toBe(200);
  const bytes = Buffer.from(await pdf.arrayBuffer());
  expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
  expect(bytes.toString("latin1")).toMatch(/FontFile2|WenQuanYi|NotoSansCJK/);

  // The requesting doctor records the decision: CLOSED.
  const closed = await t.api(`/api/consultations/${c.id}/decision`, {
    token: doctor.accessToken,
    body: { outcome: "PARTIALLY_FOLLOWED", decision: "已调整利尿剂剂量，暂不上转，密切观察。" },
  });
  expect(closed.status).toBe(200);
  expect(closed.body.status).toBe("CLOSED");
  expect(closed.body.timeline.map((x: { to: string }) => x.to)).toEqual([
    "DRAFT",
    "SUBMITTED",
    "RETURNED",
    "SUBMITTED",
    "ACCEPTED",
    "SCHEDULED",
    "SCHEDULED",
    "IN_PROGRESS",
    "REPORTED",
    "CLOSED",
  ]);

  // FHIR R4 export.
  const fhir = await t.api(`/api/consultations/${c.id}/fhir`, { token: doctor.accessToken });
  expect(fhir.status).toBe(200);
  expect(fhir.body.resourceType).toBe("Bundle");
  expect(fhir.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType)).toEqual([
    "Patient",
    "ServiceRequest",
    "Appointment",
    "DiagnosticReport",
  ]);
  expect(fhir.body.entry[3].resource.status).toBe("amended");

  // An illegal transition answers 409 with the current state.
  const again = await t.api(`/api/consultations/${c.id}/accept`, {
    token: coord.accessToken,
    body: { specialistIds: [spec1.user.id] },
  });
  expect(again.status).toBe(409);
  expect(again.body).toMatchObject({ code: "INVALID_STATE", currentStatus: "CLOSED" });
});
