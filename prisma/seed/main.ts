// `npm run seed`: loads the demo province (the named network of prisma/data/jilin filled out by province.ts) into
// DATABASE_URL, with its living history of the last 12 months (history.ts). Idempotent: a database that already has
// institutions is left alone. `--reset` empties every table but the audit log first (a fresh demo);
// `--network-only` leaves the history out (the test database: tests make their own consultations and sessions).
//
// Also a library: `seedDatabase(prisma)` for the start script and tests.
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { buildSeedPlan } from "./build";
import { countPlan, type PlanCounts } from "./checks";
import { DEMO_PASSWORD } from "./demo-accounts";
import { writePlan } from "./write";
import { seedHistory, type HistoryCounts } from "./history";
import { hashPassword } from "../../server/src/auth/passwords";

export { DEMO_ACCOUNTS, DEMO_PASSWORD } from "./demo-accounts";
export { SPECIALTIES } from "./specialties";

const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/yilian";

/** Kept by `--reset`: the migrations' bookkeeping, and the audit log (append-only). */
const KEPT_TABLES = ["_prisma_migrations", "AuditLog"];

export interface SeedOptions {
  /** Empty the seeded tables first (and whatever references them). */
  reset?: boolean;
  /** Progress lines; default: stderr. */
  log?: (message: string) => void;
  /** The living demo history (default true); false for the test database. */
  history?: boolean;
}

export type SeedResult =
  | ({ seeded: true; ms: number } & PlanCounts & Partial<HistoryCounts>)
  | { seeded: false; institutions: number };

export async function seedDatabase(prisma: PrismaClient, opts: SeedOptions = {}): Promise<SeedResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const started = Date.now();

  if (!opts.reset) {
    const existing = await prisma.institution.count();
    if (existing > 0) return { seeded: false, institutions: existing };
  }

  // One hash for every demo account: argon2 is deliberately slow, and they all share the password.
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const plan = buildSeedPlan(passwordHash);
  log(`seed: province built in memory (${Date.now() - started} ms)`);

  await prisma.$transaction(
    async (tx) => {
      if (opts.reset) {
        const tables = await tx.$queryRaw<
          { name: string }[]
        >`SELECT tablename::text AS name FROM pg_tables WHERE schemaname = current_schema()`;
        const emptied = tables.map((t) => t.name).filter((t) => !KEPT_TABLES.includes(t));
        await tx.$executeRawUnsafe(`TRUNCATE ${emptied.map((t) => `"${t}"`).join(", ")} CASCADE`);
        log(`seed: reset (${emptied.length} tables emptied, the audit log kept)`);
      } else if ((await tx.institution.count()) > 0) {
        throw new Error("seed: another process seeded the database meanwhile");
      }
      await writePlan(tx, plan, log);
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
  const history = opts.history === false ? {} : await seedHistory(prisma, log);
  return { seeded: true, ms: Date.now() - started, ...countPlan(plan), ...history };
}

async function main(): Promise<void> {
  const reset = process.argv.includes("--reset");
  const history = !process.argv.includes("--network-only");
  const connectionString = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
  try {
    const result = await seedDatabase(prisma, { reset, history });
    if (!result.seeded) {
      console.log(`seed: already seeded (${result.institutions} institutions)`);
    } else {
      const { ms, seeded: _, ...counts } = result;
      console.log(
        `seed: done in ${(ms / 1000).toFixed(1)} s: ${Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ")}`,
      );
    }
  } finally {
    await prisma.$disconnect();
  }
}

// Run only as the entry point (`tsx prisma/seed/main.ts`), not when imported. No import.meta here: jest loads
// this file as CommonJS.
const entry = process.argv[1] ? path.resolve(process.argv[1]) : "";
if (entry.endsWith(path.join("prisma", "seed", "main.ts")) || entry.endsWith(path.join("prisma", "seed", "main"))) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
