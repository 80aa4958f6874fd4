// Worker tuning from the environment (parsed once with zod; defaults suit production).
import { z } from "zod";

const Settings = z.object({
  UPLOADS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Instances of one PACS study analysed at once, and retrieves (a study, a series or one instance) running at once. */
  PACS_IMPORT_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(6),
  /** BullMQ lock / stalled-check: how soon a job of a dead worker is picked up again. */
  WORKER_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
  /** Fault-injection for the reliability tests only: pause mid-job so a process can be killed there. */
  YILIAN_FAULT_DELAY_MS: z.coerce.number().int().min(0).default(0),
});
export type WorkerSettings = z.infer<typeof Settings>;

export function workerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const s = Settings.parse(env);
  if (s.YILIAN_FAULT_DELAY_MS && env.NODE_ENV === "production")
    throw new Error("YILIAN_FAULT_DELAY_MS is for tests only");
  return s;
}
