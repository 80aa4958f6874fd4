// Shared benchmark plumbing: the output contract, percentiles, a throwaway seeded database, child processes.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Redis } from "ioredis";
import { TokenService } from "../server/src/auth/tokens";
import { SessionRegistry } from "../server/src/auth/sessions";

export function emit(bench: string, metric: string, value: number, unit: string): void {
  process.stdout.write(
    JSON.stringify({ bench, metric, value: Number.isFinite(value) ? Number(value.toFixed(3)) : value, unit }) + "\n",
  );
}

export function log(...args: unknown[]): void {
  console.error("[bench]", ...args);
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The median of unsorted values. */
export const median = (values: number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

const ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

function prismaCli(url: string, args: string[]): void {
  const r = spawnSync("npx", args, {
    env: { ...process.env, DATABASE_URL: url },
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed`);
}

/** Creates a fresh database, applies the migrations through the Prisma CLI and seeds the demo province. */
export async function createBenchDatabase(name: string, opts: { seed?: boolean } = {}): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = migrateBenchDatabase(name);
  if (opts.seed !== false) prismaCli(url, ["tsx", "prisma/seed/main.ts", "--network-only"]);
  return url;
}

/** Applies pending migrations to an existing bench database (one kept for reuse); returns its URL. */
export function migrateBenchDatabase(name: string): string {
  const url = `postgresql://postgres@127.0.0.1:5432/${name}`;
  prismaCli(url, ["prisma", "migrate", "deploy"]);
  return url;
}

export async function dropBenchDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}

/** Starts a process and resolves once it prints a line matching `ready`. */
export function startProcess(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args.join(" ")} not ready in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited (${code}):\n${out}`));
    });
  });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.removeAllListeners("exit");
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}

/** Removes every Redis key of a benchmark's own prefix. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

/** One answer's Server-Timing header (server started with PROFILE_REQUESTS=true): phase → ms, plus query count. */
export function parseServerTiming(header: string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (!name) continue;
    for (const p of params) {
      const [k, v] = p.split("=");
      if (k === "dur") out.set(name, Number(v));
      if (k === "desc") {
        const n = /(\d+) queries/.exec(v ?? "");
        if (n) out.set("queries", Number(n[1]));
      }
    }
  }
  return out;
}

/**
 * Where the time goes: the median of each Server-Timing entry over `timings`, emitted as
 * `<prefix>_<phase>_ms` (and `<prefix>_queries_per_request`), and logged as one line.
 */
export function emitProfile(bench: string, prefix: string, timings: Map<string, number>[]): void {
  const names = [...new Set(timings.flatMap((t) => [...t.keys()]))];
  const summary: string[] = [];
  for (const name of names) {
    const values = timings.map((t) => t.get(name) ?? 0).sort((a, b) => a - b);
    const median = percentile(values, 50);
    if (name === "queries") emit(bench, `${prefix}_queries_per_request`, median, "count");
    else emit(bench, `${prefix}_${name}_ms`, median, "ms");
    summary.push(`${name} ${median.toFixed(1)}`);
  }
  log(`${prefix} profile (median): ${summary.join(", ")}`);
}

/** A seeded user as the benches read it with plain SQL (roles as PostgreSQL's array literal). */
export interface BenchUserRow {
  id: string;
  username: string;
  roles: string | string[];
  institutionId: string;
  departmentId: string | null;
  tier: string;
}

/**
 * Access tokens for seeded users, signed with the servers' secret, each with a live session as a login would
 * leave: thousands of password logins would only measure argon2.
 */
export function benchTokens(redis: Redis, prefix: string, secret: string, ttlS: number) {
  const sessions = new SessionRegistry(redis, prefix, async () => null, ttlS);
  const tokens = new TokenService(secret, sessions, ttlS);
  return async (r: BenchUserRow): Promise<string> => {
    const sessionId = randomUUID();
    await sessions.markLive(sessionId, r.id, new Date(Date.now() + ttlS * 1000));
    return tokens.signAccess({
      id: r.id,
      username: r.username,
      roles: (Array.isArray(r.roles) ? r.roles : r.roles.replace(/[{}]/g, "").split(",")) as never,
      institutionId: r.institutionId,
      institutionTier: r.tier as never,
      departmentId: r.departmentId,
      region: null,
      sessionId,
    });
  };
}
