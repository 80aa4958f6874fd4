import { spawn } from "node:child_process";
import { startTestServer, type TestServer } from "../helpers/server";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.stop());

it("reports liveness, readiness of PostgreSQL and Redis, and Prometheus metrics", async () => {
  expect((await t.api("/healthz")).body).toEqual({ status: "ok" });
  expect((await t.api("/readyz")).body).toMatchObject({ status: "ready", postgres: "ok", redis: "ok" });
  const metrics = await fetch(t.baseUrl + "/metrics").then((r) => r.text());
  expect(metrics).toContain("yilian_http_request_duration_seconds");
  expect(metrics).toContain("yilian_process_cpu_user_seconds_total");
});

it("serves an OpenAPI document generated from the zod schemas", async () => {
  const doc = (await t.api("/openapi.json")).body;
  expect(doc.openapi).toBe("3.1.0");
  expect(doc.paths["/api/auth/login"].post.requestBody.content["application/json"].schema.required).toEqual([
    "username",
    "password",
  ]);
  expect(doc.paths["/api/institutions"].get.parameters.map((p: { name: string }) => p.name)).toEqual(
    expect.arrayContaining(["q", "tier", "cityId"]),
  );
});

it("sends a request id and security headers", async () => {
  const r = await fetch(t.baseUrl + "/healthz");
  expect(r.headers.get("x-request-id")).toBeTruthy();
  expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  expect(r.headers.get("x-powered-by")).toBeNull();
});

function runServer(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "server/src/main.ts"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

it("exits with one clear line when PostgreSQL is unreachable", async () => {
  const r = await runServer({ DATABASE_URL: "postgresql://postgres@127.0.0.1:1/yilian" });
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^server: cannot start: PostgreSQL is unreachable at postgresql:\/\/postgres@127\.0\.0\.1:1\/yilian .*start it with: pg_ctlcluster/,
  );
  expect(r.stderr).not.toMatch(/\n\s+at /);
}, 30000);

it("exits with one clear line when Redis is unreachable", async () => {
  const r = await runServer({ REDIS_URL: "redis://127.0.0.1:1" });
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split("\n")).toEqual([
    expect.stringMatching(
      /^server: cannot start: Redis is unreachable at redis:\/\/127\.0\.0\.1:1.*start it with: redis-server/,
    ),
  ]);
}, 30000);
