// Defects an integrator met (issue 16), each as a user notices it: the invite's time, the ID number in a FHIR export,
// a finished consultation still blocking its specialist, a township's own lead hospital ranked low, returned
// requests that never expire.
import ICAL from "ical.js";
import { Emitter } from "@socket.io/redis-emitter";
import { Redis } from "ioredis";
import { Queue } from "bullmq";
import { createDb } from "@yilian/server";
import type { EventSink } from "@yilian/server";
import { RETURNED_EXPIRES_AFTER_MS, RETURNED_REMINDER_BEFORE_MS } from "@yilian/contract";
import { RETURNS_QUEUE, type ReturnJobData } from "@yilian/jobs";
import { execReturnJob } from "../../worker/src/queues/consultation-returns";
import { startTestServer, type TestServer } from "../helpers/server";
import { draftBody, idNumber, nextEvent, openSocket, plusMinutes, shanghaiAt, type ClientSocket } from "./helpers";

let t: TestServer;
const db = createDb(process.env.DATABASE_URL!, { poolSize: 4 });
const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
const returns = new Queue<ReturnJobData>(RETURNS_QUEUE, {
  connection: redis,
  prefix: `${process.env.REDIS_PREFIX}:bull`,
});
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
  await returns.close();
  await t.stop();
  await db.$disconnect();
  await redis.quit();
});

const api = (token: string, path: string, o: { method?: string; body?: unknown } = {}) => t.api(path, { token, ...o });

async function accepted(specialists: Pair[], overrides: Record<string, unknown> = {}) {
  const d = await api(doctor.accessToken, "/api/consultations", {
    body: draftBody({ targetInstitutionId: coord.user.institution.id, ...overrides }),
  });
  expect(d.status).toBe(201);
  expect((await api(doctor.accessToken, `/api/consultations/${d.body.id}/submit`, { body: {} })).status).toBe(200);
  const a = await api(coord.accessToken, `/api/consultations/${d.body.id}/accept`, {
    body: { specialistIds: specialists.map((s) => s.user.id) },
  });
  expect(a.status).toBe(200);
  return a.body as { id: string; number: string };
}

/** A one-off OPEN window for each specialist, `days` ahead at `hh`:00 Shanghai, and the booking of its first slot. */
async function booked(specialists: Pair[], days: number, hh: number, minutes?: number) {
  const c = await accepted(specialists);
  const start = shanghaiAt(days, hh);
  for (const s of specialists) {
    const w = await api(coord.accessToken, `/api/specialists/${s.user.id}/availability/windows`, {
      body: { kind: "OPEN", startsAt: start, endsAt: plusMinutes(start, 120), slotMinutes: 30 },
    });
    expect(w.status).toBe(201);
  }
  const b = await api(coord.accessToken, `/api/consultations/${c.id}/booking`, {
    body: { startsAt: start, ...(minutes ? { minutes } : {}) },
  });
  expect(b.status).toBe(201);
  return { ...c, start, booking: b.body.booking as { id: string; startsAt: string; endsAt: string } };
}

it("the .ics invite lands at the booked instant in a calendar parser (Asia/Shanghai wall-clock with VTIMEZONE)", async () => {
  const c = await booked([spec1], 20, 14);
  const res = await api(spec1.accessToken, `/api/consultations/${c.id}/booking.ics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/calendar");
  const text = res.body as string;
  expect(text.endsWith("END:VCALENDAR\r\n")).toBe(true);
  const cal = new ICAL.Component(ICAL.parse(text));
  for (const tz of cal.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(tz);
  const event = new ICAL.Event(cal.getFirstSubcomponent("vevent")!);
  expect(event.startDate.toJSDate().toISOString()).toBe(new Date(c.booking.startsAt).toISOString());
  expect(event.endDate.toJSDate().toISOString()).toBe(new Date(c.booking.endsAt).toISOString());
  expect(text).toContain("DTSTART;TZID=Asia/Shanghai:");
  expect(text).toMatch(/DTSTART;TZID=Asia\/Shanghai:\d{8}T140000\r\n/); // 14:00 Shanghai, as booked
});

it("FHIR export masks the ID number unless a treating doctor reveals it through the audited rule", async () => {
  const id18 = idNumber("22070219840611402");
  const c = await accepted([spec1], { patient: { ...draftBody().patient, idNumber: id18 } });
  const patientOf = (bundle: { entry: { resource: { resourceType: string } & Record<string, unknown> }[] }) =>
    bundle.entry.find((e) => e.resource.resourceType === "Patient")!.resource as unknown as {
      identifier: { system: string; value?: string; type?: { text: string } }[];
      meta?: { security: { code: string }[] };
    };
  const auditCount = (action: string) => db.auditLog.count({ where: { entityId: c.id, action } });
  const fhirBefore = await auditCount("consultation.fhir");

  for (const who of [doctor, spec1, coord]) {
    const plain = await api(who.accessToken, `/api/consultations/${c.id}/fhir`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toContain("application/fhir+json");
    expect(JSON.stringify(plain.body)).not.toContain(id18);
    const idf = patientOf(plain.body).identifier.find((i) => i.system === "urn:oid:2.16.156.10011.1.3")!;
    expect(idf.value).toBeUndefined();
    expect(idf.type!.text).toContain(`${id18.slice(0, 6)}********${id18.slice(-4)}`);
    expect(patientOf(plain.body).meta!.security[0]!.code).toBe("MASKED");
  }
  expect(await auditCount("consultation.fhir")).toBe(fhirBefore + 3);

  const reveals = await auditCount("consultation.reveal-id");
  // The specialist at the other hospital is treating: revealed, audited.
  const revealed = await api(spec1.accessToken, `/api/consultations/${c.id}/fhir?revealIdNumber=true`);
  expect(revealed.status).toBe(200);
  expect(patientOf(revealed.body).identifier.find((i) => i.system === "urn:oid:2.16.156.10011.1.3")!.value).toBe(id18);
  expect(patientOf(revealed.body).meta).toBeUndefined();
  // The coordinator is not: 403, audited as denied, nothing exported.
  const denied = await api(coord.accessToken, `/api/consultations/${c.id}/fhir?revealIdNumber=true`);
  expect(denied.status).toBe(403);
  expect(JSON.stringify(denied.body)).not.toContain(id18);
  const rows = await db.auditLog.findMany({
    where: { entityId: c.id, action: "consultation.reveal-id" },
    orderBy: { id: "asc" },
  });
  expect(rows.slice(reveals).map((r) => [r.actorId, r.outcome, (r.detail as { via: string }).via])).toEqual([
    [spec1.user.id, "SUCCESS", "fhir"],
    [coord.user.id, "DENIED", "fhir"],
  ]);
  expect((await api(doctor.accessToken, `/api/consultations/${c.id}/fhir?revealIdNumber=maybe`)).status).toBe(400);
});

it("a consultation finished before its booked end frees the rest of its specialists' time", async () => {
  // An hour booked as two half-hour slots, three weeks ahead; started early and signed at once: all of it is free.
  const c = await booked([spec1, spec2], 21, 9, 60);
  const slotsAt = async () =>
    (
      (
        await api(
          doctor.accessToken,
          `/api/slots?specialtyCode=CARDIOLOGY&specialistId=${spec1.user.id}&from=${encodeURIComponent(c.start)}&days=1&limit=100`,
        )
      ).body.items as { startsAt: string }[]
    ).map((s) => s.startsAt);
  expect(await slotsAt()).not.toContain(plusMinutes(c.start, 30));
  expect(await t.server.consultations.markStarted(c.id, spec1.user.id)).toBe(true);
  expect(
    (
      await api(spec1.accessToken, `/api/consultations/${c.id}/report`, {
        method: "PUT",
        body: { impression: "考虑稳定型心绞痛，建议药物治疗。" },
      })
    ).status,
  ).toBe(200);
  expect((await api(spec1.accessToken, `/api/consultations/${c.id}/report/sign`, { body: {} })).status).toBe(200);
  expect(await db.specialistBusyTime.count({ where: { sourceId: c.booking.id } })).toBe(0);
  expect(await slotsAt()).toEqual(expect.arrayContaining([c.start, plusMinutes(c.start, 30)]));
  // Closing changes nothing more; the booking keeps what was planned and when it ended.
  expect(
    (
      await api(doctor.accessToken, `/api/consultations/${c.id}/decision`, {
        body: { outcome: "FOLLOWED", decision: "按会诊意见调整用药。" },
      })
    ).status,
  ).toBe(200);
  const b = await db.booking.findUniqueOrThrow({ where: { id: c.booking.id } });
  expect(b).toMatchObject({ status: "ACTIVE", endReason: "finished" });
  expect(b.endsAt.toISOString()).toBe(c.booking.endsAt);
});

it("a consultation running inside its slot keeps the elapsed part and frees the rest when it ends", async () => {
  const c = await booked([spec2], 22, 10);
  // As if the booked half hour had started 10 minutes ago (the constraint allows moving the row as a whole).
  const start = new Date(Date.now() - 10 * 60_000);
  const end = new Date(start.getTime() + 30 * 60_000);
  await db.specialistBusyTime.updateMany({ where: { sourceId: c.booking.id }, data: { startsAt: start, endsAt: end } });
  await db.booking.update({ where: { id: c.booking.id }, data: { startsAt: start, endsAt: end } });
  expect(await t.server.consultations.markStarted(c.id, spec2.user.id)).toBe(true);
  await api(spec2.accessToken, `/api/consultations/${c.id}/report`, {
    method: "PUT",
    body: { impression: "心电图未见急性缺血改变。" },
  });
  const before = Date.now();
  expect((await api(spec2.accessToken, `/api/consultations/${c.id}/report/sign`, { body: {} })).status).toBe(200);
  const [row] = await db.specialistBusyTime.findMany({ where: { sourceId: c.booking.id } });
  expect(row!.startsAt.toISOString()).toBe(start.toISOString());
  expect(row!.endsAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
  expect(row!.endsAt.getTime()).toBeLessThan(end.getTime() - 15 * 60_000);
});

it("ranks by consortium link first, also when nobody has published slots", async () => {
  const r = await api(doctor.accessToken, "/api/consultations/targets?specialtyCode=CARDIOLOGY&limit=50");
  expect(r.status).toBe(200);
  const items = r.body.items as { institution: { id: string }; link: string; specialtyMatch: boolean }[];
  const rank: Record<string, number> = {
    COUNTY_MEDICAL_COMMUNITY: 1,
    CITY_MEDICAL_GROUP: 2,
    EXTERNAL_GUIDANCE: 3,
    GOV_HOSPITAL_COOPERATION: 3,
    SPECIALTY_ALLIANCE: 4,
    TELEMEDICINE_NETWORK: 5,
  };
  const matching = items.filter((i) => i.specialtyMatch);
  for (let k = 1; k < matching.length; k++)
    expect(rank[matching[k - 1]!.link]!).toBeLessThanOrEqual(rank[matching[k]!.link]!);
  // 哈达山卫生院's own medical-group lead (松原吉林油田医院) comes before every provincial-network hospital.
  const lead = items.findIndex((i) => i.institution.id === coord.user.institution.id);
  const firstNetwork = items.findIndex((i) => i.link === "TELEMEDICINE_NETWORK");
  expect(lead).toBeGreaterThanOrEqual(0);
  expect(lead).toBeLessThan(firstNetwork);
});

it("a RETURNED request reminds its requester, then expires after the documented time unless resubmitted", async () => {
  const d = await api(doctor.accessToken, "/api/consultations", {
    body: draftBody({ targetInstitutionId: coord.user.institution.id }),
  });
  await api(doctor.accessToken, `/api/consultations/${d.body.id}/submit`, { body: {} });
  const ret = await api(coord.accessToken, `/api/consultations/${d.body.id}/return`, {
    body: { reason: "请补充近一周的心电图" },
  });
  expect(ret.status).toBe(200);
  expect(Date.parse(ret.body.returnExpiresAt) - Date.parse(ret.body.timeline.at(-1).at)).toBe(
    RETURNED_EXPIRES_AFTER_MS,
  );
  const returnedAt = new Date(ret.body.timeline.at(-1).at).getTime();
  const [remind, expire] = await Promise.all(
    ["remind", "expire"].map((k) => returns.getJob(`returned-${d.body.id}-${returnedAt}-${k}`)),
  );
  expect(remind!.timestamp + remind!.opts.delay!).toBeCloseTo(
    returnedAt + RETURNED_EXPIRES_AFTER_MS - RETURNED_REMINDER_BEFORE_MS,
    -4,
  );
  expect(expire!.timestamp + expire!.opts.delay!).toBeCloseTo(returnedAt + RETURNED_EXPIRES_AFTER_MS, -4);

  const sDoctor = await openSocket(t.baseUrl, doctor.accessToken);
  const sCoord = await openSocket(t.baseUrl, coord.accessToken);
  sockets.push(sDoctor, sCoord);
  const sink = new Emitter(redis, { key: `${process.env.REDIS_PREFIX}:socket.io` }) as unknown as EventSink;
  const expiring = nextEvent(sDoctor, "consultation:return-expiring", (e) => e.consultationId === d.body.id);
  expect(await execReturnJob(db, sink, remind!.data)).toEqual({ sent: true });
  expect(await expiring).toMatchObject({ status: "RETURNED", reason: "请补充近一周的心电图" });
  const expiredDoctor = nextEvent(sDoctor, "consultation:expired", (e) => e.consultationId === d.body.id);
  const expiredCoord = nextEvent(sCoord, "consultation:expired", (e) => e.consultationId === d.body.id);
  expect(await execReturnJob(db, sink, expire!.data)).toEqual({ sent: true });
  await Promise.all([expiredDoctor, expiredCoord]);
  const detail = await api(doctor.accessToken, `/api/consultations/${d.body.id}`);
  expect(detail.body).toMatchObject({ status: "EXPIRED", returnExpiresAt: null });
  expect(detail.body.statusReason).toContain("逾期");
  expect((await api(doctor.accessToken, `/api/consultations/${d.body.id}/submit`, { body: {} })).body).toMatchObject({
    code: "INVALID_STATE",
    currentStatus: "EXPIRED",
  });
});

it("a resubmitted request does not expire, and a second return starts a new clock", async () => {
  const d = await api(doctor.accessToken, "/api/consultations", {
    body: draftBody({ targetInstitutionId: coord.user.institution.id }),
  });
  await api(doctor.accessToken, `/api/consultations/${d.body.id}/submit`, { body: {} });
  const first = await api(coord.accessToken, `/api/consultations/${d.body.id}/return`, {
    body: { reason: "请补充血常规" },
  });
  const firstAt = new Date(first.body.timeline.at(-1).at).toISOString();
  await api(doctor.accessToken, `/api/consultations/${d.body.id}/submit`, { body: { note: "已补充" } });
  const sink = new Emitter(redis, { key: `${process.env.REDIS_PREFIX}:socket.io` }) as unknown as EventSink;
  expect(await execReturnJob(db, sink, { consultationId: d.body.id, returnedAt: firstAt, kind: "expire" })).toEqual({
    sent: false,
  });
  await api(coord.accessToken, `/api/consultations/${d.body.id}/return`, { body: { reason: "请补充肝功能" } });
  expect(await execReturnJob(db, sink, { consultationId: d.body.id, returnedAt: firstAt, kind: "expire" })).toEqual({
    sent: false,
  });
  expect((await db.consultation.findUniqueOrThrow({ where: { id: d.body.id } })).status).toBe("RETURNED");
});
