// Resumable uploads through the tus protocol (tus-js-client against the server's /api/uploads/tus): a cut line
// resumes from the bytes the server already has, automatically within one call (retries) and, in browsers, across
// page reloads (the upload's address is remembered by the file's fingerprint until it succeeds).
import { Upload, type DetailedError } from "tus-js-client";
import type { UploadView } from "@yilian/contract";
import { YilianError } from "../errors";
import type { RestCore } from "./core";

/** Files from this size up go through tus (default of `upload`); smaller ones in one multipart request. */
export const RESUMABLE_FROM_BYTES = 8 * 1024 * 1024;

export interface UploadOptions {
  onProgress?: (fraction: number) => void;
  /** true: always tus; false: always multipart; default: tus from RESUMABLE_FROM_BYTES. */
  resumable?: boolean;
  /** Cancels the upload (what arrived stays on the server until it expires, so a later upload can resume it). */
  signal?: AbortSignal;
  /** Waits between retries after a cut (ms); the default keeps trying for about a minute. */
  retryDelays?: number[];
  /** Bytes per PATCH request (default: the whole rest of the file in one request). */
  chunkSize?: number;
}

const DEFAULT_RETRY_DELAYS = [0, 1000, 2000, 5000, 10_000, 15_000, 30_000];
const isBrowser = typeof window !== "undefined" && typeof document !== "undefined";

export function resumableUpload(
  core: RestCore,
  consultationId: string,
  file: Blob,
  name: string,
  opts: UploadOptions = {},
): Promise<UploadView> {
  return (async () => {
    // Node's tus-js-client reads Buffers; browsers read the Blob in slices. (Buffer through globalThis: the
    // package's declarations are built without Node's types, for browser integrators.)
    const NodeBuffer = (globalThis as unknown as { Buffer?: { from(data: ArrayBuffer): Blob } }).Buffer;
    const input = isBrowser || !NodeBuffer ? file : NodeBuffer.from(await file.arrayBuffer());
    let refreshing: Promise<unknown> | null = null;
    return new Promise<UploadView>((resolve, reject) => {
      const upload = new Upload(input, {
        endpoint: `${core.baseUrl}/api/uploads/tus`,
        metadata: { consultationId, filename: name, filetype: file.type || "" },
        retryDelays: opts.retryDelays ?? DEFAULT_RETRY_DELAYS,
        ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
        storeFingerprintForResuming: isBrowser,
        removeFingerprintOnSuccess: true,
        onBeforeRequest: async (req) => {
          if (refreshing) await refreshing.catch(() => undefined);
          const token = await core.accessToken();
          if (token) req.setHeader("Authorization", `Bearer ${token}`);
        },
        onShouldRetry: (err: DetailedError, attempt, o) => {
          const status = err.originalResponse?.getStatus() ?? 0;
          if (status === 401 && attempt < 2) {
            refreshing = core.refresh().finally(() => (refreshing = null));
            return true;
          }
          // The library's rule: network failures, 5xx, 409 (offset) and 423 (locked) are worth another try.
          return (
            attempt < (o.retryDelays?.length ?? 0) &&
            (status === 0 || status >= 500 || status === 409 || status === 423)
          );
        },
        onProgress: (sent, total) => opts.onProgress?.(total ? sent / total : 1),
        onSuccess: ({ lastResponse }) => {
          const body = lastResponse?.getBody();
          try {
            resolve(JSON.parse(body) as UploadView);
          } catch {
            reject(new YilianError("NETWORK", "上传已完成，但未收到服务器的确认，请刷新资料列表查看", { status: 0 }));
          }
        },
        onError: (e) => {
          const res = (e as DetailedError).originalResponse;
          if (!res) {
            reject(new YilianError("NETWORK", "网络中断，上传未完成；重新上传同一文件会从中断处继续", { status: 0 }));
            return;
          }
          let body: Record<string, unknown> | null = null;
          try {
            body = JSON.parse(res.getBody()) as Record<string, unknown>;
          } catch {
            /* not problem+json */
          }
          const err = YilianError.fromProblem(res.getStatus(), body);
          core.sessionEnded(err);
          reject(err);
        },
      });
      opts.signal?.addEventListener("abort", () => {
        void upload.abort();
        reject(new YilianError("ABORTED", "上传已取消", { status: 0 }));
      });
      void upload.findPreviousUploads().then(
        (previous) => {
          if (previous[0]) upload.resumeFromPreviousUpload(previous[0]);
          upload.start();
        },
        () => upload.start(),
      );
    });
  })();
}
