// Queue names, job payloads and producers shared by the server (which enqueues) and the worker (which
// processes). Payloads carry ids only: no patient data ever sits in Redis.
import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";

export const UPLOADS_QUEUE = "uploads";
export const STATISTICS_QUEUE = "statistics";
export const RECORDING_QUEUE = "recording";

export type UploadsJobName = "process" | "sweep";
export interface UploadsJobData {
  uploadId?: string;
}

export type StatisticsJobName = "monthly" | "recompute";
export interface StatisticsJobData {
  /** "YYYY-MM" (Asia/Shanghai month); absent for the scheduled run = the previous month. */
  month?: string;
}

export type RecordingJobName = "compose" | "sweep";
export interface RecordingJobData {
  /** Absent for the periodic sweep. */
  recordingId?: string;
}

/** Every BullMQ key of a deployment sits under this prefix (shared with the worker). */
export const bullPrefix = (redisPrefix: string) => `${redisPrefix}:bull`;

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

export function recordingJobOptions(recordingId: string): JobsOptions {
  return {
    jobId: `recording-${recordingId}`,
    attempts: 3,
    backoff: { type: "exponential", delay: 5000 },
    removeOnComplete: { age: 30 * 86_400 },
    removeOnFail: { age: 90 * 86_400 },
  };
}

export interface AppQueues {
  uploads: Queue<UploadsJobData, unknown, UploadsJobName>;
  statistics: Queue<StatisticsJobData, unknown, StatisticsJobName>;
  recording: Queue<RecordingJobData, unknown, RecordingJobName>;
  all(): Queue[];
  close(): Promise<void>;
}

const shared = new WeakMap<object, Map<string, AppQueues>>();

/** Producer-side queues (the server enqueues; Bull Board inspects). One set per shared connection and prefix. */
export function createQueues(connection: ConnectionOptions, redisPrefix: string): AppQueues {
  const byPrefix = typeof connection === "object" ? (shared.get(connection) ?? new Map<string, AppQueues>()) : null;
  if (byPrefix && typeof connection === "object") shared.set(connection, byPrefix);
  const cached = byPrefix?.get(redisPrefix);
  if (cached) return cached;
  const made = makeQueues(connection, redisPrefix);
  byPrefix?.set(redisPrefix, made);
  return made;
}

function makeQueues(connection: ConnectionOptions, redisPrefix: string): AppQueues {
  const prefix = bullPrefix(redisPrefix);
  const uploads = new Queue<UploadsJobData, unknown, UploadsJobName>(UPLOADS_QUEUE, { connection, prefix });
  const statistics = new Queue<StatisticsJobData, unknown, StatisticsJobName>(STATISTICS_QUEUE, { connection, prefix });
  const recording = new Queue<RecordingJobData, unknown, RecordingJobName>(RECORDING_QUEUE, { connection, prefix });
  return {
    uploads,
    statistics,
    recording,
    all: () => [uploads, statistics, recording] as Queue[],
    close: async () => {
      await Promise.all([uploads.close(), statistics.close(), recording.close()]);
    },
  };
}
