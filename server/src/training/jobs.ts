// Delayed jobs of a training session (BullMQ, in Redis, so they survive restarts): reminders 1 day and 15
// minutes before the start, and closing the session after its end if the lecturer never pressed "end".
// The server only enqueues; the processor is worker/src/queues/training-reminders.ts. Job ids are deterministic
// (session + start time), so enqueueing twice is harmless and a rescheduled session gets fresh jobs; each job
// re-reads the session and does nothing if it moved on.
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { rooms, type Notification } from "@yilian/contract";
import { randomUUID } from "node:crypto";
import {
  bullPrefix,
  TRAINING_REMINDERS_QUEUE,
  trainingJobId,
  type TrainingJobData,
  type TrainingJobName,
} from "@yilian/jobs";
import type { Db } from "../db";
import { audienceInstitutionIds } from "./audience";
import { formatLocal } from "./util";
import type { EventSink } from "./live";

export const REMINDER_OFFSETS: Record<"1d" | "15m", number> = { "1d": 24 * 3600_000, "15m": 15 * 60_000 };
/** A session nobody ended is closed this long after its scheduled end. */
export const AUTO_CLOSE_AFTER_MS = 2 * 3600_000;

const jobOpts = {
  removeOnComplete: 1000,
  removeOnFail: 5000,
  attempts: 5,
  backoff: { type: "exponential", delay: 2000 },
} as const;

export class TrainingQueues {
  readonly queue: Queue<TrainingJobData, unknown, TrainingJobName>;
  private readonly connection: Redis;

  constructor(redis: Redis, redisPrefix: string) {
    // Own connection: closing the queue must not close the caller's client.
    this.connection = redis.duplicate({ maxRetriesPerRequest: null });
    this.queue = new Queue(TRAINING_REMINDERS_QUEUE, { connection: this.connection, prefix: bullPrefix(redisPrefix) });
  }

  /** Reminders whose time already passed are skipped (a session scheduled 10 minutes ahead gets only "15m" now). */
  async schedule(session: { id: string; startsAt: Date; endsAt: Date }, now = Date.now()): Promise<void> {
    const startsAt = session.startsAt.toISOString();
    const jobs: { kind: TrainingJobData["kind"]; at: number }[] = [
      { kind: "1d", at: session.startsAt.getTime() - REMINDER_OFFSETS["1d"] },
      { kind: "15m", at: session.startsAt.getTime() - REMINDER_OFFSETS["15m"] },
      { kind: "close", at: session.endsAt.getTime() + AUTO_CLOSE_AFTER_MS },
    ];
    await this.queue.addBulk(
      jobs
        .filter((j) => j.kind === "close" || j.at > now - 60_000)
        .map((j) => {
          const data: TrainingJobData = { sessionId: session.id, startsAt, kind: j.kind };
          return {
            name: j.kind === "close" ? ("close" as const) : ("remind" as const),
            data,
            opts: { ...jobOpts, jobId: trainingJobId(data), delay: Math.max(0, j.at - now) },
          };
        }),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
    // quit waits for replies still in flight (a disconnect would reject them: "Connection is closed").
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}

export function trainingNotification(
  type: string,
  title: string,
  body: string,
  data: Record<string, unknown>,
): Notification {
  return { id: randomUUID(), type, at: new Date().toISOString(), title, body, data };
}

/**
 * Who hears about a session: the personal rooms of registrants when registration is required (only they can
 * join), else the institution rooms of the whole audience; lecturers always.
 */
export async function notificationRooms(
  db: Db,
  session: { id: string; registrationRequired: boolean },
  opts: { wholeAudience?: boolean } = {},
): Promise<string[]> {
  const lecturers = await db.trainingLecturer.findMany({ where: { sessionId: session.id }, select: { userId: true } });
  const out = lecturers.map((l) => rooms.user(l.userId));
  if (session.registrationRequired && !opts.wholeAudience) {
    const regs = await db.trainingRegistration.findMany({
      where: { sessionId: session.id, status: "REGISTERED" },
      select: { userId: true },
    });
    out.push(...regs.map((r) => rooms.user(r.userId)));
  } else {
    out.push(...(await audienceInstitutionIds(db, session.id)).map(rooms.institution));
  }
  return out;
}

/** Announces a newly scheduled session to its whole audience (so people can register). Never throws. */
export async function announceSession(
  db: Db,
  sink: EventSink,
  session: { id: string; number: string; title: string; startsAt: Date; registrationRequired: boolean },
): Promise<void> {
  try {
    const to = await notificationRooms(db, session, { wholeAudience: true });
    const body = `${formatLocal(session.startsAt)} 开始${session.registrationRequired ? "，请及时报名" : "，届时可直接进入"}`;
    sink.to(to).emit(
      "notification",
      trainingNotification("training.scheduled", `新的远程教学：${session.title}`, body, {
        sessionId: session.id,
        number: session.number,
      }),
    );
  } catch (e) {
    console.error(`training announcement failed: ${(e as Error).message}`);
  }
}

export async function announceCancellation(
  db: Db,
  sink: EventSink,
  session: { id: string; number: string; title: string; registrationRequired: boolean },
  reason: string,
) {
  try {
    const to = await notificationRooms(db, session, { wholeAudience: true });
    sink.to(to).emit(
      "notification",
      trainingNotification("training.cancelled", `远程教学已取消：${session.title}`, reason, {
        sessionId: session.id,
        number: session.number,
      }),
    );
  } catch (e) {
    console.error(`training cancellation notice failed: ${(e as Error).message}`);
  }
}
