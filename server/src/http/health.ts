// Operational endpoints: liveness, readiness (PostgreSQL and Redis reachable), Prometheus metrics and the
// OpenAPI document. Public: they carry no patient data.
import { Router } from "express";
import type { Redis } from "ioredis";
import type { Db } from "../db";
import { metricsRegistry } from "./metrics";
import { openApiDocument } from "./openapi";

export function healthRoutes(deps: { db: Db; redis: Redis }): Router {
  const { db, redis } = deps;
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    const checks = await Promise.all([
      db.$queryRaw`SELECT 1`.then(
        () => "ok" as const,
        () => "unreachable" as const,
      ),
      redis.ping().then(
        () => "ok" as const,
        () => "unreachable" as const,
      ),
    ]);
    const body = { postgres: checks[0], redis: checks[1] };
    const ready = checks.every((c) => c === "ok");
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not-ready", ...body });
  });
  router.get("/metrics", async (_req, res) => {
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  router.get("/openapi.json", (_req, res) => {
    res.json(openApiDocument());
  });
  return router;
}
