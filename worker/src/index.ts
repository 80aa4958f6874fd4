import { createDb, createRedis, pacsAddressPolicy, type Config, type EventSink } from "@yilian/server";
import type { Queue, Worker } from "bullmq";
import { initMaintenance, MAINTENANCE_QUEUE } from "./queues/maintenance";
import { createStorage } from "@yilian/storage";
import { bullPrefix } from "@yilian/jobs";
import { initUploads, UPLOADS_QUEUE } from "./queues/uploads";
import { initPacsImports, PACS_IMPORTS_QUEUE } from "./queues/pacs-imports";
import { initStatistics, STATISTICS_QUEUE } from "./queues/statistics";
import { initRecording, RECORDING_QUEUE } from "./queues/recording";
import { workerSettings } from "./settings";
import { initTrainingReminders, TRAINING_REMINDERS_QUEUE } from "./queues/training-reminders";
import { Emitter } from "@socket.io/redis-emitter";
import { initConsultationSla, SLA_QUEUE } from "./queues/consultation-sla";
import { initConsultationReminders, REMINDER_QUEUE } from "./queues/consultation-reminders";
import { initConsultationReturns, RETURNS_QUEUE } from "./queues/consultation-returns";

export interface RunningWorkers {
  queueNames: string[];
  stop(): Promise<void>;
}

/** Starts every queue processor of this package; stop() closes workers first, then queues and connections. */
export async function startWorkers(config: Config): Promise<RunningWorkers> {
  const db = createDb(config.DATABASE_URL);
  const connection = createRedis(config.REDIS_URL);
  const prefix = bullPrefix(config.REDIS_PREFIX);
  // Queues differ in job types; here they are only closed.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const started: { queue: Queue<any, any, any>; worker: Worker<any, any, any> }[] = [];
  const maintenance = await initMaintenance(db, connection, prefix);
  started.push(maintenance);
  const settings = workerSettings();
  const storage = createStorage();
  // Consultation jobs (and files that become attachments) notify users through the servers' Socket.IO Redis adapter channel.
  const sink = new Emitter(connection, { key: `${config.REDIS_PREFIX}:socket.io` }) as unknown as EventSink;
  started.push(
    await initUploads({ db, storage, sink, faultDelayMs: settings.YILIAN_FAULT_DELAY_MS }, connection, prefix, {
      concurrency: settings.UPLOADS_CONCURRENCY,
      lockDuration: settings.WORKER_LOCK_MS,
      stalledInterval: settings.WORKER_STALLED_INTERVAL_MS,
    }),
  );
  started.push(
    await initPacsImports(
      {
        db,
        storage,
        sink,
        keyB64: config.PATIENT_DATA_KEY,
        policy: pacsAddressPolicy(config),
        maxStudyBytes: config.PACS_MAX_STUDY_MB * 1024 * 1024,
        concurrency: settings.PACS_IMPORT_CONCURRENCY,
      },
      connection,
      prefix,
    ),
  );
  started.push(await initStatistics(db, connection, prefix));
  started.push(
    await initRecording(
      {
        db,
        storage,
        faultDelayMs: settings.YILIAN_FAULT_DELAY_MS,
        owners: { redis: connection, prefix: config.REDIS_PREFIX },
      },
      connection,
      prefix,
      {
        ...(settings.WORKER_LOCK_MS !== 30_000 ? { lockDuration: settings.WORKER_LOCK_MS } : {}),
        stalledInterval: settings.WORKER_STALLED_INTERVAL_MS,
      },
    ),
  );
  started.push(await initTrainingReminders(db, connection, prefix, config.REDIS_PREFIX));
  started.push(
    await initConsultationSla(db, sink, connection, prefix),
    await initConsultationReminders(db, sink, connection, prefix),
  );
  started.push(await initConsultationReturns(db, sink, connection, prefix));
  for (const { worker } of started) worker.on("error", (err) => console.error(`worker error: ${err.message}`));
  return {
    queueNames: [
      MAINTENANCE_QUEUE,
      UPLOADS_QUEUE,
      PACS_IMPORTS_QUEUE,
      STATISTICS_QUEUE,
      RECORDING_QUEUE,
      TRAINING_REMINDERS_QUEUE,
      SLA_QUEUE,
      REMINDER_QUEUE,
      RETURNS_QUEUE,
    ],
    async stop() {
      await Promise.all(started.map(({ worker }) => worker.close()));
      await Promise.all(started.map(({ queue }) => queue.close()));
      await db.$disconnect();
      connection.disconnect();
    },
  };
}
