import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const STATISTICS_QUEUE = "statistics";
export type StatisticsJobName = "monthly" | "recompute";
export const StatisticsJobData = z.object({
  /** "YYYY-MM" (Asia/Shanghai month); absent for the scheduled run = the previous month. */
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
    .optional(),
});
export type StatisticsJobData = z.infer<typeof StatisticsJobData>;

export function statisticsJobOptions(month: string, at = Date.now()): JobsOptions {
  // Recomputes of one month are serialised by a database lock; ids only keep the history readable.
  return {
    jobId: `stats-${month}-${at}`,
    attempts: 3,
    backoff: { type: "exponential", delay: 10_000 },
    removeOnComplete: { age: 30 * 86_400, count: 1000 },
    removeOnFail: { age: 90 * 86_400 },
  };
}
