// Once per `npm test`: a fresh test database with migrations applied through the Prisma CLI and the province
// seeded; then one copy of it per jest worker (CREATE DATABASE … TEMPLATE: a file copy, well under a second) and
// the test Redis prefixes emptied.
import { execFileSync } from "node:child_process";
import pg from "pg";
import { Redis } from "ioredis";
import { TEST_DATABASE_URL, workerDatabaseUrl } from "./workers";

const dbName = (url: string) => new URL(url).pathname.slice(1);

export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  require("./env");
  const template = dbName(TEST_DATABASE_URL);
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(TEST_DATABASE_URL), { pathname: "/postgres" }).toString(),
  });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${template}"`);

    const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL };
    execFileSync("npx", ["prisma", "migrate", "deploy"], { env, stdio: ["ignore", "ignore", "inherit"] });
    // The bare network: tests make their own consultations and sessions (the living demo history is demo-only).
    execFileSync("npx", ["tsx", "prisma/seed/main.ts", "--network-only"], {
      env,
      stdio: ["ignore", "ignore", "inherit"],
    });

    for (let w = 1; w <= globalConfig.maxWorkers; w++) {
      const copy = dbName(workerDatabaseUrl(String(w)));
      await admin.query(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${copy}" TEMPLATE "${template}"`);
    }
  } finally {
    await admin.end();
  }

  // This run's prefixes only (`yilian-test:…`, `yilian-test-w2-tus:…`), not another checkout's `yilian-test-x…`.
  const redis = new Redis(process.env.REDIS_URL!);
  const prefix = process.env.TEST_REDIS_PREFIX ?? "yilian-test";
  const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`${prefix}-w*`))];
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  redis.disconnect();
}
