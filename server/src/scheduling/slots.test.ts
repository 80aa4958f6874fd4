import { generateSlots, isReservedIndex } from "./slots";

const spec = "00000000-0000-4000-8000-000000000001";
const inst = "00000000-0000-4000-8000-000000000002";
// Saturday 2030-01-05, weekend expert day 08:00–12:00 Asia/Shanghai in 30-minute slots.
const rule = {
  specialistId: spec,
  institutionId: inst,
  weekday: 6,
  startMinute: 480,
  endMinute: 720,
  slotMinutes: 30,
  validFrom: new Date("2030-01-01"),
  validUntil: null,
};
const from = new Date("2030-01-04T16:00:00Z");
const to = new Date("2030-01-05T16:00:00Z");
const past = new Date("2029-01-01T00:00:00Z");

it("spreads 20 % reserved slots evenly", () => {
  const flags = Array.from({ length: 10 }, (_, i) => isReservedIndex(i, 0.2));
  expect(flags.filter(Boolean)).toHaveLength(2);
  expect(flags[4]).toBe(true);
  expect(flags[9]).toBe(true);
});

it("cuts weekly rules into slots in Shanghai time, removing exceptions and busy time", () => {
  const slots = generateSlots({ rules: [rule], windows: [], busy: [], shareOf: () => 0.2 }, from, to, past);
  expect(slots).toHaveLength(8);
  expect(slots[0]!.startsAt.toISOString()).toBe("2030-01-05T00:00:00.000Z"); // 08:00 +08:00
  expect(slots.filter((s) => s.reserved)).toHaveLength(1);
  const busy = [
    { specialistId: spec, startsAt: new Date("2030-01-05T00:00:00Z"), endsAt: new Date("2030-01-05T00:30:00Z") },
  ];
  const exception = {
    specialistId: spec,
    institutionId: inst,
    kind: "EXCEPTION" as const,
    startsAt: new Date("2030-01-05T03:00:00Z"),
    endsAt: new Date("2030-01-05T04:00:00Z"),
    slotMinutes: null,
  };
  const left = generateSlots({ rules: [rule], windows: [exception], busy, shareOf: () => 0.2 }, from, to, past);
  expect(left).toHaveLength(5); // 8 − 1 busy − 2 in the exception
  // Reserved flags do not move when other slots are taken.
  expect(left.filter((s) => s.reserved).map((s) => s.startsAt.toISOString())).toEqual(
    slots.filter((s) => s.reserved).map((s) => s.startsAt.toISOString()),
  );
});

it("never offers a slot in the past", () => {
  expect(
    generateSlots(
      { rules: [rule], windows: [], busy: [], shareOf: () => 0 },
      from,
      to,
      new Date("2030-01-05T02:00:00Z"),
    ),
  ).toHaveLength(4);
});

it("cuts a one-off window that spans local midnight from its own start", () => {
  // 23:40–01:10 Asia/Shanghai in 30-minute slots: 23:40, 00:10, 00:40 (the first ends after midnight).
  const w = {
    specialistId: spec,
    institutionId: inst,
    kind: "OPEN" as const,
    startsAt: new Date("2030-01-05T15:40:00Z"),
    endsAt: new Date("2030-01-05T17:10:00Z"),
    slotMinutes: 30,
  };
  const slots = generateSlots(
    { rules: [], windows: [w], busy: [], shareOf: () => 0 },
    new Date("2030-01-05T12:00:00Z"),
    new Date("2030-01-06T12:00:00Z"),
    past,
  );
  expect(slots.map((s) => s.startsAt.toISOString())).toEqual([
    "2030-01-05T15:40:00.000Z",
    "2030-01-05T16:10:00.000Z",
    "2030-01-05T16:40:00.000Z",
  ]);
});
