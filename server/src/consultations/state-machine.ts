// The consultation state machine: the only place that knows which status may follow which. Every change goes
// through transition(), which checks the move, applies it with a compare-and-set on (status, version) so two
// concurrent actors cannot both win, and appends the timeline row, all inside the caller's transaction.
import { AppError, ErrorCode, consultationStatusLabel, type ConsultationStatus } from "@yilian/contract";
import type { Prisma } from "@prisma/client";
import type { Sql } from "../db";

type Tx = Prisma.TransactionClient;

export const TRANSITIONS: Readonly<Record<ConsultationStatus, readonly ConsultationStatus[]>> = {
  DRAFT: ["SUBMITTED", "CANCELLED"],
  SUBMITTED: ["RETURNED", "ACCEPTED", "REJECTED", "CANCELLED", "EXPIRED"],
  RETURNED: ["SUBMITTED", "CANCELLED", "EXPIRED"],
  // ACCEPTED → IN_PROGRESS: an EMERGENCY skips booking; a reading (imaging / ECG / pathology) needs no meeting.
  ACCEPTED: ["SCHEDULED", "IN_PROGRESS", "CANCELLED", "EXPIRED"],
  // SCHEDULED → ACCEPTED: the booking was cancelled and a new time is to be found.
  SCHEDULED: ["ACCEPTED", "IN_PROGRESS", "CANCELLED", "EXPIRED"],
  IN_PROGRESS: ["REPORTED"],
  REPORTED: ["CLOSED"],
  CLOSED: [],
  REJECTED: [],
  CANCELLED: [],
  EXPIRED: [],
};

export const OPEN_STATUSES: readonly ConsultationStatus[] = [
  "SUBMITTED",
  "RETURNED",
  "ACCEPTED",
  "SCHEDULED",
  "IN_PROGRESS",
];

export function canTransition(from: ConsultationStatus, to: ConsultationStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function invalidState(current: ConsultationStatus, action: string): AppError {
  return new AppError(ErrorCode.INVALID_STATE, `会诊当前状态为「${consultationStatusLabel[current]}」，不能${action}`, {
    details: { currentStatus: current },
  });
}

export function assertStatus(
  current: ConsultationStatus,
  allowed: readonly ConsultationStatus[],
  action: string,
): void {
  if (!allowed.includes(current)) throw invalidState(current, action);
}

/** Columns stamped when a status is entered. */
const STAMP: Partial<Record<ConsultationStatus, keyof Prisma.ConsultationUncheckedUpdateManyInput>> = {
  SUBMITTED: "submittedAt",
  ACCEPTED: "acceptedAt",
  IN_PROGRESS: "startedAt",
  REPORTED: "reportedAt",
  CLOSED: "closedAt",
};

export interface TransitionArgs {
  consultation: { id: string; status: ConsultationStatus; version: number };
  to: ConsultationStatus;
  actorId: string | null;
  action: string;
  reason?: string | null;
  data?: Prisma.ConsultationUncheckedUpdateManyInput;
  at?: Date;
}

/** Moves a consultation to `to`; 409 INVALID_STATE with the current status when the move is illegal or lost a race. */
export async function transition(tx: Tx, args: TransitionArgs): Promise<{ at: Date; version: number }> {
  const { consultation: c, to } = args;
  const sameStatus = c.status === to; // reschedule: a logged change without a status move
  if (!sameStatus && !canTransition(c.status, to)) throw invalidState(c.status, args.action);
  const at = args.at ?? new Date();
  const stamp = STAMP[to];
  const { count } = await tx.consultation.updateMany({
    where: { id: c.id, status: c.status, version: c.version },
    data: { ...args.data, status: to, version: { increment: 1 }, ...(stamp && !sameStatus ? { [stamp]: at } : {}) },
  });
  if (count !== 1) {
    const now = await tx.consultation.findUnique({ where: { id: c.id }, select: { status: true } });
    throw invalidState(now?.status ?? c.status, args.action);
  }
  await tx.consultationTransition.create({
    data: {
      consultationId: c.id,
      fromStatus: c.status,
      toStatus: to,
      actorId: args.actorId,
      reason: args.reason ?? null,
      at,
    },
  });
  return { at, version: c.version + 1 };
}

/**
 * transition() through plain SQL for hot paths (booking): the compare-and-set and the timeline row in one
 * statement, so the timeline row exists exactly when the move happened.
 */
export async function transitionSql(
  sql: Sql,
  args: Omit<TransitionArgs, "data"> & { data?: Record<string, string | number | boolean | Date | null> },
): Promise<{ at: Date; version: number }> {
  const { consultation: c, to } = args;
  const sameStatus = c.status === to;
  if (!sameStatus && !canTransition(c.status, to)) throw invalidState(c.status, args.action);
  const at = args.at ?? new Date();
  const stamp = STAMP[to];
  const set = { ...args.data, status: to, updatedAt: at, ...(stamp && !sameStatus ? { [stamp]: at } : {}) };
  const columns = Object.keys(set);
  const values: unknown[] = [...Object.values(set), c.id, c.status, c.version, args.actorId, args.reason ?? null];
  const n = columns.length;
  const moved = await sql.query(
    `WITH moved AS (
       UPDATE "Consultation" SET ${columns.map((k, i) => `"${k}" = $${i + 1}`).join(", ")}, version = version + 1
        WHERE id = $${n + 1} AND status = $${n + 2} AND version = $${n + 3} RETURNING id)
     INSERT INTO "ConsultationTransition" ("consultationId", "fromStatus", "toStatus", "actorId", reason, at)
     SELECT id, $${n + 2}, $${columns.indexOf("status") + 1}, $${n + 4}::uuid, $${n + 5}::text, $${columns.indexOf("updatedAt") + 1} FROM moved`,
    values,
  );
  if (moved.rowCount !== 1) {
    const now = await sql.query<{ status: ConsultationStatus }>(`SELECT status FROM "Consultation" WHERE id = $1`, [
      c.id,
    ]);
    throw invalidState(now.rows[0]?.status ?? c.status, args.action);
  }
  return { at, version: c.version + 1 };
}
