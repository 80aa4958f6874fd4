// One Prisma client per process, on the pg driver adapter (no native query engine needed). Hot paths (booking,
// statistics reads) send plain SQL through the same pool: Prisma costs several times a bare query in CPU.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import pg from "pg";
import { instrumentPool } from "./http/profile";

export type Db = PrismaClient;

const pools = new WeakMap<Db, pg.Pool>();

export function createDb(databaseUrl: string, opts: { poolSize?: number } = {}): Db {
  const max = opts.poolSize ?? 10;
  // Our own pool, so request profiles can count the statements each request sends. Connections once opened stay
  // (`min`): a new one costs PostgreSQL a backend process and cold caches, which a burst of requests after a quiet
  // spell (eight dashboards opening at once) would otherwise pay each time, at several times a request's cost. Idle
  // ones do not keep a process alive that has nothing else to do (a script, a test run ending).
  const pool = instrumentPool(new pg.Pool({ connectionString: databaseUrl, max, min: max, allowExitOnIdle: true }));
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PrismaClient({ adapter });
  pools.set(db, pool);
  return db;
}

/** Opens the pool's connections at once (a serving process's start), so the first burst of requests finds them. */
export async function warmPool(db: Db): Promise<void> {
  const pool = sqlOf(db);
  const clients = await Promise.all(Array.from({ length: pool.options.max }, () => pool.connect()));
  await Promise.all(clients.map((c) => c.query("SELECT 1")));
  for (const c of clients) c.release();
}

/** The connection pool under a client made by createDb, for plain SQL. */
export function sqlOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error("sqlOf: this Prisma client was not made by createDb");
  return pool;
}

export type Sql = Pick<pg.PoolClient, "query">;

/** Runs `fn` in one transaction on one pooled connection: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (sql: Sql) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/**
 * Runs `write` on items as they come, batching whatever arrives while a write is running into the next one (group
 * commit): one item at a time when they trickle in, many per statement under load, never a wait for a timer. Each
 * item resolves with its result (`write` answers in the items' order, or nothing when there is none to give), or
 * rejects with its batch's error.
 */
export function groupCommit<T, R = void>(
  write: (items: T[]) => Promise<R[] | void>,
  opts: { maxBatch?: number } = {},
): (item: T) => Promise<R> {
  const maxBatch = opts.maxBatch ?? Number.POSITIVE_INFINITY;
  const queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let running = false;
  const drain = async () => {
    running = true;
    while (queue.length) {
      const batch = queue.splice(0, maxBatch);
      try {
        const results = await write(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results?.[i] as R));
      } catch (e) {
        for (const b of batch) b.reject(e);
      }
    }
    running = false;
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!running) void drain();
    });
}

const flights = new WeakMap<Db, Map<string, Promise<unknown>>>();

/**
 * Single flight: concurrent reads of the same thing share one query. A lecture's viewers arrive together (hundreds
 * within a second, again after every reconnect) and each would read the same session, host and lecturers. A read
 * that starts while another is under way gets that one's answer, as if it had arrived a moment earlier; nothing is
 * kept once it is answered, so no later read sees an older state. Callers must not change what they get.
 */
export function sharedRead<T>(db: Db, key: string, read: () => Promise<T>): Promise<T> {
  let mine = flights.get(db);
  if (!mine) flights.set(db, (mine = new Map()));
  const running = mine.get(key) as Promise<T> | undefined;
  if (running !== undefined) return running;
  const m = mine;
  const p = read().finally(() => m.delete(key));
  m.set(key, p);
  return p;
}

/** Creates the database named in the URL when it does not exist (first start on a fresh machine). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = "/postgres";
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount) return false;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}
