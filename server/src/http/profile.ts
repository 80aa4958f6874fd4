// Where a request's time goes: database round trips (count and time), waits for a pooled connection, and named
// phases of a use case (authentication, validation, transaction, audit, notify, job scheduling). With
// PROFILE_REQUESTS on, every answer carries them in a Server-Timing header; the benchmarks read it.
import type { RequestHandler } from "express";
import type pg from "pg";
import { getContext, type RequestProfile } from "./context";

export function newProfile(): RequestProfile {
  return { startedAt: performance.now(), queries: 0, dbMs: 0, poolWaitMs: 0, phases: new Map() };
}

const current = () => getContext()?.profile;

/** Runs `fn` as the named phase of the current request's profile (phases may nest; a repeated name adds up). */
export async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const p = current();
  if (!p) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    p.phases.set(name, (p.phases.get(name) ?? 0) + performance.now() - t0);
  }
}

type Callback = (...args: unknown[]) => void;

/** Times a pg call that takes either a trailing callback or returns a promise. */
function timed(
  args: unknown[],
  call: (args: unknown[]) => unknown,
  done: (p: RequestProfile, ms: number) => void,
): unknown {
  const p = current();
  if (!p) return call(args);
  const t0 = performance.now();
  const last = args[args.length - 1];
  if (typeof last === "function") {
    const cb: Callback = (...r) => {
      done(p, performance.now() - t0);
      (last as Callback)(...r);
    };
    return call([...args.slice(0, -1), cb]);
  }
  const result = call(args);
  if (result && typeof (result as Promise<unknown>).then === "function") {
    const settle = () => done(p, performance.now() - t0);
    (result as Promise<unknown>).then(settle, settle);
  }
  return result;
}

/** Counts every statement sent through the pool and the time spent waiting for a connection. */
export function instrumentPool(pool: pg.Pool): pg.Pool {
  const connect = pool.connect.bind(pool) as (...a: unknown[]) => unknown;
  (pool as unknown as { connect: (...a: unknown[]) => unknown }).connect = (...args) =>
    timed(
      args,
      (a) => connect(...a),
      (p, ms) => (p.poolWaitMs += ms),
    );
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...args) =>
      timed(
        args,
        (a) => query(...a),
        (p, ms) => {
          p.queries += 1;
          p.dbMs += ms;
        },
      );
  });
  return pool;
}

// Hundredths: cheap phases (the cached session check) would otherwise read 0.0.
const round = (ms: number) => ms.toFixed(2);

export function serverTiming(p: RequestProfile): string {
  const parts = [
    `total;dur=${round(performance.now() - p.startedAt)}`,
    `db;dur=${round(p.dbMs)};desc="${p.queries} queries"`,
    `pool;dur=${round(p.poolWaitMs)}`,
  ];
  for (const [name, ms] of p.phases) parts.push(`${name};dur=${round(ms)}`);
  return parts.join(", ");
}

/** Adds the Server-Timing header just before the answer's headers go out. */
export const serverTimingHeader: RequestHandler = (_req, res, next) => {
  const p = current();
  if (p) {
    const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => unknown;
    (res as unknown as { writeHead: (...a: unknown[]) => unknown }).writeHead = (...args) => {
      if (!res.headersSent) res.setHeader("server-timing", serverTiming(p));
      return writeHead(...args);
    };
  }
  next();
};
