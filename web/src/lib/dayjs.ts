// dayjs in Asia/Shanghai: times travel as UTC ISO strings and are always shown in China Standard Time.
import dayjs from "dayjs";
import utc from "dayjs/plugin/utc";
import timezone from "dayjs/plugin/timezone";
import relativeTime from "dayjs/plugin/relativeTime";
import "dayjs/locale/zh-cn";

dayjs.extend(utc);
dayjs.extend(timezone);
dayjs.extend(relativeTime);
dayjs.locale("zh-cn");
dayjs.tz.setDefault("Asia/Shanghai");

export const TZ = "Asia/Shanghai";
export const local = (iso: string | Date | null | undefined) => (iso ? dayjs(iso).tz(TZ) : null);
/** "2026-11-23 14:05" in Asia/Shanghai, or "—". */
export const fmt = (iso: string | Date | null | undefined, pattern = "YYYY-MM-DD HH:mm") =>
  local(iso)?.format(pattern) ?? "—";
export const fromNow = (iso: string | null | undefined) => (iso ? dayjs(iso).fromNow() : "—");
/** "剩余 1小时05分" / "超时 12分" for SLA countdowns. */
export function countdown(
  dueIso: string | null | undefined,
  now = Date.now(),
): { text: string; overdue: boolean; ms: number } | null {
  if (!dueIso) return null;
  const ms = Date.parse(dueIso) - now;
  const abs = Math.abs(ms);
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = Math.floor((abs % 60_000) / 1000);
  const body = h > 0 ? `${h}小时${String(m).padStart(2, "0")}分` : `${m}分${String(s).padStart(2, "0")}秒`;
  return { text: ms >= 0 ? `剩余 ${body}` : `超时 ${body}`, overdue: ms < 0, ms };
}
export { dayjs };
