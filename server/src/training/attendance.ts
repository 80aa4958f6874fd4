// Attendance from raw join/leave events: pure functions, so the rules are unit-tested without a database.
//  - A JOIN and its LEAVE share a connection id; a JOIN without LEAVE is still open (or its process died).
//  - Intervals of several tabs/devices overlap: they are merged, never summed.
//  - A reconnect after a short drop (Wi-Fi, a VPN hiccup, a page reload) bridges the gap: one continuous
//    interval, so the person is neither counted twice nor penalised for the few seconds.
//  - Only time inside the session window counts; attended = present ≥ threshold × window.

export interface PresenceEventLike {
  kind: "JOIN" | "LEAVE";
  connectionId: string;
  at: Date;
}

export interface Interval {
  from: number;
  /** null = still open. */
  to: number | null;
}

export interface AttendanceOptions {
  /** Session window used for counting: actual start/end when known, else the scheduled ones. */
  windowStart: Date;
  windowEnd: Date;
  /** Open intervals are counted up to here (now while live, the end once ended). */
  now: Date;
  /** Gaps up to this long between leaving and rejoining are bridged. */
  reconnectGraceMs: number;
  /** Share of the window (0..1] a person must be present for. */
  threshold: number;
}

export interface AttendanceResult {
  /** Merged, unclipped intervals (what the person did), still-open one last with to = null. */
  intervals: Interval[];
  presentMs: number;
  minutes: number;
  attended: boolean;
  joins: number;
  firstJoinAt: Date | null;
  lastLeaveAt: Date | null;
}

/** Pairs JOINs with LEAVEs per connection. A LEAVE without JOIN is ignored; a repeated JOIN keeps the first. */
export function presenceIntervals(events: readonly PresenceEventLike[]): Interval[] {
  const sorted = [...events].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.kind === "JOIN" ? -1 : 1));
  const open = new Map<string, number>();
  const out: Interval[] = [];
  for (const e of sorted) {
    const t = e.at.getTime();
    if (e.kind === "JOIN") {
      if (!open.has(e.connectionId)) open.set(e.connectionId, t);
    } else {
      const from = open.get(e.connectionId);
      if (from === undefined) continue;
      open.delete(e.connectionId);
      out.push({ from, to: Math.max(from, t) });
    }
  }
  for (const from of open.values()) out.push({ from, to: null });
  return out;
}

/** Merges overlapping intervals and those separated by at most `gapMs`. Open intervals absorb what follows. */
export function mergeIntervals(intervals: readonly Interval[], gapMs: number): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.from - b.from);
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && (last.to === null || iv.from <= last.to + gapMs)) {
      last.to = last.to === null || iv.to === null ? null : Math.max(last.to, iv.to);
    } else {
      out.push({ ...iv });
    }
  }
  return out;
}

/** Total length of the (merged) intervals inside [start, end], open ones ending at `now`. */
export function presentWithin(intervals: readonly Interval[], start: number, end: number, now: number): number {
  let ms = 0;
  for (const iv of intervals) {
    const from = Math.max(iv.from, start);
    const to = Math.min(iv.to ?? now, end);
    if (to > from) ms += to - from;
  }
  return ms;
}

export function computeAttendance(events: readonly PresenceEventLike[], opts: AttendanceOptions): AttendanceResult {
  const joins = events.filter((e) => e.kind === "JOIN").length;
  const merged = mergeIntervals(presenceIntervals(events), opts.reconnectGraceMs);
  const start = opts.windowStart.getTime();
  const end = opts.windowEnd.getTime();
  const presentMs = presentWithin(merged, start, end, opts.now.getTime());
  const windowMs = Math.max(1, end - start);
  const lastClosed = merged.length && merged[merged.length - 1]!.to !== null ? merged[merged.length - 1]!.to : null;
  return {
    intervals: merged,
    presentMs,
    minutes: Math.floor(presentMs / 60_000),
    // A small epsilon keeps 80 % of a 60-minute lecture (exactly 48:00) on the right side of floating point.
    attended: presentMs + 1 >= opts.threshold * windowMs,
    joins,
    firstJoinAt: merged.length ? new Date(merged[0]!.from) : null,
    lastLeaveAt: lastClosed === null ? null : new Date(lastClosed),
  };
}

export const intervalsToJson = (intervals: readonly Interval[]) =>
  intervals.map((iv) => ({
    from: new Date(iv.from).toISOString(),
    to: iv.to === null ? null : new Date(iv.to).toISOString(),
  }));
