// Delayed jobs of the consultation workflow: SLA escalation of unanswered requests, reminders before a booked
// time and the expiry of returned requests. Enqueued by server/src/consultations/jobs.ts, processed by
// worker/src/queues/consultation-{sla,reminders,returns}.ts.
import { z } from "zod";

const isoTime = z.iso.datetime();

export const SLA_QUEUE = "consultation-sla";
export type SlaJobName = "escalate";
export const SlaJobData = z.object({
  consultationId: z.string().min(1),
  /** The submission this job belongs to: a resubmission (after RETURNED) starts a new clock. */
  submittedAt: isoTime,
  /** 1 notify the coordinators, 2 notify the institution admins, 3 mark overdue. */
  level: z.union([z.literal(1), z.literal(2), z.literal(3)]),
});
export type SlaJobData = z.infer<typeof SlaJobData>;

export const REMINDER_QUEUE = "consultation-reminders";
export type ReminderJobName = "remind";
export const ReminderJobData = z.object({
  consultationId: z.string().min(1),
  bookingId: z.string().min(1),
  /** 24h / 15m: "starting soon"; expire: not started by the booked end + a grace period → EXPIRED. */
  kind: z.enum(["24h", "15m", "expire"]),
});
export type ReminderJobData = z.infer<typeof ReminderJobData>;

export const RETURNS_QUEUE = "consultation-returns";
export type ReturnJobName = "returned";
export const ReturnJobData = z.object({
  consultationId: z.string().min(1),
  /** The return this job belongs to: a later return (after a resubmission) starts a new clock. */
  returnedAt: isoTime,
  /** remind: shortly before the expiry; expire: RETURNED → EXPIRED. */
  kind: z.enum(["remind", "expire"]),
});
export type ReturnJobData = z.infer<typeof ReturnJobData>;
