import { computeAttendance, mergeIntervals, presenceIntervals, type PresenceEventLike } from "./attendance";

const T0 = Date.parse("2026-03-10T06:00:00Z"); // 14:00 Asia/Shanghai
const at = (min: number, sec = 0) => new Date(T0 + min * 60_000 + sec * 1000);
const join = (c: string, min: number, sec = 0): PresenceEventLike => ({
  kind: "JOIN",
  connectionId: c,
  at: at(min, sec),
});
const leave = (c: string, min: number, sec = 0): PresenceEventLike => ({
  kind: "LEAVE",
  connectionId: c,
  at: at(min, sec),
});

const opts = { windowStart: at(0), windowEnd: at(60), now: at(60), reconnectGraceMs: 60_000, threshold: 0.8 };

it("pairs joins and leaves per connection, leaving unmatched joins open", () => {
  expect(presenceIntervals([join("a", 0), join("b", 5), leave("a", 10), leave("x", 11)])).toEqual([
    { from: at(0).getTime(), to: at(10).getTime() },
    { from: at(5).getTime(), to: null },
  ]);
});

it("a viewer who drops for 10 s is one continuous interval, not two attendances", () => {
  const r = computeAttendance([join("a", 0), leave("a", 30), join("b", 30, 10), leave("b", 60)], opts);
  expect(r.intervals).toHaveLength(1);
  expect(r.minutes).toBe(60);
  expect(r.joins).toBe(2);
  expect(r.attended).toBe(true);
});

it("overlapping intervals (two tabs) are merged, not summed", () => {
  const r = computeAttendance([join("tab1", 0), join("tab2", 10), leave("tab2", 40), leave("tab1", 50)], opts);
  expect(r.intervals).toHaveLength(1);
  expect(r.minutes).toBe(50);
});

it("long gaps stay separate and are not counted", () => {
  const r = computeAttendance([join("a", 0), leave("a", 20), join("b", 40), leave("b", 60)], opts);
  expect(r.intervals).toHaveLength(2);
  expect(r.minutes).toBe(40);
  expect(r.attended).toBe(false);
});

it("counts only time inside the session window", () => {
  const r = computeAttendance([join("a", -15), leave("a", 75)], opts);
  expect(r.minutes).toBe(60);
  expect(r.firstJoinAt).toEqual(at(-15));
  expect(r.lastLeaveAt).toEqual(at(75));
});

it("applies the threshold at the boundary: exactly 80 % attends, just under does not", () => {
  expect(computeAttendance([join("a", 12), leave("a", 60)], opts).attended).toBe(true);
  expect(computeAttendance([join("a", 12, 1), leave("a", 60)], opts).attended).toBe(false);
  expect(computeAttendance([join("a", 12, 1), leave("a", 60)], { ...opts, threshold: 0.5 }).attended).toBe(true);
});

it("an open interval counts up to now while live", () => {
  const r = computeAttendance([join("a", 0)], { ...opts, now: at(30) });
  expect(r.minutes).toBe(30);
  expect(r.lastLeaveAt).toBeNull();
  expect(r.intervals).toEqual([{ from: at(0).getTime(), to: null }]);
});

it("an open interval absorbs later ones when merging", () => {
  expect(
    mergeIntervals(
      [
        { from: 0, to: null },
        { from: 10, to: 20 },
      ],
      0,
    ),
  ).toEqual([{ from: 0, to: null }]);
});

it("events out of order and a leave without join are tolerated", () => {
  const r = computeAttendance([leave("a", 30), leave("zzz", 1), join("a", 0)], opts);
  expect(r.minutes).toBe(30);
});
