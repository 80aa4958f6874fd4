// Side paths (REJECTED, cancelled, EMERGENCY paging), authorisation by role and scope (404 outside it, every
// read audited) and bad input (clear 4xx, nothing half-written).
import { createDb } from "@yilian/server";
import { startTestServer, type TestServer } from "../helpers/server";
import { draftBody, nextEvent, openSocket, plusMinutes, shanghaiAt, type ClientSocket } from "./helpers";

let t: TestServer;
const db = createDb(process.env.DATABASE_URL!);
const sockets: ClientSocket[] = [];
type Pair = Awaited<ReturnType<TestServer["login"]>>;
let doctor: Pair, coord: Pair, spec1: Pair, spec2: Pair;

beforeAll(async () => {
  t = await startTestServer();
  [doctor, coord, spec1, spec2] = (await Promise.all(
    ["doctor.hadashan", "coord.youtian", "spec.youtian.1", "spec.youtian.2"].map((u) => t.login(u)),
  )) as [Pair, Pair, Pair, Pair];
});
afterAll(async () => {
  sockets.forEach((s) => s.disconnect());
  await t.stop();
  await db.$disconnect();
});

async function submitted(overrides: Record<string, unknown> = {}) {
  const d = await t.api("/api/consultations", {
    token: doctor.accessToken,
    body: draftBody({ targetInstitutionId: coord.user.institution.id, ...overrides }),
  });
  expect(d.status).toBe(201);
  const s = await t.api(`/api/consultations/${d.body.id}/submit`, { token: doctor.accessToken, body: {} });
  expect(s.status).toBe(200);
  return s.body as { id: string; number: string; version: number };
}

it("rejects with a reason, told to the requester; nothing further is possible", async () => {
  const c = await submitted();
  const sDoctor = await openSocket(t.baseUrl, doctor.accessToken);
  sockets.push(sDoctor);
  const ev = nextEvent(sDoctor, "consultation:rejected", (e) => e.consultationId === c.id);
  const r = await t.api(`/api/consultations/${c.id}/reject`, {
    token: coord.accessToken,
    body: { reason: "本院暂无该亚专科专家，请改投省级医院" },
  });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ status: "REJECTED", statusReason: "本院暂无该亚专科专家，请改投省级医院" });
  expect(await ev).toMatchObject({ status: "REJECTED" });
  const again = await t.api(`/api/consultations/${c.id}/submit`, { token: doctor.accessToken, body: {} });
  expect(again.status).toBe(409);
  expect(again.body).toMatchObject({ code: "INVALID_STATE", currentStatus: "REJECTED" });
  const noReason = await t.api(`/api/consultations/${(await submitted()).id}/reject`, {
    token: coord.accessToken,
    body: {},
  });
  expect(noReason.status).toBe(400);
});

it("orders the triage queue by urgency, then age, and shows it to coordinators only", async () => {
  const routine = await submitted({ urgency: "ROUTINE" });
  const emergency = await submitted({ urgency: "EMERGENCY" });
  const q = await t.api("/api/consultations/triage?limit=200", { token: coord.accessToken });
  expect(q.status).toBe(200);
  const items = q.body.items as { id: string; urgency: string; submittedAt: string }[];
  const rank = { EMERGENCY: 0, URGENT: 1, ROUTINE: 2 } as Record<string, number>;
  for (let i = 1; i < items.length; i++) {
    const [a, b] = [items[i - 1]!, items[i]!];
    expect(rank[a.urgency]! < rank[b.urgency]! || (a.urgency === b.urgency && a.submittedAt <= b.submittedAt)).toBe(
      true,
    );
  }
  expect(items.findIndex((i) => i.id === emergency.id)).toBeLessThan(items.findIndex((i) => i.id === routine.id));
  expect((await t.api("/api/consultations/triage", { token: doctor.accessToken })).status).toBe(403);
});

it("lets a named specialist accept directly, and pages the specialists of an EMERGENCY", async () => {
  const c = await submitted({
    urgency: "EMERGENCY",
    kind: "SINGLE_SPECIALIST",
    targetSpecialistId: spec1.user.id,
    targetInstitutionId: undefined,
  });
  const s = await openSocket(t.baseUrl, spec1.accessToken);
  sockets.push(s);
  const paged = nextEvent(s, "consultation:paged", (e) => e.consultationId === c.id);
  const r = await t.api(`/api/consultations/${c.id}/accept`, { token: spec1.accessToken, body: { specialistIds: [] } });
  expect(r.status).toBe(400); // at least one
  const ok = await t.api(`/api/consultations/${c.id}/accept`, {
    token: spec1.accessToken,
    body: { specialistIds: [spec1.user.id] },
  });
  expect(ok.status).toBe(200);
  expect(await paged).toMatchObject({ urgency: "EMERGENCY", status: "ACCEPTED" });
  // No booking needed: the first specialist in the room starts it.
  expect(await t.server.consultations.markStarted(c.id, spec1.user.id)).toBe(true);
});

it("answers 404 to a doctor of another township, an unassigned specialist and a city admin of another city, and audits it", async () => {
  const c = await submitted();
  for (const u of ["doctor.nongan", "spec.jdyy.1", "region.changchun"]) {
    const p = await t.login(u);
    const r = await t.api(`/api/consultations/${c.id}`, { token: p.accessToken });
    expect({ u, status: r.status, code: r.body.code }).toEqual({ u, status: 404, code: "NOT_FOUND" });
    expect(
      (
        await t.api(`/api/consultations/${c.id}/accept`, {
          token: p.accessToken,
          body: { specialistIds: [spec1.user.id] },
        })
      ).status,
    ).toBe(404);
    const list = await t.api("/api/consultations", { token: p.accessToken });
    expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(c.id);
    const denied = await db.auditLog.findFirst({ where: { actorId: p.user.id, entityId: c.id, outcome: "NOT_FOUND" } });
    expect(denied).not.toBeNull();
  }
  // Within scope: the Songyuan city admin reads it, and the read is audited.
  const songyuan = await t.login("region.songyuan");
  expect((await t.api(`/api/consultations/${c.id}`, { token: songyuan.accessToken })).status).toBe(200);
  const before = await db.auditLog.count({
    where: { entityId: c.id, action: "consultation.read", outcome: "SUCCESS" },
  });
  await t.api(`/api/consultations/${c.id}`, { token: coord.accessToken });
  await t.api(`/api/consultations/${c.id}`, { token: doctor.accessToken });
  expect(await db.auditLog.count({ where: { entityId: c.id, action: "consultation.read", outcome: "SUCCESS" } })).toBe(
    before + 2,
  );
  // The full ID number only for the treating doctor, audited separately.
  expect((await t.api(`/api/consultations/${c.id}/reveal-id`, { token: coord.accessToken, body: {} })).status).toBe(
    403,
  );
  const rev = await t.api(`/api/consultations/${c.id}/reveal-id`, { token: doctor.accessToken, body: {} });
  expect(rev.body.idNumber).toMatch(/^\d{17}[\dX]$/);
  expect(
    await db.auditLog.count({ where: { entityId: c.id, action: "consultation.reveal-id", outcome: "SUCCESS" } }),
  ).toBe(1);
  expect(
    await db.auditLog.count({
      where: { entityId: c.id, action: "consultation.reveal-id", outcome: "DENIED", actorId: coord.user.id },
    }),
  ).toBe(1);
});

it("refuses a target the network does not allow", async () => {
  const changchun = await db.institution.findFirstOrThrow({ where: { name: "长春市中心医院" } });
  const r = await t.api("/api/consultations", {
    token: doctor.accessToken,
    body: draftBody({ targetInstitutionId: changchun.id }),
  });
  expect(r.status).toBe(400);
  expect(r.body.errors).toEqual([expect.objectContaining({ path: "body.targetInstitutionId" })]);
  // A township of the same network is not upper tier either.
  const own = await t.api("/api/consultations", {
    token: doctor.accessToken,
    body: draftBody({ targetInstitutionId: doctor.user.institution.id }),
  });
  expect(own.status).toBe(400);
  // A province-tier hospital is reachable through the provincial telemedicine network.
  const jdyy = await db.institution.findFirstOrThrow({ where: { name: "吉林大学第一医院" } });
  const far = await t.api("/api/consultations", {
    token: doctor.accessToken,
    body: draftBody({ targetInstitutionId: jdyy.id }),
  });
  expect(far.status).toBe(201);
  const targets = await t.api("/api/consultations/targets?specialtyCode=SPINE_SURGERY&limit=50", {
    token: doctor.accessToken,
  });
  const row = targets.body.items.find((i: { institution: { id: string } }) => i.institution.id === jdyy.id);
  expect(row).toMatchObject({
    specialtyMatch: true,
    link: expect.stringMatching(/TELEMEDICINE_NETWORK|EXTERNAL_GUIDANCE|SPECIALTY_ALLIANCE/),
  });
  expect(targets.body.items.every((i: { institution: { tier: string } }) => i.institution.tier !== "TOWNSHIP")).toBe(
    true,
  );
});

it("answers bad input with clear 4xx and writes nothing", async () => {
  // Other test files file requests for the same doctor concurrently: count this test's patient only.
  const patient = { ...draftBody().patient, name: "坏输入测试患者" };
  const count = () => db.consultation.count({ where: { patientName: patient.name } });
  const before = await count();
  const cases: [Record<string, unknown>, string][] = [
    [draftBody({ patient, specialtyCode: "ASTROLOGY" }), "body.specialtyCode"],
    [draftBody({ patient, history: "病".repeat(20_001) }), "body.history"],
    [draftBody({ patient: { ...patient, idNumber: "220702199001011230" } }), "body.patient.idNumber"],
    [draftBody({ patient, urgency: "WHENEVER" }), "body.urgency"],
    [draftBody({ patient, extra: 1 }), "body"],
    // Attachments are the consultation's READY uploads, not a field of the request.
    [draftBody({ patient, attachmentIds: ["00000000-0000-4000-8000-000000000000"] }), "body"],
  ];
  for (const [body, path] of cases) {
    const r = await t.api("/api/consultations", { token: doctor.accessToken, body });
    expect({ path, status: r.status }).toEqual({ path, status: 400 });
    expect(r.body.code).toBe("VALIDATION_FAILED");
    expect(r.body.errors.map((e: { path: string }) => e.path).join()).toContain(path);
  }
  expect(await count()).toBe(before);
  // Oversize body as a whole.
  const huge = await t.api("/api/consultations", {
    token: doctor.accessToken,
    body: draftBody({ history: "x".repeat(400_000) }),
  });
  expect(huge.status).toBe(413);
  // A coordinator cannot file a request; an incomplete draft cannot be submitted.
  expect((await t.api("/api/consultations", { token: coord.accessToken, body: draftBody() })).status).toBe(403);
  const incomplete = await t.api("/api/consultations", {
    token: doctor.accessToken,
    body: { patient: draftBody().patient },
  });
  const sub = await t.api(`/api/consultations/${incomplete.body.id}/submit`, { token: doctor.accessToken, body: {} });
  expect(sub.status).toBe(400);
  expect((await db.consultation.findUniqueOrThrow({ where: { id: incomplete.body.id } })).status).toBe("DRAFT");
  expect(
    (await t.api("/api/consultations/targets?specialtyCode=ASTROLOGY", { token: doctor.accessToken })).status,
  ).toBe(400);
  expect((await t.api("/api/slots?specialtyCode=ASTROLOGY", { token: doctor.accessToken })).status).toBe(400);
});

it("refuses overlapping availability, slots in the past, and slots outside availability", async () => {
  const rule = {
    weekday: 6,
    start: "08:00",
    end: "12:00",
    slotMinutes: 30,
    validFrom: "2026-01-01",
    label: "周末专家下沉",
  };
  const created = await t.api(`/api/specialists/${spec2.user.id}/availability/rules`, {
    token: spec2.accessToken,
    body: rule,
  });
  expect(created.status).toBe(201);
  const clash = await t.api(`/api/specialists/${spec2.user.id}/availability/rules`, {
    token: spec2.accessToken,
    body: { ...rule, start: "11:00", end: "13:00" },
  });
  expect(clash.status).toBe(409);
  expect(
    (
      await t.api(`/api/specialists/${spec2.user.id}/availability/rules`, {
        token: spec2.accessToken,
        body: { ...rule, start: "12:00", end: "11:00" },
      })
    ).status,
  ).toBe(400);
  // Someone else's specialist: 404.
  expect(
    (
      await t.api(`/api/specialists/${spec2.user.id}/availability/rules`, {
        token: spec1.accessToken,
        body: { ...rule, weekday: 7 },
      })
    ).status,
  ).toBe(404);
  // The Saturday rule leaves with this test: later suites in the same database book this specialist on Saturdays.
  expect(
    (
      await t.api(`/api/specialists/${spec2.user.id}/availability/rules/${created.body.id}`, {
        method: "DELETE",
        token: spec2.accessToken,
      })
    ).status,
  ).toBe(204);
  const start = shanghaiAt(11, 14);
  const w = { kind: "OPEN", startsAt: start, endsAt: plusMinutes(start, 60) };
  expect(
    (await t.api(`/api/specialists/${spec1.user.id}/availability/windows`, { token: spec1.accessToken, body: w }))
      .status,
  ).toBe(201);
  expect(
    (
      await t.api(`/api/specialists/${spec1.user.id}/availability/windows`, {
        token: spec1.accessToken,
        body: { ...w, startsAt: plusMinutes(start, 30), endsAt: plusMinutes(start, 90) },
      })
    ).status,
  ).toBe(409);
  const past = new Date(Date.now() - 86_400_000).toISOString();
  expect(
    (
      await t.api(`/api/specialists/${spec1.user.id}/availability/windows`, {
        token: spec1.accessToken,
        body: { kind: "OPEN", startsAt: past, endsAt: plusMinutes(past, 60) },
      })
    ).status,
  ).toBe(400);

  const c = await submitted({ kind: "SINGLE_SPECIALIST" });
  await t.api(`/api/consultations/${c.id}/accept`, {
    token: coord.accessToken,
    body: { specialistIds: [spec1.user.id] },
  });
  const inPast = await t.api(`/api/consultations/${c.id}/booking`, {
    token: coord.accessToken,
    body: { startsAt: past },
  });
  expect(inPast.status).toBe(400);
  const outside = await t.api(`/api/consultations/${c.id}/booking`, {
    token: coord.accessToken,
    body: { startsAt: plusMinutes(start, 300) },
  });
  expect(outside.status).toBe(409);
  expect(await db.booking.count({ where: { consultationId: c.id } })).toBe(0);
  expect((await db.consultation.findUniqueOrThrow({ where: { id: c.id } })).status).toBe("ACCEPTED");
  // Cancelling the consultation later releases the booked time.
  expect(
    (await t.api(`/api/consultations/${c.id}/booking`, { token: coord.accessToken, body: { startsAt: start } })).status,
  ).toBe(201);
  const cancelled = await t.api(`/api/consultations/${c.id}/cancel`, {
    token: doctor.accessToken,
    body: { reason: "患者已转往上级医院就诊" },
  });
  expect(cancelled.body.status).toBe("CANCELLED");
  expect(await db.specialistBusyTime.count({ where: { specialistId: spec1.user.id, startsAt: new Date(start) } })).toBe(
    0,
  );
});

it("shows coordinators their specialists' presence: online, in consultation, offline", async () => {
  const youtian = coord.user.institution.id;
  const other = await db.user.findFirstOrThrow({
    where: {
      institutionId: youtian,
      active: true,
      roles: { has: "SPECIALIST" },
      username: { notIn: ["spec.youtian.1", "spec.youtian.2"] },
    },
  });
  const p = await t.login(other.username);
  const sCoord = await openSocket(t.baseUrl, coord.accessToken);
  sockets.push(sCoord);
  const online = nextEvent(sCoord, "presence:changed", (e) => e.userId === other.id && e.state === "ONLINE");
  const sOther = await openSocket(t.baseUrl, p.accessToken);
  await online;
  const list = await t.api("/api/consultations/presence", { token: coord.accessToken });
  expect(list.body.items.find((i: { userId: string }) => i.userId === other.id)).toMatchObject({ state: "ONLINE" });
  expect((await t.api("/api/consultations/presence", { token: doctor.accessToken })).status).toBe(403);
  // In a consultation once it starts.
  const c = await submitted({ urgency: "EMERGENCY", kind: "SINGLE_SPECIALIST" });
  await t.api(`/api/consultations/${c.id}/accept`, { token: coord.accessToken, body: { specialistIds: [other.id] } });
  const busy = nextEvent(sCoord, "presence:changed", (e) => e.userId === other.id && e.state === "IN_CONSULTATION");
  expect(await t.server.consultations.markStarted(c.id, other.id)).toBe(true);
  await busy;
  const offline = nextEvent(sCoord, "presence:changed", (e) => e.userId === other.id && e.state === "OFFLINE");
  sOther.disconnect();
  await offline;
});

it("publishes weekend expert days (周末专家下沉) for several experts, all or nothing", async () => {
  const jdyyCoord = await t.login("coord.jdyy");
  const inst = jdyyCoord.user.institution.id;
  const experts = await db.user.findMany({
    where: {
      institutionId: inst,
      active: true,
      roles: { has: "SPECIALIST" },
      department: { specialtyCode: { not: null } },
    },
    select: { id: true, department: { select: { specialtyCode: true } } },
    take: 3,
    orderBy: { username: "desc" },
  });
  const body = {
    specialistIds: experts.map((e) => e.id),
    start: "08:00",
    end: "12:00",
    slotMinutes: 30,
    validFrom: "2030-01-01",
    validUntil: "2030-12-31",
  };
  const r = await t.api(`/api/institutions/${inst}/weekend-expert-days`, { token: jdyyCoord.accessToken, body });
  expect(r.status).toBe(201);
  expect(r.body.items).toHaveLength(6);
  expect(
    r.body.items.every(
      (x: { label: string; weekday: number }) => x.label === "周末专家下沉" && [6, 7].includes(x.weekday),
    ),
  ).toBe(true);
  const again = await t.api(`/api/institutions/${inst}/weekend-expert-days`, { token: jdyyCoord.accessToken, body });
  expect(again.status).toBe(409);
  expect(
    await db.availabilityRule.count({
      where: { specialistId: { in: experts.map((e) => e.id) }, label: "周末专家下沉" },
    }),
  ).toBe(6);
  // Another institution's coordinator cannot publish for it.
  expect(
    (await t.api(`/api/institutions/${inst}/weekend-expert-days`, { token: coord.accessToken, body })).status,
  ).toBe(404);
  // Saturday 2030-01-05 08:00 Asia/Shanghai is offered.
  const slot = await t.api(
    `/api/slots?specialtyCode=${experts[0]!.department!.specialtyCode}&specialistId=${experts[0]!.id}&from=2030-01-04T16:00:00Z&days=1`,
    { token: doctor.accessToken },
  );
  expect(slot.body.items[0]).toMatchObject({ startsAt: "2030-01-05T00:00:00.000Z", local: "2030-01-05 08:00" });
});
