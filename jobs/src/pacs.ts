import type { JobsOptions } from "bullmq";
import { z } from "zod";

export const PACS_IMPORTS_QUEUE = "pacs-imports";
export type PacsImportJobName = "import";
export const PacsImportJobData = z.object({ importId: z.string().min(1) });
export type PacsImportJobData = z.infer<typeof PacsImportJobData>;

/**
 * One job per attempt of an import (a retry after FAILED is a new attempt). Transient PACS faults (unreachable,
 * timeouts, 5xx) are retried by BullMQ; already staged instances are skipped each time.
 */
export function pacsImportJobOptions(importId: string, attempt: number): JobsOptions {
  return {
    jobId: `pacs-import-${importId}-${attempt}`,
    attempts: 3,
    backoff: { type: "exponential", delay: 3000 },
    removeOnComplete: { age: 7 * 86_400 },
    removeOnFail: { age: 30 * 86_400 },
  };
}
