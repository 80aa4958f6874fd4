import { createDb, type Db } from "@yilian/server";

let db: Db | undefined;
/** A Prisma client on the test database, for setting up and checking data. */
export function testDb(): Db {
  db ??= createDb(process.env.DATABASE_URL!, { poolSize: 4 });
  return db;
}
export async function closeTestDb(): Promise<void> {
  await db?.$disconnect();
  db = undefined;
}
