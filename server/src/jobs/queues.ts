// Producer-side queues of the server (it enqueues; the worker processes; Bull Board inspects). Queue names,
// payloads and job options are defined once in @yilian/jobs.
import { Queue, type ConnectionOptions } from "bullmq";
import {
  bullPrefix,
  PACS_IMPORTS_QUEUE,
  type PacsImportJobData,
  type PacsImportJobName,
  RECORDING_QUEUE,
  STATISTICS_QUEUE,
  UPLOADS_QUEUE,
  type RecordingJobData,
  type RecordingJobName,
  type StatisticsJobData,
  type StatisticsJobName,
  type UploadsJobData,
  type UploadsJobName,
} from "@yilian/jobs";

export interface AppQueues {
  uploads: Queue<UploadsJobData, unknown, UploadsJobName>;
  statistics: Queue<StatisticsJobData, unknown, StatisticsJobName>;
  recording: Queue<RecordingJobData, unknown, RecordingJobName>;
  pacsImports: Queue<PacsImportJobData, unknown, PacsImportJobName>;
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
  const pacsImports = new Queue<PacsImportJobData, unknown, PacsImportJobName>(PACS_IMPORTS_QUEUE, {
    connection,
    prefix,
  });
  return {
    uploads,
    statistics,
    recording,
    pacsImports,
    all: () => [uploads, statistics, recording, pacsImports] as Queue[],
    close: async () => {
      await Promise.all([uploads.close(), statistics.close(), recording.close(), pacsImports.close()]);
    },
  };
}
