// maintenance: nightly housekeeping of authentication data (expired and revoked refresh tokens).
import { Queue, Worker, type ConnectionOptions } from "bullmq";
import type { Db } from "@yilian/server";

export const MAINTENANCE_QUEUE = "maintenance";
export type MaintenanceJobName = "purge-refresh-tokens";
export interface MaintenanceJobData {
  /** Keep revoked / expired tokens this long for the audit trail. */
  retainDays: number;
}

export async function execPurgeRefreshTokens(db: Db, data: MaintenanceJobData): Promise<{ deleted: number }> {
  const cutoff = new Date(Date.now() - data.retainDays * 86_400_000);
  const { count } = await db.refreshToken.deleteMany({
    where: { OR: [{ expiresAt: { lt: cutoff } }, { revokedAt: { lt: cutoff } }] },
  });
  return { deleted: count };
}

export async function initMaintenance(db: Db, connection: ConnectionOptions, prefix: string) {
  const queue = new Queue<MaintenanceJobData, unknown, MaintenanceJobName>(MAINTENANCE_QUEUE, { connection, prefix });
  // Safe on every boot: the scheduler is keyed by id, so restarts never duplicate it.
  await queue.upsertJobScheduler(
    "purge-refresh-tokens",
    { pattern: "30 3 * * *", tz: "Asia/Shanghai" },
    { name: "purge-refresh-tokens", data: { retainDays: 30 }, opts: { removeOnComplete: 100, removeOnFail: 500 } },
  );
  const worker = new Worker<MaintenanceJobData, unknown, MaintenanceJobName>(
    MAINTENANCE_QUEUE,
    async (job) => execPurgeRefreshTokens(db, job.data),
    { connection, prefix, concurrency: 1 },
  );
  return { queue, worker };
}
