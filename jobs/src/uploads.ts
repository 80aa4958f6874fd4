import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const UPLOADS_QUEUE = "uploads";
export type UploadsJobName = "process" | "sweep";
export const UploadsJobData = z.object({
  /** Absent for the periodic sweep. */
  uploadId: z.string().min(1).optional(),
});
export type UploadsJobData = z.infer<typeof UploadsJobData>;

/** One job per upload: the deterministic id makes a second enqueue (retry, reconciler) a no-op. */
export function uploadJobOptions(uploadId: string): JobsOptions {
  return {
    jobId: `upload-${uploadId}`,
    attempts: 5,
    backoff: { type: "exponential", delay: 2000 },
    removeOnComplete: { age: 7 * 86_400, count: 50_000 },
    removeOnFail: { age: 30 * 86_400 },
  };
}
