// Once per `npm test`: a fresh test database with migrations applied through the Prisma CLI, the province
// seeded, and the test Redis prefix emptied.
import { execFileSync } from "node:child_process";
import pg from "pg";
import { Redis } from "ioredis";

export default async function globalSetup(): Promise<void> {
  require("./env");
  const url = new URL(process.env.DATABASE_URL!);
  const name = url.pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: "/postgres" }).toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();

  const env = { ...process.env };
  execFileSync("npx", ["prisma", "migrate", "deploy"], { env, stdio: ["ignore", "ignore", "inherit"] });
  // The bare network: tests make their own consultations and sessions (the living demo history is demo-only).
  execFileSync("npx", ["tsx", "prisma/seed/main.ts", "--network-only"], { env, stdio: ["ignore", "ignore", "inherit"] });

  const redis = new Redis(process.env.REDIS_URL!);
  const keys = await redis.keys(`${process.env.REDIS_PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}
