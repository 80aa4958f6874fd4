import { createDb, createRedis, type Config } from "@yilian/server";
import type { Queue, Worker } from "bullmq";
import { initMaintenance, MAINTENANCE_QUEUE } from "./queues/maintenance";

export interface RunningWorkers {
  queueNames: string[];
  stop(): Promise<void>;
}

/** Starts every queue processor of this package; stop() closes workers first, then queues and connections. */
export async function startWorkers(config: Config): Promise<RunningWorkers> {
  const db = createDb(config.DATABASE_URL);
  const connection = createRedis(config.REDIS_URL);
  const prefix = `${config.REDIS_PREFIX}:bull`;
  // Queues differ in job types; here they are only closed.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const started: { queue: Queue<any, any, any>; worker: Worker<any, any, any> }[] = [];
  const maintenance = await initMaintenance(db, connection, prefix);
  started.push(maintenance);
  for (const { worker } of started) worker.on("error", (err) => console.error(`worker error: ${err.message}`));
  return {
    queueNames: [MAINTENANCE_QUEUE],
    async stop() {
      await Promise.all(started.map(({ worker }) => worker.close()));
      await Promise.all(started.map(({ queue }) => queue.close()));
      await db.$disconnect();
      connection.disconnect();
    },
  };
}
