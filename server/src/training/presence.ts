// Presence: every join and leave is an append-only event; the person's attendance row is recomputed from all
// their events in the same transaction (under a per-person advisory lock, so two tabs cannot lose an update).
import type { Prisma, TrainingSession } from "@prisma/client";
import type { Db } from "../db";
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
  await db.$transaction(async (tx) => {
    await lockPerson(tx, sessionId, person.userId);
    await tx.trainingPresenceEvent.create({
      data: { sessionId, userId: person.userId, institutionId: person.institutionId, kind, connectionId, at },
    });
    await recomputeFor(tx, sessionId, person.userId, person.institutionId, at);
  });
}

async function lockPerson(tx: Prisma.TransactionClient, sessionId: string, userId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`training-presence:${sessionId}:${userId}`}))`;
}

async function recomputeFor(
  tx: Prisma.TransactionClient,
  sessionId: string,
  userId: string,
  institutionId: string,
  now: Date,
) {
  const session = await tx.trainingSession.findUniqueOrThrow({ where: { id: sessionId } });
  const events = await tx.trainingPresenceEvent.findMany({
    where: { sessionId, userId },
    orderBy: { at: "asc" },
    select: { kind: true, connectionId: true, at: true },
  });
  if (!events.length) return;
  const r = computeAttendance(events, {
    ...attendanceWindow(session, now),
    reconnectGraceMs: RECONNECT_GRACE_MS,
    threshold: session.attendanceThreshold,
  });
  const data = {
    institutionId,
    firstJoinAt: r.firstJoinAt ?? now,
    lastLeaveAt: r.lastLeaveAt,
    minutes: r.minutes,
    presentSeconds: Math.floor(r.presentMs / 1000),
    intervals: intervalsToJson(r.intervals),
    joins: r.joins,
    attended: r.attended,
  };
  await tx.trainingAttendance.upsert({
    where: { sessionId_userId: { sessionId, userId } },
    create: { sessionId, userId, ...data },
    update: data,
  });
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
    await db.$transaction(async (tx) => {
      await lockPerson(tx, sessionId, p.userId);
      await recomputeFor(tx, sessionId, p.userId, p.institutionId, at);
    });
  }
  return people.length;
}
