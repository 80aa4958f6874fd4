// statistics: the monthly rollup. A job scheduler runs at 02:00 Asia/Shanghai on the 1st and computes the previous
// month; "recompute" jobs (from the statistics API or an operator) compute any month. Both are idempotent.
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import type { Db } from "@yilian/server";
import { STATISTICS_QUEUE, StatisticsJobData, type StatisticsJobName } from "@yilian/jobs";
import { computeMonth, MONTHS_AT_ONCE, previousMonth, type MonthResult } from "../statistics/compute";

export { STATISTICS_QUEUE };
export const MONTHLY_SCHEDULER_ID = "monthly-statistics";
export const MONTHLY_CRON = "0 2 1 * *";

export async function execStatisticsJob(
  db: Db,
  job: Pick<Job<StatisticsJobData>, "data" | "timestamp">,
): Promise<MonthResult> {
  // The scheduled run names no month: it is the month before the job's own fire time (not "now", which drifts on retries).
  const month = StatisticsJobData.parse(job.data).month ?? previousMonth(new Date(job.timestamp));
  return computeMonth(db, month);
}

export async function initStatistics(db: Db, connection: ConnectionOptions, prefix: string) {
  const queue = new Queue<StatisticsJobData, MonthResult, StatisticsJobName>(STATISTICS_QUEUE, { connection, prefix });
  // Keyed by id: calling this on every boot updates the one scheduler, never adds a second.
  await queue.upsertJobScheduler(
    MONTHLY_SCHEDULER_ID as StatisticsJobName, // bullmq types the scheduler id like a job name
    { pattern: MONTHLY_CRON, tz: "Asia/Shanghai" },
    {
      name: "monthly",
      data: {},
      opts: { attempts: 3, backoff: { type: "exponential", delay: 60_000 }, removeOnComplete: 100, removeOnFail: 500 },
    },
  );
  const worker = new Worker<StatisticsJobData, MonthResult, StatisticsJobName>(
    STATISTICS_QUEUE,
    (job) => execStatisticsJob(db, job),
    {
      connection,
      prefix,
      // An administrator recomputing several months: as many at once as a year's recompute (the same month twice
      // queues on its advisory lock).
      concurrency: MONTHS_AT_ONCE,
      // A year of province data takes a while; keep the lock renewed generously.
      lockDuration: 120_000,
    },
  );
  return { queue, worker };
}
