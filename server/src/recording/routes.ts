// Recording endpoints: start / stop (specialist or lecturer), list and status, playback with Range, poster.
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { MediaApi } from "@yilian/media/api";
import type { Services } from "../app";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import { createStorage, type Storage } from "../storage/storage";
import { createQueues, type AppQueues } from "../jobs/queues";
import * as rec from "./recordings";

const IdParams = z.object({ id: z.uuid() });
const ListQuery = z.object({ subject: z.enum(["CONSULTATION", "TRAINING"]), subjectId: z.uuid() });

export function recordingRoutes(
  services: Pick<Services, "db" | "redis" | "config" | "logger">,
  requireAuth: RequestHandler,
  media: () => Promise<MediaApi>,
  opts: { storage?: Storage; queues?: AppQueues } = {},
): Router {
  const deps: rec.RecordingDeps = {
    db: services.db,
    storage: opts.storage ?? createStorage(),
    queues: opts.queues ?? createQueues(services.redis, services.config.REDIS_PREFIX),
    media,
    log: services.logger,
  };
  const router = Router();
  const route = routeGroup(router, { prefix: "/api/recordings", tag: "recordings", auth: requireAuth });
  route({ method: "post", path: "", summary: "Start recording a live consultation or training room", schemas: { body: rec.StartRecordingBody } }, async ({ body }, _req, res) => {
    res.status(201).json(await rec.startRecording(deps, currentUser(res), body));
  });
  route({ method: "post", path: "/:id/stop", summary: "Stop a recording; post-processing follows (status PROCESSING → READY / FAILED)", schemas: { params: IdParams } }, ({ params }, _req, res) =>
    rec.stopRecording(deps, currentUser(res), params.id),
  );
  route({ method: "get", path: "", summary: "Recordings of a consultation or training session", schemas: { query: ListQuery } }, ({ query }, _req, res) =>
    rec.listRecordings(deps.db, currentUser(res), query.subject, query.subjectId),
  );
  route({ method: "get", path: "/:id", summary: "One recording", schemas: { params: IdParams } }, ({ params }, _req, res) => rec.getRecording(deps.db, currentUser(res), params.id));
  route({ method: "get", path: "/:id/video", summary: "Playback (MP4, Range supported)", schemas: { params: IdParams } }, async ({ params }, req, res) => {
    await rec.sendRecording(deps, currentUser(res), params.id, req, res, "video");
  });
  route({ method: "get", path: "/:id/poster", summary: "Poster image", schemas: { params: IdParams } }, async ({ params }, req, res) => {
    await rec.sendRecording(deps, currentUser(res), params.id, req, res, "poster");
  });
  return router;
}
