// Delayed jobs of a training session: reminders 1 day and 15 minutes before the start, and closing the session
// after its end if the lecturer never pressed "end". Enqueued by server/src/training/jobs.ts, processed by
// worker/src/queues/training-reminders.ts.
import { z } from "zod";

export const TRAINING_REMINDERS_QUEUE = "training-reminders";
export type TrainingJobName = "remind" | "close";
export const TrainingJobData = z.object({
  sessionId: z.string().min(1),
  /** The start this job was planned for (ISO); a rescheduled session ignores old jobs. */
  startsAt: z.iso.datetime(),
  kind: z.enum(["1d", "15m", "close"]),
});
export type TrainingJobData = z.infer<typeof TrainingJobData>;

/** Deterministic (session + start + kind): enqueueing twice is harmless, a rescheduled session gets fresh jobs. */
export function trainingJobId(data: TrainingJobData): string {
  return `training-${data.sessionId}-${Date.parse(data.startsAt)}-${data.kind}`;
}
