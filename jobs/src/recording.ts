import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
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
 * is gone while the recording is still RECORDING, that process died with its recorder, and whoever sets it again
 * first (SET NX: another server process, or the worker's sweep) takes the recording over.
 */
export const recordingOwnerKey = (redisPrefix: string, recordingId: string) =>
  `${redisPrefix}:recording:owner:${recordingId}`;
/** What an owner key holds: the host and process running the recorder (a restarted process is another owner). */
export const recordingOwnerToken = (pid = process.pid) => `${hostname()}:${pid}:${randomUUID().slice(0, 8)}`;
/** The process id in an owner key's value (which server process to look at). */
export const recordingOwnerPid = (token: string | null) => Number(token?.split(":")[1] ?? Number.NaN);
/** Short, so that a recording whose server process died goes on elsewhere after seconds, not minutes. */
export const RECORDING_OWNER_TTL_MS = 9_000;
/** Redis set of this deployment's running recordings (ids), which the server processes watch for orphans. */
export const recordingsLiveKey = (redisPrefix: string) => `${redisPrefix}:recordings:live`;

/**
 * A recorded part (one producer's track over one segment) as the Recording row lists it while it is written: its
 * chunks 0..chunks-1 are stored under recordingChunkKey(recordingId, part, kind, n).
 */
export interface StoredRecordingPart {
  part: number;
  kind: "audio" | "video";
  /** When the part's media starts, from the start of the recording. */
  offsetMs: number;
  /** Stretch of uninterrupted media (0, then +1 after every media restart or recorder takeover). */
  segment: number;
  producerId: string;
  peerId: string;
  chunks: number;
  /** Per chunk (by number): the part's time it covers, silences a sender left out included. */
  durationsMs?: Record<string, number>;
}
