// Start-up checks: if PostgreSQL or Redis is unreachable the process says so in one line and exits.
import pg from "pg";
import { Redis } from "ioredis";

const HOW_TO_START = {
  postgres: "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
  redis: "start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379",
};

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

export async function checkPostgres(databaseUrl: string, timeoutMs = 3000): Promise<string | null> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "3D000") {
      return `PostgreSQL database "${new URL(databaseUrl).pathname.slice(1)}" does not exist at ${redact(databaseUrl)}; \`npm start\` creates it and applies the migrations`;
    }
    return `PostgreSQL is unreachable at ${redact(databaseUrl)} (${err.code ?? err.message}); ${HOW_TO_START.postgres}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function checkRedis(redisUrl: string, timeoutMs = 3000): Promise<string | null> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause: Error | undefined;
  redis.on("error", (e: Error) => (cause ??= e));
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (e) {
    const err = cause ?? (e as Error);
    return `Redis is unreachable at ${redact(redisUrl)} (${(err as NodeJS.ErrnoException).code ?? err.message}); ${HOW_TO_START.redis}`;
  } finally {
    redis.disconnect();
  }
}

/** Exits with one clear line per unreachable dependency. */
export async function requireDependencies(databaseUrl: string, redisUrl: string, serviceName: string): Promise<void> {
  const problems = (await Promise.all([checkPostgres(databaseUrl), checkRedis(redisUrl)])).filter(Boolean);
  if (problems.length) {
    for (const p of problems) console.error(`${serviceName}: cannot start: ${p}`);
    process.exit(69); // EX_UNAVAILABLE
  }
}
