// Small helpers of the training domain: PostgreSQL error detection and Asia/Shanghai display.
const SHANGHAI_OFFSET_MS = 8 * 3600_000; // no daylight saving time in China since 1991

/** True when an error (however wrapped by Prisma / the pg adapter) is an exclusion-constraint violation. */
export function isExclusionViolation(e: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (x: unknown): boolean => {
    if (!x || typeof x !== "object" || seen.has(x)) return false;
    seen.add(x);
    const o = x as Record<string, unknown>;
    if (o.code === "23P01" || o.originalCode === "23P01") return true;
    if (typeof o.message === "string" && /exclusion constraint|23P01/.test(o.message)) return true;
    return visit(o.cause) || visit(o.meta) || visit(o.driverAdapterError);
  };
  return visit(e);
}

/** 20261123: the local calendar date of an instant, for human-readable numbers. */
export function localDateCompact(d: Date): string {
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10).replace(/-/g, "");
}

/** 2026-11-23 14:00 (Asia/Shanghai), for reports. */
export function formatLocal(d: Date | null | undefined): string {
  if (!d) return "";
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 16).replace("T", " ");
}

/** First instant of a local month (YYYY-MM) and of the next one, in UTC. */
export function localMonthRange(month: string): { from: Date; to: Date } {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const from = new Date(Date.UTC(y, m - 1, 1) - SHANGHAI_OFFSET_MS);
  const to = new Date(Date.UTC(m === 12 ? y + 1 : y, m === 12 ? 0 : m, 1) - SHANGHAI_OFFSET_MS);
  return { from, to };
}
