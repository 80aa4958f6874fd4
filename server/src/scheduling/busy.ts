// Committing a specialist's time. PostgreSQL's exclusion constraint "SpecialistBusyTime_no_overlap" is the
// guarantee; this module turns its violation into a clean 409. Training sessions use the same functions with
// source TRAINING, so a lecture and a consultation can never overlap either.
import { AppError, ErrorCode } from "@yilian/contract";
import type { Prisma } from "@prisma/client";
import type { Sql } from "../db";

export type BusySource = "CONSULTATION" | "REFERRAL" | "TRAINING";

/** True for PostgreSQL 23P01 (exclusion_violation), however the driver adapter wraps it. */
export function isExclusionViolation(e: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (x: unknown): boolean => {
    if (!x || typeof x !== "object" || seen.has(x)) return false;
    seen.add(x);
    const o = x as Record<string, unknown>;
    if (o.code === "23P01" || o.originalCode === "23P01") return true;
    if (typeof o.message === "string" && /exclusion constraint|_no_overlap|23P01/.test(o.message)) return true;
    return walk(o.cause) || walk(o.meta) || walk(o.error) || walk(o.driverAdapterError);
  };
  return walk(e);
}

export function busyConflict(): AppError {
  return new AppError(ErrorCode.CONFLICT, "该专家在此时间已有其他安排，请选择其他时间");
}

/**
 * Inserts busy rows for every specialist inside the caller's transaction. A conflict aborts the transaction
 * (PostgreSQL), which is what we want: nothing of the booking survives.
 */
export async function commitBusyTime(
  tx: Prisma.TransactionClient,
  rows: { specialistIds: string[]; startsAt: Date; endsAt: Date; source: BusySource; sourceId: string },
): Promise<void> {
  try {
    await tx.specialistBusyTime.createMany({
      data: rows.specialistIds.map((specialistId) => ({
        specialistId,
        startsAt: rows.startsAt,
        endsAt: rows.endsAt,
        source: rows.source,
        sourceId: rows.sourceId,
      })),
    });
  } catch (e) {
    if (isExclusionViolation(e)) throw busyConflict();
    throw e;
  }
}

/** commitBusyTime() through plain SQL, inside the caller's transaction (booking, see db.ts). */
export async function commitBusyTimeSql(
  sql: Sql,
  rows: { specialistIds: string[]; startsAt: Date; endsAt: Date; source: BusySource; sourceId: string },
): Promise<void> {
  try {
    await sql.query(
      `INSERT INTO "SpecialistBusyTime" (id, "specialistId", "startsAt", "endsAt", source, "sourceId")
       SELECT gen_random_uuid(), s, $2, $3, $4::"BusySource", $5 FROM unnest($1::uuid[]) AS s`,
      [rows.specialistIds, rows.startsAt, rows.endsAt, rows.source, rows.sourceId],
    );
  } catch (e) {
    if (isExclusionViolation(e)) throw busyConflict();
    throw e;
  }
}

export async function releaseBusyTime(
  tx: Prisma.TransactionClient,
  source: BusySource,
  sourceId: string,
): Promise<void> {
  await tx.specialistBusyTime.deleteMany({ where: { source, sourceId } });
}
