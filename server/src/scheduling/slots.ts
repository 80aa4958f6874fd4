// Slot generation: a specialist's bookable times are their weekly rules and one-off OPEN windows, cut into
// slots, minus EXCEPTION windows, minus busy time (bookings, referral visits, training lectures), minus the past.
// Reserved referral slots (预留号源): within each specialist's day, an evenly spread share of slots (default
// 20 %) is flagged reserved; only referred patients may book those.
import { sqlOf, type Db } from "../db";
import { addDays, formatLocal, isoWeekday, localDate, localToUtc } from "../consultations/time";

export const DEFAULT_RESERVED_SHARE = 0.2;

export interface GeneratedSlot {
  specialistId: string;
  institutionId: string;
  startsAt: Date;
  endsAt: Date;
  reserved: boolean;
}

interface Rule {
  specialistId: string;
  institutionId: string;
  weekday: number;
  startMinute: number;
  endMinute: number;
  slotMinutes: number;
  validFrom: Date;
  validUntil: Date | null;
}
interface Window {
  specialistId: string;
  institutionId: string;
  kind: "OPEN" | "EXCEPTION";
  startsAt: Date;
  endsAt: Date;
  slotMinutes: number | null;
}
interface Busy {
  specialistId: string;
  startsAt: Date;
  endsAt: Date;
}

/** Slot index i of a day is reserved when the running reserved count steps up: spreads `share` evenly. */
export function isReservedIndex(i: number, share: number): boolean {
  return Math.floor((i + 1) * share + 1e-9) > Math.floor(i * share + 1e-9);
}

const overlaps = (a: { startsAt: Date; endsAt: Date }, s: Date, e: Date) => a.startsAt < e && a.endsAt > s;

/** Pure: every slot of the given specialists in [from, to), flagged reserved, before removing busy times. */
export function generateSlots(
  input: { rules: Rule[]; windows: Window[]; busy: Busy[]; shareOf: (institutionId: string) => number },
  from: Date,
  to: Date,
  now: Date = new Date(),
): GeneratedSlot[] {
  const bySpecialist = new Map<string, { rules: Rule[]; windows: Window[]; busy: Busy[] }>();
  const get = (id: string) => {
    let v = bySpecialist.get(id);
    if (!v) bySpecialist.set(id, (v = { rules: [], windows: [], busy: [] }));
    return v;
  };
  input.rules.forEach((r) => get(r.specialistId).rules.push(r));
  input.windows.forEach((w) => get(w.specialistId).windows.push(w));
  input.busy.forEach((b) => get(b.specialistId).busy.push(b));

  const out: GeneratedSlot[] = [];
  const firstDay = localDate(from);
  const lastDay = localDate(to);
  for (const [specialistId, s] of bySpecialist) {
    for (let day = firstDay; day <= lastDay; day = addDays(day, 1)) {
      const dayStart = localToUtc(day, 0);
      const dayEnd = localToUtc(day, 1440);
      const wd = isoWeekday(day);
      const cands = new Map<number, GeneratedSlot>();
      for (const r of s.rules) {
        if (r.weekday !== wd) continue;
        const dayDate = new Date(`${day}T00:00:00Z`);
        if (r.validFrom > dayDate || (r.validUntil && r.validUntil < dayDate)) continue;
        for (let m = r.startMinute; m + r.slotMinutes <= r.endMinute; m += r.slotMinutes) {
          const st = localToUtc(day, m);
          cands.set(st.getTime(), {
            specialistId,
            institutionId: r.institutionId,
            startsAt: st,
            endsAt: localToUtc(day, m + r.slotMinutes),
            reserved: false,
          });
        }
      }
      for (const w of s.windows) {
        if (w.kind !== "OPEN" || !overlaps(w, dayStart, dayEnd)) continue;
        // Slots step from the window's own start (a window may span local midnight); a slot belongs to the
        // day it starts on and may end after midnight.
        const len = (w.slotMinutes ?? 30) * 60_000;
        const skip = Math.max(0, Math.ceil((dayStart.getTime() - w.startsAt.getTime()) / len));
        for (
          let t = w.startsAt.getTime() + skip * len;
          t < dayEnd.getTime() && t + len <= w.endsAt.getTime();
          t += len
        ) {
          cands.set(t, {
            specialistId,
            institutionId: w.institutionId,
            startsAt: new Date(t),
            endsAt: new Date(t + len),
            reserved: false,
          });
        }
      }
      const daySlots = [...cands.values()].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
      daySlots.forEach((slot, i) => {
        slot.reserved = isReservedIndex(i, input.shareOf(slot.institutionId));
        if (slot.startsAt < from || slot.startsAt >= to || slot.startsAt < now) return;
        if (s.windows.some((w) => w.kind === "EXCEPTION" && overlaps(w, slot.startsAt, slot.endsAt))) return;
        if (s.busy.some((b) => overlaps(b, slot.startsAt, slot.endsAt))) return;
        out.push(slot);
      });
    }
  }
  return out.sort(
    (a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.specialistId.localeCompare(b.specialistId),
  );
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const toDate = (v: string | null) => (v === null ? null : new Date(v));

/**
 * Loads availability, exceptions, busy times and reserved shares of the specialists in one plain-SQL round trip
 * (booking checks a slot on every attempt), then generates slots.
 */
export async function loadSlots(
  db: Db,
  specialistIds: string[],
  from: Date,
  to: Date,
  opts: { ignoreBusySourceId?: string } = {},
): Promise<GeneratedSlot[]> {
  if (!specialistIds.length) return [];
  // Rules are day-granular (validFrom/validUntil are dates at 00:00 UTC): widen by a day on both sides, or between
  // 00:00 and 08:00 Asia/Shanghai a one-minute booking check would miss a rule valid from that local day.
  const { rows } = await sqlOf(db).query<{
    rules: RuleRow[];
    windows: WindowRow[];
    busy: BusyRow[];
    policies: PolicyRow[];
  }>(
    `WITH rules AS (
       SELECT "specialistId", "institutionId", weekday, "startMinute", "endMinute", "slotMinutes", "validFrom", "validUntil"
         FROM "AvailabilityRule"
        WHERE "specialistId" = ANY($1::uuid[]) AND "validFrom" <= $4::date AND ("validUntil" IS NULL OR "validUntil" >= $5::date)),
     windows AS (
       SELECT "specialistId", "institutionId", kind, "startsAt", "endsAt", "slotMinutes"
         FROM "AvailabilityWindow" WHERE "specialistId" = ANY($1::uuid[]) AND "startsAt" < $3 AND "endsAt" > $2)
     SELECT
       (SELECT coalesce(json_agg(rules), '[]') FROM rules) AS rules,
       (SELECT coalesce(json_agg(windows), '[]') FROM windows) AS windows,
       (SELECT coalesce(json_agg(b), '[]') FROM (
          SELECT "specialistId", "startsAt", "endsAt" FROM "SpecialistBusyTime"
           WHERE "specialistId" = ANY($1::uuid[]) AND "startsAt" < $3 AND "endsAt" > $2
             AND ($6::uuid IS NULL OR "sourceId" <> $6::uuid)) b) AS busy,
       (SELECT coalesce(json_agg(p), '[]') FROM (
          SELECT "institutionId", "reservedReferralShare" FROM "SchedulingPolicy"
           WHERE "institutionId" IN (SELECT "institutionId" FROM rules UNION SELECT "institutionId" FROM windows)) p) AS policies`,
    [
      specialistIds,
      from,
      to,
      day(to.getTime() + 86_400_000),
      day(from.getTime() - 86_400_000),
      opts.ignoreBusySourceId ?? null,
    ],
  );
  const { rules, windows, busy, policies } = rows[0]!;
  const share = new Map(policies.map((p) => [p.institutionId, p.reservedReferralShare]));
  return generateSlots(
    {
      rules: rules.map((r) => ({ ...r, validFrom: new Date(r.validFrom), validUntil: toDate(r.validUntil) })),
      windows: windows.map((w) => ({ ...w, startsAt: new Date(w.startsAt), endsAt: new Date(w.endsAt) })),
      busy: busy.map((b) => ({ ...b, startsAt: new Date(b.startsAt), endsAt: new Date(b.endsAt) })),
      shareOf: (id) => share.get(id) ?? DEFAULT_RESERVED_SHARE,
    },
    from,
    to,
  );
}

/** JSON rows of loadSlots: timestamps and dates arrive as strings. */
type RuleRow = Omit<Rule, "validFrom" | "validUntil"> & { validFrom: string; validUntil: string | null };
type WindowRow = Omit<Window, "startsAt" | "endsAt"> & { startsAt: string; endsAt: string };
type BusyRow = { specialistId: string; startsAt: string; endsAt: string };
type PolicyRow = { institutionId: string; reservedReferralShare: number };

export const slotView = (s: GeneratedSlot, names: Map<string, string>) => ({
  specialistId: s.specialistId,
  specialistName: names.get(s.specialistId) ?? "",
  institutionId: s.institutionId,
  startsAt: s.startsAt.toISOString(),
  endsAt: s.endsAt.toISOString(),
  local: formatLocal(s.startsAt),
  reserved: s.reserved,
});
