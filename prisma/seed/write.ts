// Writes a SeedPlan with createMany in batches, parents before children, inside the caller's transaction.
import type { Prisma } from "@prisma/client";
import type { SeedPlan } from "./plan";

/** Rows per INSERT: well under PostgreSQL's 65,535 bind parameters for the widest table (User, 9 columns). */
const BATCH = 1000;

const TIER_ORDER = { PROVINCE: 0, CITY: 1, COUNTY: 2, TOWNSHIP: 3 } as const;

async function inBatches<T>(rows: readonly T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let k = 0; k < rows.length; k += BATCH) await insert(rows.slice(k, k + BATCH));
}

export async function writePlan(
  tx: Prisma.TransactionClient,
  plan: SeedPlan,
  log: (msg: string) => void,
): Promise<void> {
  await tx.specialty.createMany({ data: plan.specialties });
  // Cities before counties, and institutions by tier: a row's parent is always inserted in an earlier batch
  // (every parent is of a higher tier, see checks.ts).
  const regions = [...plan.regions].sort((a, b) => Number(a.kind === "COUNTY") - Number(b.kind === "COUNTY"));
  await inBatches(regions, (data) => tx.region.createMany({ data }));
  const institutions = [...plan.institutions].sort((a, b) => TIER_ORDER[a.tier] - TIER_ORDER[b.tier]);
  await inBatches(institutions, (data) => tx.institution.createMany({ data }));
  log(`seed: ${plan.regions.length} regions, ${plan.institutions.length} institutions`);
  await inBatches(plan.departments, (data) => tx.department.createMany({ data }));
  await inBatches(plan.consortia, (data) => tx.consortium.createMany({ data }));
  await inBatches(plan.members, (data) => tx.consortiumMember.createMany({ data }));
  log(
    `seed: ${plan.departments.length} departments, ${plan.consortia.length} consortia, ${plan.members.length} memberships`,
  );
  await inBatches(plan.users, (data) => tx.user.createMany({ data }));
  log(`seed: ${plan.users.length} users`);
}
