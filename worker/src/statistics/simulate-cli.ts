// `npx tsx worker/src/statistics/simulate-cli.ts [year] [--compute]`: fills the database in DATABASE_URL with the
// province's published 2024 activity (for demos of the statistics console), optionally computing the months.
import { createDb, loadConfig } from "@yilian/server";
import { published2024, simulateYear } from "./simulate";
import { computeYear } from "./compute";

const config = loadConfig();
const db = createDb(config.DATABASE_URL);
const year = Number(process.argv.find((a) => /^\d{4}$/.test(a)) ?? 2024);
const t0 = Date.now();
await simulateYear(db, { year, tag: "SIM", ...published2024() });
console.log(`simulated ${year} in ${Date.now() - t0} ms`);
if (process.argv.includes("--compute")) {
  const months = await computeYear(db, year);
  console.log(`computed ${months.length} months, ${months.reduce((a, m) => a + m.rows, 0)} rollup rows`);
}
await db.$disconnect();
