// SLA escalation with a shortened limit: coordinator reminded, then the institution admin, then overdue —
// from BullMQ delayed jobs that wait in Redis while no worker runs (a restart) and fire when one starts.
import { Emitter } from "@socket.io/redis-emitter";
import { Redis } from "ioredis";
import { createDb } from "@yilian/server";
import type { EventSink } from "@yilian/server";
import { initConsultationSla } from "../../worker/src/queues/consultation-sla";
import { execReminderJob, initConsultationReminders } from "../../worker/src/queues/consultation-reminders";
import { startTestServer, type TestServer } from "../helpers/server";
import { draftBody, nextEvent, openSocket, type ClientSocket } from "./helpers";

let t: TestServer;
const db = createDb(process.env.DATABASE_URL!, { poolSize: 4 });
const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
const sockets: ClientSocket[] = [];
let worker: Awaited<ReturnType<typeof initConsultationSla>> | undefined;
let reminders: Awaited<ReturnType<typeof initConsultationReminders>> | undefined;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  sockets.forEach((s) => s.disconnect());
  for (const w of [worker, reminders]) {
    if (!w) continue;
    await w.worker.close();
    await w.queue.close();
  }
  await t.stop();
  await db.$disconnect();
  await redis.quit(); // quit, not disconnect: waits for the emitter's last PUBLISH replies
});

it("escalates an unanswered EMERGENCY request: coordinator, then institution admin, then overdue", async () => {
  const [doctor, coord, admin, province] = await Promise.all(
    ["doctor.hadashan", "coord.youtian", "admin.youtian", "province.admin"].map((u) => t.login(u)),
  );
  const targets = await t.api("/api/consultations/targets?specialtyCode=CARDIOLOGY&limit=50", {
    token: doctor!.accessToken,
  });
  const link = targets.body.items.find(
    (i: { institution: { id: string } }) => i.institution.id === coord!.user.institution.id,
  );
  // Shortened limits for this network only: 1 s, 2 s, 3 s.
  const put = await t.api("/api/sla-policies", {
    token: province!.accessToken,
    method: "PUT",
    body: {
      consortiumId: link.consortiumId,
      urgency: "EMERGENCY",
      acceptWithinS: 3,
      notifyCoordinatorAtS: 1,
      notifyAdminAtS: 2,
    },
  });
  expect(put.status).toBe(200);
  expect(
    (
      await t.api("/api/sla-policies", {
        token: doctor!.accessToken,
        method: "PUT",
        body: {
          consortiumId: null,
          urgency: "EMERGENCY",
          acceptWithinS: 3,
          notifyCoordinatorAtS: 1,
          notifyAdminAtS: 2,
        },
      })
    ).status,
  ).toBe(403);
  expect(
    (
      await t.api("/api/sla-policies", {
        token: province!.accessToken,
        method: "PUT",
        body: {
          consortiumId: null,
          urgency: "EMERGENCY",
          acceptWithinS: 3,
          notifyCoordinatorAtS: 5,
          notifyAdminAtS: 2,
        },
      })
    ).status,
  ).toBe(400);

  const sCoord = await openSocket(t.baseUrl, coord!.accessToken);
  const sAdmin = await openSocket(t.baseUrl, admin!.accessToken);
  sockets.push(sCoord, sAdmin);
  const d = await t.api("/api/consultations", {
    token: doctor!.accessToken,
    body: draftBody({ urgency: "EMERGENCY", targetInstitutionId: coord!.user.institution.id }),
  });
  const level1 = nextEvent(
    sCoord,
    "consultation:sla-escalation",
    (e) => e.consultationId === d.body.id && e.level === 1,
    15_000,
  );
  const level2 = nextEvent(
    sAdmin,
    "consultation:sla-escalation",
    (e) => e.consultationId === d.body.id && e.level === 2,
    15_000,
  );
  const level3 = nextEvent(
    sCoord,
    "consultation:sla-escalation",
    (e) => e.consultationId === d.body.id && e.level === 3,
    15_000,
  );
  const sub = await t.api(`/api/consultations/${d.body.id}/submit`, { token: doctor!.accessToken, body: {} });
  expect(Date.parse(sub.body.slaDueAt) - Date.parse(sub.body.submittedAt)).toBe(3000);

  // No worker yet (as if it were restarting): the delayed jobs wait in Redis past their due time.
  await new Promise((r) => setTimeout(r, 1500));
  expect((await db.consultation.findUniqueOrThrow({ where: { id: d.body.id } })).slaLevel).toBe(0);
  const sink = new Emitter(redis, { key: `${process.env.REDIS_PREFIX}:socket.io` }) as unknown as EventSink;
  worker = await initConsultationSla(db, sink, redis, `${process.env.REDIS_PREFIX}:bull`);

  await level1;
  await level2;
  await level3;
  const row = await db.consultation.findUniqueOrThrow({ where: { id: d.body.id } });
  expect(row).toMatchObject({ overdue: true, slaLevel: 3, status: "SUBMITTED" });
  expect(await db.auditLog.count({ where: { entityId: d.body.id, action: "consultation.sla-escalation" } })).toBe(3);
}, 30_000);

it("does not escalate a request answered in time", async () => {
  const [doctor, coord, spec] = await Promise.all(
    ["doctor.hadashan", "coord.youtian", "spec.youtian.1"].map((u) => t.login(u)),
  );
  const d = await t.api("/api/consultations", {
    token: doctor!.accessToken,
    body: draftBody({
      urgency: "EMERGENCY",
      kind: "SINGLE_SPECIALIST",
      targetInstitutionId: coord!.user.institution.id,
    }),
  });
  await t.api(`/api/consultations/${d.body.id}/submit`, { token: doctor!.accessToken, body: {} });
  expect(
    (
      await t.api(`/api/consultations/${d.body.id}/accept`, {
        token: coord!.accessToken,
        body: { specialistIds: [spec!.user.id] },
      })
    ).status,
  ).toBe(200);
  await new Promise((r) => setTimeout(r, 3500));
  expect(await db.consultation.findUniqueOrThrow({ where: { id: d.body.id } })).toMatchObject({
    overdue: false,
    slaLevel: 0,
  });
}, 30_000);

it("reminds every participant before a booked time (starting soon)", async () => {
  const [doctor, coord, spec] = await Promise.all(
    ["doctor.hadashan", "coord.youtian", "spec.youtian.2"].map((u) => t.login(u)),
  );
  const sink = new Emitter(redis, { key: `${process.env.REDIS_PREFIX}:socket.io` }) as unknown as EventSink;
  reminders = await initConsultationReminders(db, sink, redis, `${process.env.REDIS_PREFIX}:bull`);
  const sDoctor = await openSocket(t.baseUrl, doctor!.accessToken);
  sockets.push(sDoctor);
  const d = await t.api("/api/consultations", {
    token: doctor!.accessToken,
    body: draftBody({ kind: "SINGLE_SPECIALIST", targetInstitutionId: coord!.user.institution.id }),
  });
  await t.api(`/api/consultations/${d.body.id}/submit`, { token: doctor!.accessToken, body: {} });
  await t.api(`/api/consultations/${d.body.id}/accept`, {
    token: coord!.accessToken,
    body: { specialistIds: [spec!.user.id] },
  });
  // A slot 10 minutes from now: the 24 h reminder is moot, the 15 min one is due at once.
  const start = new Date(Math.ceil((Date.now() + 10 * 60_000) / 60_000) * 60_000).toISOString();
  await t.api(`/api/specialists/${spec!.user.id}/availability/windows`, {
    token: spec!.accessToken,
    body: { kind: "OPEN", startsAt: start, endsAt: new Date(Date.parse(start) + 30 * 60_000).toISOString() },
  });
  const soon = nextEvent(sDoctor, "consultation:starting-soon", (e) => e.consultationId === d.body.id, 15_000);
  const booked = await t.api(`/api/consultations/${d.body.id}/booking`, {
    token: coord!.accessToken,
    body: { startsAt: start },
  });
  expect(booked.status).toBe(201);
  expect(await soon).toMatchObject({ status: "SCHEDULED", scheduledStart: start, reason: "15m" });
  // The expiry job is queued for the booked end + grace ...
  const job = await reminders.queue.getJob(`reminder-${booked.body.booking.id}-expire`);
  expect(job!.opts.delay).toBeGreaterThan(2 * 3600_000);
  // ... and when it runs on a consultation nobody started, it expires it and frees the time.
  const expired = nextEvent(sDoctor, "consultation:expired", (e) => e.consultationId === d.body.id);
  expect(
    await execReminderJob(db, sink, { consultationId: d.body.id, bookingId: booked.body.booking.id, kind: "expire" }),
  ).toEqual({ sent: true });
  await expired;
  expect(await db.consultation.findUniqueOrThrow({ where: { id: d.body.id } })).toMatchObject({ status: "EXPIRED" });
  expect(await db.specialistBusyTime.count({ where: { sourceId: booked.body.booking.id } })).toBe(0);
  expect(
    await execReminderJob(db, sink, { consultationId: d.body.id, bookingId: booked.body.booking.id, kind: "expire" }),
  ).toEqual({ sent: false });
}, 30_000);
