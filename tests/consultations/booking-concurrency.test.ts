// A specialist can never be double-booked: 200 concurrent bookings of one time → exactly one wins, the rest
// get 409; PostgreSQL's exclusion constraint also keeps a training lecture and a consultation apart.
import { randomUUID } from "node:crypto";
import { createDb } from "@yilian/server";
import { startTestServer, type TestServer } from "../helpers/server";
import { plusMinutes, shanghaiAt } from "./helpers";

let t: TestServer;
const db = createDb(process.env.DATABASE_URL!, { poolSize: 4 });
type Pair = Awaited<ReturnType<TestServer["login"]>>;
let coord: Pair, spec: Pair, doctor: Pair;

beforeAll(async () => {
  t = await startTestServer();
  [coord, spec, doctor] = (await Promise.all(
    ["coord.jdyy", "spec.jdyy.1", "doctor.hadashan"].map((u) => t.login(u)),
  )) as [Pair, Pair, Pair];
});
afterAll(async () => {
  await t.stop();
  await db.$disconnect();
});

// A new day for every attempt: CI retries a test once, and a retry must not meet the first attempt's bookings.
let day = 45;

async function acceptedConsultations(n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  await db.consultation.createMany({
    data: ids.map((id, i) => ({
      id,
      number: `TEST-BK-${Date.now()}-${i}`,
      status: "ACCEPTED" as const,
      urgency: "ROUTINE" as const,
      requestingInstitutionId: doctor.user.institution.id,
      requestingDoctorId: doctor.user.id,
      patientName: `患者${i}`,
      patientSex: "MALE" as const,
      patientBirthDate: new Date("1970-01-01"),
      specialtyCode: "CARDIOLOGY",
      targetInstitutionId: coord.user.institution.id,
      acceptedAt: new Date(),
    })),
  });
  await db.consultationParticipant.createMany({
    data: ids.flatMap((id) => [
      { consultationId: id, userId: doctor.user.id, role: "REQUESTER" as const },
      { consultationId: id, userId: spec.user.id, role: "SPECIALIST" as const },
    ]),
  });
  return ids;
}

it("200 concurrent bookings of the same specialist time: exactly one succeeds, the rest get 409", async () => {
  const start = shanghaiAt(day++, 10);
  expect(
    (
      await t.api(`/api/specialists/${spec.user.id}/availability/windows`, {
        token: spec.accessToken,
        body: { kind: "OPEN", startsAt: start, endsAt: plusMinutes(start, 60), slotMinutes: 30 },
      })
    ).status,
  ).toBe(201);
  const ids = await acceptedConsultations(200);
  const results = await Promise.all(
    ids.map((id) => t.api(`/api/consultations/${id}/booking`, { token: coord.accessToken, body: { startsAt: start } })),
  );
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(199);
  expect(results.filter((r) => r.status === 409).every((r) => r.body.code === "CONFLICT")).toBe(true);
  expect(await db.specialistBusyTime.count({ where: { specialistId: spec.user.id, startsAt: new Date(start) } })).toBe(
    1,
  );
  expect(await db.booking.count({ where: { consultationId: { in: ids } } })).toBe(1);
  expect(await db.consultation.count({ where: { id: { in: ids }, status: "SCHEDULED" } })).toBe(1);
});

it("keeps a training lecture and a consultation apart in PostgreSQL itself", async () => {
  const start = shanghaiAt(day++, 15);
  // A lecture (the training module writes the same table with source TRAINING) ...
  await db.specialistBusyTime.create({
    data: {
      specialistId: spec.user.id,
      startsAt: new Date(start),
      endsAt: new Date(plusMinutes(start, 90)),
      source: "TRAINING",
      sourceId: randomUUID(),
    },
  });
  // ... so a direct overlapping insert fails in the database, whatever the application checked.
  await expect(
    db.specialistBusyTime.create({
      data: {
        specialistId: spec.user.id,
        startsAt: new Date(plusMinutes(start, 60)),
        endsAt: new Date(plusMinutes(start, 120)),
        source: "CONSULTATION",
        sourceId: randomUUID(),
      },
    }),
  ).rejects.toThrow();
  // Back-to-back is fine.
  await db.specialistBusyTime.create({
    data: {
      specialistId: spec.user.id,
      startsAt: new Date(plusMinutes(start, 90)),
      endsAt: new Date(plusMinutes(start, 120)),
      source: "CONSULTATION",
      sourceId: randomUUID(),
    },
  });
  // And through the API the lecture's time is not offered and cannot be booked.
  await t.api(`/api/specialists/${spec.user.id}/availability/windows`, {
    token: spec.accessToken,
    body: { kind: "OPEN", startsAt: start, endsAt: plusMinutes(start, 60), slotMinutes: 30 },
  });
  const [id] = await acceptedConsultations(1);
  const r = await t.api(`/api/consultations/${id}/booking`, { token: coord.accessToken, body: { startsAt: start } });
  expect(r.status).toBe(409);
  const slots = await t.api(
    `/api/slots?specialtyCode=CARDIOLOGY&specialistId=${spec.user.id}&from=${encodeURIComponent(start)}&days=1&includeReserved=true`,
    { token: doctor.accessToken },
  );
  expect(slots.body.items.filter((s: { startsAt: string }) => s.startsAt < plusMinutes(start, 90))).toEqual([]);
});
