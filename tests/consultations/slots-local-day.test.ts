// Regression of 008b106: availability rules are dated by local day (validFrom/validUntil are DATEs at 00:00 UTC),
// while a booking between 00:00 and 08:00 Asia/Shanghai is still the previous day in UTC. loadSlots must load a
// rule valid from local day D for a booking at D 01:30 (= D−1 17:30 UTC), as book.ts checks it (one minute).
// Needs the database: the bug was in the rules query, not in the pure slot generation.
import { loadSlots } from "../../server/src/scheduling/slots";
import { testDb, closeTestDb } from "../helpers/db";

const db = testDb();
// Tuesday 2030-03-05 (ISO weekday 2); the rule opens 01:00–03:00 local time in 30-minute slots.
const D = "2030-03-05";
const bookingAt = new Date("2030-03-04T17:30:00Z"); // D 01:30 Asia/Shanghai
const oneMinuteLater = new Date(bookingAt.getTime() + 60_000);
const ruleIds: string[] = [];
let specialistId: string;
let institutionId: string;

beforeAll(async () => {
  const spec = await db.user.findUniqueOrThrow({
    where: { username: "spec.jdyy.1" },
    select: { id: true, institutionId: true },
  });
  specialistId = spec.id;
  institutionId = spec.institutionId;
});
afterAll(async () => {
  await db.availabilityRule.deleteMany({ where: { id: { in: ruleIds } } });
  await closeTestDb();
});

async function rule(validFrom: string, validUntil: string | null = null): Promise<void> {
  const r = await db.availabilityRule.create({
    data: {
      specialistId,
      institutionId,
      weekday: 2,
      startMinute: 60,
      endMinute: 180,
      slotMinutes: 30,
      validFrom: new Date(validFrom),
      validUntil: validUntil ? new Date(validUntil) : null,
      label: "slots-local-day test",
    },
  });
  ruleIds.push(r.id);
}

const at0130 = async () =>
  (await loadSlots(db, [specialistId], bookingAt, oneMinuteLater)).filter(
    (s) => s.startsAt.getTime() === bookingAt.getTime(),
  );

test("a rule valid from local day D is found for a booking at D 01:30 Asia/Shanghai (D−1 17:30 UTC)", async () => {
  // A rule starting a week later (same weekday) must not give the slot: this is the control.
  await rule("2030-03-12");
  expect(await at0130()).toHaveLength(0);
  await rule(D);
  const slots = await at0130();
  expect(slots).toHaveLength(1);
  expect(slots[0]).toMatchObject({ specialistId, institutionId, endsAt: new Date("2030-03-04T18:00:00Z") });
});

test("a rule that ended the local day before D gives no slot at D 01:30", async () => {
  await db.availabilityRule.deleteMany({ where: { id: { in: ruleIds } } });
  await rule("2030-01-01", "2030-03-04");
  expect(await at0130()).toHaveLength(0);
  await rule("2030-01-01", D);
  expect(await at0130()).toHaveLength(1);
});
