// pacs-imports: one job per import attempt (worker/src/pacs/import.ts). Final failures (wrong password, study
// gone, non-DICOM data, too large) end the import FAILED at once; transient ones (network, PACS 5xx) are retried
// with backoff and end FAILED with their reason after the last attempt. The doctor retries by importing again.
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import { PACS_IMPORTS_QUEUE, PacsImportJobData, type PacsImportJobName } from "@yilian/jobs";
import { execPacsImport, ImportFailure, markImportFailed, type PacsImportContext } from "../pacs/import";

export { PACS_IMPORTS_QUEUE };

export async function initPacsImports(
  ctx: PacsImportContext,
  connection: ConnectionOptions,
  prefix: string,
  opts: { concurrency?: number } = {},
) {
  const queue = new Queue<PacsImportJobData, unknown, PacsImportJobName>(PACS_IMPORTS_QUEUE, { connection, prefix });
  const worker = new Worker<PacsImportJobData, unknown, PacsImportJobName>(
    PACS_IMPORTS_QUEUE,
    async (job: Job<PacsImportJobData, unknown, PacsImportJobName>) => {
      const { importId } = PacsImportJobData.parse(job.data);
      try {
        return await execPacsImport(ctx, importId);
      } catch (e) {
        const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
        if (e instanceof ImportFailure && (!e.transient || last)) {
          await markImportFailed(ctx, importId, e);
          return { status: "FAILED", code: e.code };
        }
        if (e instanceof ImportFailure) {
          // Shown while the queue waits to retry; the import stays RUNNING.
          await ctx.db.pacsImport.updateMany({
            where: { id: importId, status: "RUNNING" },
            data: { failCode: e.code, failReason: e.reason },
          });
        }
        throw e;
      }
    },
    { connection, prefix, concurrency: opts.concurrency ?? 1 },
  );
  worker.on("failed", (job, err) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    // An unexpected fault (database, storage) after the last attempt: the doctor still gets a reason and a retry.
    void markImportFailed(
      ctx,
      job.data.importId,
      new ImportFailure("INTERNAL", `导入失败（系统错误），请稍后重新导入：${err.message.slice(0, 100)}`),
    ).catch(() => undefined);
  });
  return { queue, worker };
}
