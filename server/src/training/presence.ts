// Presence: every join and leave is an append-only event; the person's attendance row is recomputed from all
// their events in the same transaction (under a per-person advisory lock, so two tabs cannot lose an update).
import type { TrainingSession } from "@prisma/client";
import { inTransaction, sqlOf, type Db, type Sql } from "../db";
import { computeAttendance, intervalsToJson } from "./attendance";

/** A drop shorter than this (Wi-Fi, VPN, reload) and a rejoin count as one continuous presence. */
export const RECONNECT_GRACE_MS = 60_000;

type WindowFields = Pick<TrainingSession, "startsAt" | "endsAt" | "startedAt" | "endedAt" | "attendanceThreshold">;

/** Counting window: the actual start and end once known, else the scheduled ones. */
export function attendanceWindow(s: WindowFields, now: Date) {
  const windowStart = s.startedAt ?? s.startsAt;
  const windowEnd = s.endedAt ?? (s.endsAt > windowStart ? s.endsAt : new Date(windowStart.getTime() + 60_000));
  return { windowStart, windowEnd, now: now < windowEnd ? now : windowEnd };
}

export async function recordPresence(
  db: Db,
  sessionId: string,
  person: { userId: string; institutionId: string },
  kind: "JOIN" | "LEAVE",
  connectionId: string,
  at = new Date(),
): Promise<void> {
  // Plain SQL on one connection: a lecture's viewers all arrive at once (hundreds of joins), and Prisma's
  // interactive transactions queued them for seconds (faults bench: 200 joins, p50 6 s, some refused).
  await inTransaction(sqlOf(db), async (sql) => {
    await lockPerson(sql, sessionId, person.userId);
    await sql.query(
      `INSERT INTO "TrainingPresenceEvent" ("sessionId", "userId", "institutionId", kind, "connectionId", at)
       VALUES ($1, $2, $3, $4::"TrainingPresenceKind", $5, $6)`,
      [sessionId, person.userId, person.institutionId, kind, connectionId, at],
    );
    await recomputeFor(sql, sessionId, person.userId, person.institutionId, at);
  });
}

async function lockPerson(sql: Sql, sessionId: string, userId: string) {
  await sql.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`training-presence:${sessionId}:${userId}`]);
}

async function recomputeFor(sql: Sql, sessionId: string, userId: string, institutionId: string, now: Date) {
  const { rows: sessions } = await sql.query<WindowFields>(
    `SELECT "startsAt", "endsAt", "startedAt", "endedAt", "attendanceThreshold" FROM "TrainingSession" WHERE id = $1`,
    [sessionId],
  );
  const { rows: events } = await sql.query<{ kind: "JOIN" | "LEAVE"; connectionId: string; at: Date }>(
    `SELECT kind, "connectionId", at FROM "TrainingPresenceEvent" WHERE "sessionId" = $1 AND "userId" = $2 ORDER BY at`,
    [sessionId, userId],
  );
  const session = sessions[0];
  if (!session) throw new Error(`training session ${sessionId} not found`);
  if (!events.length) return;
  const r = computeAttendance(events, {
    ...attendanceWindow(session, now),
    reconnectGraceMs: RECONNECT_GRACE_MS,
    threshold: session.attendanceThreshold,
  });
  await sql.query(
    `INSERT INTO "TrainingAttendance"
       ("sessionId", "userId", "institutionId", "firstJoinAt", "lastLeaveAt", minutes, "presentSeconds", intervals,
        joins, attended, "updatedAt")
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
     ON CONFLICT ("sessionId", "userId") DO UPDATE SET
       "institutionId" = EXCLUDED."institutionId", "firstJoinAt" = EXCLUDED."firstJoinAt",
       "lastLeaveAt" = EXCLUDED."lastLeaveAt", minutes = EXCLUDED.minutes,
       "presentSeconds" = EXCLUDED."presentSeconds", intervals = EXCLUDED.intervals, joins = EXCLUDED.joins,
       attended = EXCLUDED.attended, "updatedAt" = now()`,
    [
      sessionId,
      userId,
      institutionId,
      r.firstJoinAt ?? now,
      r.lastLeaveAt,
      r.minutes,
      Math.floor(r.presentMs / 1000),
      JSON.stringify(intervalsToJson(r.intervals)),
      r.joins,
      r.attended,
    ],
  );
}

/**
 * After the session ended: recompute everyone against the final window (open intervals end at the end, the
 * threshold applies to the real duration). Idempotent; the end-of-session job and the end request both call it.
 */
export async function finalizeAttendance(db: Db, sessionId: string): Promise<number> {
  const people = await db.trainingPresenceEvent.findMany({
    where: { sessionId },
    distinct: ["userId"],
    select: { userId: true, institutionId: true },
  });
  const session = await db.trainingSession.findUniqueOrThrow({ where: { id: sessionId } });
  const at = session.endedAt ?? session.endsAt;
  for (const p of people) {
    await inTransaction(sqlOf(db), async (sql) => {
      await lockPerson(sql, sessionId, p.userId);
      await recomputeFor(sql, sessionId, p.userId, p.institutionId, at);
    });
  }
  return people.length;
}
