// Delayed jobs of the consultation workflow (BullMQ, in Redis, so they survive restarts of any process): SLA
// escalation of unanswered requests, reminders before a booked time and the expiry of returned requests. The
// server only enqueues; the processors live in worker/src/queues/consultation-{sla,reminders,returns}.ts and the
// queue names and payloads in @yilian/jobs. Job ids are deterministic, so enqueueing twice is harmless, and each
// job re-reads the consultation and does nothing if it moved on.
import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { RETURNED_EXPIRES_AFTER_MS, RETURNED_REMINDER_BEFORE_MS, type Urgency } from "@yilian/contract";
import {
  bullPrefix,
  REMINDER_QUEUE,
  RETURNS_QUEUE,
  SLA_QUEUE,
  type ReminderJobData,
  type ReminderJobName,
  type ReturnJobData,
  type ReturnJobName,
  type SlaJobData,
  type SlaJobName,
} from "@yilian/jobs";
import type { Db } from "../db";

/** How long after its booked end an unstarted consultation stays SCHEDULED before it expires. */
export const EXPIRE_GRACE_MS = 2 * 3600_000;

export interface SlaTimes {
  acceptWithinS: number;
  notifyCoordinatorAtS: number;
  notifyAdminAtS: number;
}

/** Defaults of the source documents' practice: EMERGENCY accepted within 30 min, URGENT 24 h, ROUTINE 72 h. */
export const DEFAULT_SLA: Record<Urgency, SlaTimes> = {
  EMERGENCY: { acceptWithinS: 30 * 60, notifyCoordinatorAtS: 10 * 60, notifyAdminAtS: 20 * 60 },
  URGENT: { acceptWithinS: 24 * 3600, notifyCoordinatorAtS: 12 * 3600, notifyAdminAtS: 18 * 3600 },
  ROUTINE: { acceptWithinS: 72 * 3600, notifyCoordinatorAtS: 36 * 3600, notifyAdminAtS: 60 * 3600 },
};

/** The network's own policy, else the province-wide one from the database, else the defaults. */
export async function slaFor(
  db: Pick<Db, "slaPolicy">,
  consortiumId: string | null,
  urgency: Urgency,
): Promise<SlaTimes> {
  const rows = await db.slaPolicy.findMany({
    where: { urgency, OR: [{ consortiumId: null }, ...(consortiumId ? [{ consortiumId }] : [])] },
  });
  const row =
    rows.find((r) => r.consortiumId === consortiumId && consortiumId) ?? rows.find((r) => r.consortiumId === null);
  return row ?? DEFAULT_SLA[urgency];
}

const jobOpts = {
  removeOnComplete: 1000,
  removeOnFail: 5000,
  attempts: 5,
  backoff: { type: "exponential", delay: 2000 },
} as const;

export class ConsultationQueues {
  readonly sla: Queue<SlaJobData, unknown, SlaJobName>;
  readonly reminders: Queue<ReminderJobData, unknown, ReminderJobName>;
  readonly returns: Queue<ReturnJobData, unknown, ReturnJobName>;

  constructor(redis: Redis, redisPrefix: string) {
    // Connection options, not the client: each queue owns (and on close() ends) its own connection.
    const connection = { ...redis.options, maxRetriesPerRequest: null };
    const prefix = bullPrefix(redisPrefix);
    this.sla = new Queue(SLA_QUEUE, { connection, prefix });
    this.reminders = new Queue(REMINDER_QUEUE, { connection, prefix });
    this.returns = new Queue(RETURNS_QUEUE, { connection, prefix });
  }

  /** A returned request: the requester is reminded, then it expires unless resubmitted (the job re-checks). */
  async scheduleReturnExpiry(consultationId: string, returnedAt: Date): Promise<void> {
    const expiresAt = returnedAt.getTime() + RETURNED_EXPIRES_AFTER_MS;
    const steps: [ReturnJobData["kind"], number][] = [
      ["remind", expiresAt - RETURNED_REMINDER_BEFORE_MS],
      ["expire", expiresAt],
    ];
    await this.returns.addBulk(
      steps.map(([kind, at]) => ({
        name: "returned" as const,
        data: { consultationId, returnedAt: returnedAt.toISOString(), kind },
        opts: {
          ...jobOpts,
          jobId: `returned-${consultationId}-${returnedAt.getTime()}-${kind}`,
          delay: Math.max(0, at - Date.now()),
        },
      })),
    );
  }

  async scheduleSla(consultationId: string, submittedAt: Date, sla: SlaTimes): Promise<void> {
    const base = submittedAt.getTime();
    const steps: [SlaJobData["level"], number][] = [
      [1, sla.notifyCoordinatorAtS],
      [2, sla.notifyAdminAtS],
      [3, sla.acceptWithinS],
    ];
    await this.sla.addBulk(
      steps.map(([level, afterS]) => ({
        name: "escalate" as const,
        data: { consultationId, submittedAt: submittedAt.toISOString(), level },
        opts: {
          ...jobOpts,
          jobId: `sla-${consultationId}-${base}-${level}`,
          delay: Math.max(0, base + afterS * 1000 - Date.now()),
        },
      })),
    );
  }

  async scheduleReminders(consultationId: string, bookingId: string, startsAt: Date, endsAt: Date): Promise<void> {
    const jobs: { name: ReminderJobName; data: ReminderJobData; opts: JobsOptions }[] = (
      [
        ["24h", 24 * 3600_000],
        ["15m", 15 * 60_000],
      ] as const
    )
      .map(([kind, before]) => ({ kind, delay: startsAt.getTime() - before - Date.now() }))
      .filter((j) => j.delay > 0 || j.kind === "15m") // a booking within 15 min still gets its "starting soon"
      .map(({ kind, delay }) => ({
        name: "remind" as const,
        data: { consultationId, bookingId, kind },
        opts: { ...jobOpts, jobId: `reminder-${bookingId}-${kind}`, delay: Math.max(0, delay) },
      }));
    jobs.push({
      name: "remind" as const,
      data: { consultationId, bookingId, kind: "expire" as const },
      opts: {
        ...jobOpts,
        jobId: `reminder-${bookingId}-expire`,
        delay: Math.max(0, endsAt.getTime() + EXPIRE_GRACE_MS - Date.now()),
      },
    });
    await this.reminders.addBulk(jobs);
  }

  /** Drops the reminders of a cancelled or moved booking (the processor would skip them anyway). */
  async cancelReminders(bookingId: string): Promise<void> {
    await Promise.all(
      ["24h", "15m", "expire"].map((k) => this.reminders.remove(`reminder-${bookingId}-${k}`).catch(() => 0)),
    );
  }

  async close(): Promise<void> {
    const queues = [this.sla, this.reminders, this.returns];
    // A queue closed while its connection is still being opened (a process stopped right after start) emits an
    // unhandled "Connection is closed": let each finish connecting first.
    await Promise.all(queues.map((q) => q.waitUntilReady().catch(() => undefined)));
    await Promise.all(queues.map((q) => q.close()));
  }
}
