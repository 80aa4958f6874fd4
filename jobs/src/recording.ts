import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const RECORDING_QUEUE = "recording";
export type RecordingJobName = "compose" | "sweep";
export const RecordingJobData = z.object({
  /** Absent for the periodic sweep. */
  recordingId: z.string().min(1).optional(),
});
export type RecordingJobData = z.infer<typeof RecordingJobData>;

export function recordingJobOptions(recordingId: string): JobsOptions {
  return {
    jobId: `recording-${recordingId}`,
    attempts: 3,
    backoff: { type: "exponential", delay: 5000 },
    removeOnComplete: { age: 30 * 86_400 },
    removeOnFail: { age: 90 * 86_400 },
  };
}

/**
 * Redis key the server process running a recording's recorder keeps alive (PX, refreshed well within it): when it
 * is gone while the recording is still RECORDING, that process died with its recorder.
 */
export const recordingOwnerKey = (redisPrefix: string, recordingId: string) =>
  `${redisPrefix}:recording:owner:${recordingId}`;
export const RECORDING_OWNER_TTL_MS = 30_000;
