// `npm run seed`: loads the demo province (the named network of prisma/data/jilin filled out by province.ts) into
// DATABASE_URL. Idempotent: a database that already has institutions is left alone. `--reset` empties the network
// and account tables first.
//
// Also a library: `seedDatabase(prisma)` for the start script and tests.
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { buildSeedPlan } from "./build";
import { countPlan, type PlanCounts } from "./checks";
import { DEMO_PASSWORD } from "./demo-accounts";
import { writePlan } from "./write";
import { hashPassword } from "../../server/src/auth/passwords";

export { DEMO_ACCOUNTS, DEMO_PASSWORD } from "./demo-accounts";
export { SPECIALTIES } from "./specialties";

const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/yilian";

/**
 * The tables the seed fills, emptied by `--reset`. CASCADE also empties whatever references them (consultations,
 * sessions, ... of later migrations): a reset is a fresh demo. The audit log is append-only and is kept.
 */
const SEEDED_TABLES = ["RefreshToken", "User", "ConsortiumMember", "Consortium", "Department", "Institution", "Region", "Specialty"];

export interface SeedOptions {
  /** Empty the seeded tables first (and whatever references them). */
  reset?: boolean;
  /** Progress lines; default: stderr. */
  log?: (message: string) => void;
}

export type SeedResult =
  | ({ seeded: true; ms: number } & PlanCounts)
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
        await tx.$executeRawUnsafe(`TRUNCATE ${SEEDED_TABLES.map((t) => `"${t}"`).join(", ")} CASCADE`);
        log("seed: reset (tables emptied)");
      } else if ((await tx.institution.count()) > 0) {
        throw new Error("seed: another process seeded the database meanwhile");
      }
      await writePlan(tx, plan, log);
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
  return { seeded: true, ms: Date.now() - started, ...countPlan(plan) };
}

async function main(): Promise<void> {
  const reset = process.argv.includes("--reset");
  const connectionString = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
  try {
    const result = await seedDatabase(prisma, { reset });
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
