// Statistics endpoints: monthly rollups for an administrator's scope (JSON, CSV, XLSX), a ranking of one level inside a
// drill-down focus, the names of a drill-down path, and on-demand recomputation of a month (province administrators).
import { Router, type RequestHandler, type Response } from "express";
import { z } from "zod";
import {
  AppError,
  ErrorCode,
  MonthlyStatsQuery,
  MonthlyStatsView,
  RecomputeAccepted,
  RecomputeStatsBody,
  StatBreakdownQuery,
  StatBreakdownView,
  StatPathQuery,
  StatRunList,
  SHANGHAI_OFFSET_MS,
  StatScopeRefList,
} from "@yilian/contract";
import type { Db } from "../db";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import { requireRole } from "../authz/policy";
import { audit } from "../audit/audit";
import { statisticsJobOptions } from "@yilian/jobs";
import type { AppQueues } from "../jobs/queues";
import * as stats from "./statistics";
import { toCsv, toXlsx } from "./export";

async function send<T extends { rows: stats.StatRow[] }>(
  db: Db,
  res: Response,
  format: "json" | "csv" | "xlsx",
  body: T,
  fileBase: string,
): Promise<T | undefined> {
  if (format === "json") return body;
  const table = await stats.labelRows(db, body.rows);
  const name = encodeURIComponent(`${fileBase}.${format}`);
  res.setHeader("content-disposition", `attachment; filename*=UTF-8''${name}`);
  res.setHeader("cache-control", "private, no-store");
  if (format === "csv") {
    res.type("text/csv; charset=utf-8").send(toCsv(table));
  } else {
    res.type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").send(await toXlsx(table));
  }
  return undefined;
}

const SPREADSHEETS = ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"];

export function statisticsRoutes(deps: { db: Db; queues: AppQueues; requireAuth: RequestHandler }): Router {
  const router = Router();
  const route = routeGroup(router, { prefix: "/api/statistics", tag: "statistics", auth: deps.requireAuth });
  const { db } = deps;

  route(
    {
      method: "get",
      path: "/monthly",
      summary:
        "Monthly rollups of one scope (default: the caller's own region or institution), optionally one specialty's share; format=json|csv|xlsx",
      schemas: { query: MonthlyStatsQuery },
      response: MonthlyStatsView,
      produces: SPREADSHEETS,
    },
    async ({ query }, _req, res) => {
      const answer = await stats.monthly(db, currentUser(res), query);
      if (query.format === "json") return answer;
      const body = answer.parse();
      return send(
        db,
        res,
        query.format,
        body,
        `月度统计_${body.scopeName}${body.specialtyName ? `_${body.specialtyName}` : ""}_${query.from}_${query.to}`,
      );
    },
  );
  route(
    {
      method: "get",
      path: "/breakdown",
      summary:
        "One metric of one month for every institution / county / city / tier / consortium / specialty inside a focus (withinScope, withinId; default the caller's own scope), optionally one specialty's share",
      schemas: { query: StatBreakdownQuery },
      response: StatBreakdownView,
      produces: SPREADSHEETS,
    },
    async ({ query }, _req, res) => {
      const body = await stats.breakdown(db, currentUser(res), query);
      return send(db, res, query.format, body, `月度统计明细_${body.within.name}_${query.month}_${query.metric}`);
    },
  );
  route(
    {
      method: "get",
      path: "/scopes",
      summary: "Names of a drill-down path (SCOPE:id,...), each segment authorised",
      schemas: { query: StatPathQuery },
      response: StatScopeRefList,
    },
    async ({ query }, _req, res) => stats.pathNames(db, currentUser(res), query),
  );
  route(
    {
      method: "get",
      path: "/runs",
      summary: "Computed months and when",
      schemas: { query: z.object({}) },
      response: StatRunList,
    },
    async (_v, _req, res) => {
      stats.defaultScope(currentUser(res));
      const runs = await db.monthlyStatRun.findMany({ orderBy: { month: "desc" }, take: 240 });
      return {
        items: runs.map((r) => ({
          month: r.month.toISOString().slice(0, 7),
          computedAt: r.computedAt.toISOString(),
          durationMs: r.durationMs,
          rows: r.rows,
        })),
      };
    },
  );
  route(
    {
      method: "post",
      path: "/recompute",
      summary: "Recompute one month now (province administrators); idempotent",
      schemas: { body: RecomputeStatsBody },
      response: RecomputeAccepted,
      status: 202,
    },
    async ({ body }, _req, res) => {
      const user = currentUser(res);
      requireRole(user, "PROVINCE_ADMIN");
      const [y, m] = body.month.split("-").map(Number) as [number, number];
      const local = new Date(Date.now() + SHANGHAI_OFFSET_MS);
      if (y * 12 + m > local.getUTCFullYear() * 12 + local.getUTCMonth() + 1)
        throw new AppError(ErrorCode.VALIDATION_FAILED, "不能统计未来的月份");
      const opts = statisticsJobOptions(body.month);
      await deps.queues.statistics.add("recompute", { month: body.month }, opts);
      await audit(db, {
        action: "statistics.recompute",
        entityType: "MonthlyStat",
        entityId: body.month,
        outcome: "SUCCESS",
      });
      res.status(202).json({ month: body.month, jobId: opts.jobId });
    },
  );
  return router;
}
