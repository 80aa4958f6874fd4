// Small helpers of the training domain: Asia/Shanghai dates for numbers, reports and monthly ranges.
import { SHANGHAI_OFFSET_MS } from "@yilian/contract";

export { formatLocal } from "../consultations/time";

/** 20261123: the local calendar date of an instant, for human-readable numbers. */
export function localDateCompact(d: Date): string {
  return new Date(d.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10).replace(/-/g, "");
}

/** First instant of a local month (YYYY-MM) and of the next one, in UTC. */
export function localMonthRange(month: string): { from: Date; to: Date } {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const from = new Date(Date.UTC(y, m - 1, 1) - SHANGHAI_OFFSET_MS);
  const to = new Date(Date.UTC(m === 12 ? y + 1 : y, m === 12 ? 0 : m, 1) - SHANGHAI_OFFSET_MS);
  return { from, to };
}
