// Monthly statistics (月度统计) for administrators, scoped to their region or institution.
import type { z } from "zod";
import type {
  MonthlyStatsQuery,
  MonthlyStatsView,
  RecomputeAccepted,
  StatBreakdownQuery,
  StatBreakdownView,
  StatRunList,
  StatScopeRef,
} from "@yilian/contract";
import type { DownloadedFile, RestCore } from "./core";

export const statisticsApi = ({ get, post, download }: RestCore) => ({
  statisticsMonthly: (q: Omit<MonthlyStatsQuery, "format">) =>
    get<MonthlyStatsView>("/api/statistics/monthly", { ...q, format: "json" }),
  statisticsBreakdown: (q: Omit<StatBreakdownQuery, "format">) =>
    get<StatBreakdownView>("/api/statistics/breakdown", { ...q, format: "json" }),
  /** Names of a drill-down path ("CITY:<id>,COUNTY:<id>"), for a breadcrumb. */
  statisticsPath: (path: string) => get<{ items: StatScopeRef[] }>("/api/statistics/scopes", { path }),
  statisticsExport: (
    kind: "monthly" | "breakdown",
    q: Omit<MonthlyStatsQuery, "format"> | Omit<StatBreakdownQuery, "format">,
    format: "csv" | "xlsx",
  ): Promise<DownloadedFile> => download(`/api/statistics/${kind}`, { ...q, format }),
  statisticsRuns: () => get<z.output<typeof StatRunList>>("/api/statistics/runs"),
  /** Province administrators: recompute one month now (queued, 202). */
  recomputeStatistics: (month: string) =>
    post<z.output<typeof RecomputeAccepted>>("/api/statistics/recompute", { month }),
  /** Province administrators: a one-time link (60 s) into the queue console. */
  queueConsoleTicket: () => post<{ url: string; expiresInS: number }>("/api/admin/queues/ticket", {}),
});
