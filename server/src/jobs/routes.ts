// Mounts the job-backed domains (uploads, statistics, PACS imports) and the queue console. One entry point keeps app.ts tidy;
// the producer queues share the server's Redis connection, so the server's stop() closes them too.
import { Router, type RequestHandler } from "express";
import path from "node:path";
import type { Services } from "../services";
import { createStorage, scratchDir, storageConfig, type Storage } from "@yilian/storage";
import { uploadKinds } from "../uploads/kinds";
import { uploadRoutes } from "../uploads/routes";
import { resumableUploads } from "../uploads/resumable";
import { statisticsRoutes } from "../statistics/routes";
import { pacsRoutes } from "../pacs/routes";
import { dicomwebRoutes } from "../dicomweb/routes";
import { boardRoutes } from "./board";
import { createQueues, type AppQueues } from "./queues";

export interface JobRoutesOptions {
  storage?: Storage;
  queues?: AppQueues;
}

export function jobRoutes(services: Services, requireAuth: RequestHandler, opts: JobRoutesOptions = {}): Router {
  const { db, redis, config, tokens, logger } = services;
  const storage = opts.storage ?? createStorage();
  const queues = opts.queues ?? createQueues(redis, config.REDIS_PREFIX);
  const router = Router();
  const uploads = { db, storage, queues, kinds: uploadKinds(), scratch: () => scratchDir(), log: logger, requireAuth };
  router.use(uploadRoutes(uploads));
  // Partial files stay on this server's disk, beside local storage (the finished file moves into storage).
  const tusDir = path.join(path.resolve(storageConfig().STORAGE_DIR), ".tus");
  router.use(
    resumableUploads(uploads, { directory: tusDir, expiryMs: config.UPLOAD_RESUMABLE_EXPIRY_S * 1000 }).router,
  );
  router.use(statisticsRoutes({ db, queues, requireAuth }));
  router.use(pacsRoutes({ db, config, queues, requireAuth }));
  router.use(dicomwebRoutes({ db, storage, scratch: () => scratchDir(), requireAuth }));
  router.use(
    boardRoutes({
      db,
      redis,
      redisPrefix: config.REDIS_PREFIX,
      tokens,
      queues,
      requireAuth,
      secureCookies: config.NODE_ENV === "production",
    }),
  );
  return router;
}
