// Recording endpoints: start / stop (specialist or lecturer), participants' consent (consultations), list and
// status, playback with Range, poster. State changes are sent to the room's participants over Socket.IO.
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import {
  RecordingConsentAnswerBody,
  RecordingConsentRequestBody,
  RecordingConsentView,
  RecordingList,
  RecordingRoomState,
  RecordingView,
} from "@yilian/contract";
import type { MediaApi } from "@yilian/media/api";
import type { Services } from "../services";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import { createStorage, type Storage } from "@yilian/storage";
import { createQueues, type AppQueues } from "../jobs/queues";
import type { IoServer } from "../realtime/io";
import { roomChannel } from "../media/hub";
import * as rec from "./recordings";
import * as consent from "./consent";

const IdParams = z.object({ id: z.uuid() });
const ListQuery = z.object({ subject: z.enum(["CONSULTATION", "TRAINING"]), subjectId: z.uuid() });
const StateQuery = z.object({ subjectId: z.uuid() });

/**
 * The recording endpoints, and this process's part in keeping recordings running: it takes over those whose
 * recorder process died, and hands its own over when it stops (`close`).
 */
export function createRecordingModule(
  services: Pick<Services, "db" | "redis" | "config" | "logger">,
  requireAuth: RequestHandler,
  media: () => Promise<MediaApi>,
  opts: { storage?: Storage; queues?: AppQueues; io?: () => IoServer | undefined } = {},
): { router: Router; close(): Promise<void> } {
  // Recording events go to the media room's channel: everyone present, on any server process (Redis adapter).
  const toRoom = (roomKey: string) => opts.io?.()?.to(roomChannel(roomKey));
  const deps: consent.ConsentDeps = {
    db: services.db,
    storage: opts.storage ?? createStorage(),
    queues: opts.queues ?? createQueues(services.redis, services.config.REDIS_PREFIX),
    media,
    log: services.logger,
    redis: services.redis,
    prefix: services.config.REDIS_PREFIX,
    owner: { redis: services.redis, prefix: services.config.REDIS_PREFIX },
    announce: (roomKey, e) => void toRoom(roomKey)?.emit("recording:changed", e),
    announceConsent: (roomKey, v) => void toRoom(roomKey)?.emit("recording:consent", v),
  };
  const router = Router();
  const route = routeGroup(router, { prefix: "/api/recordings", tag: "recordings", auth: requireAuth });
  route(
    {
      method: "post",
      path: "",
      summary: "Start recording a live consultation or training room",
      schemas: { body: rec.StartRecordingBody },
      response: RecordingView,
      status: 201,
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await rec.startRecording(deps, currentUser(res), body));
    },
  );
  route(
    {
      method: "post",
      path: "/:id/stop",
      summary: "Stop a recording; post-processing follows (status PROCESSING → READY / FAILED)",
      schemas: { params: IdParams },
      response: RecordingView,
    },
    ({ params }, _req, res) => rec.stopRecording(deps, currentUser(res), params.id),
  );
  // Consultations: participants' consent before recording (rule in contract/src/recording.ts).
  route(
    {
      method: "post",
      path: "/consent-requests",
      summary: "Ask the participants present to agree to recording a consultation (assigned specialist)",
      schemas: { body: RecordingConsentRequestBody },
      response: RecordingConsentView,
      status: 201,
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await consent.requestConsent(deps, currentUser(res), body.subjectId));
    },
  );
  route(
    {
      method: "post",
      path: "/consent-requests/:id/answer",
      summary: "Agree or refuse to be recorded (a participant asked)",
      schemas: { params: IdParams, body: RecordingConsentAnswerBody },
      response: RecordingConsentView,
    },
    ({ params, body }, _req, res) => consent.answerConsent(deps, currentUser(res), params.id, body.agree),
  );
  route(
    {
      method: "get",
      path: "/room-state",
      summary: "A consultation room's running recording and pending consent request",
      schemas: { query: StateQuery },
      response: RecordingRoomState,
    },
    ({ query }, _req, res) => consent.roomState(deps, currentUser(res), query.subjectId),
  );
  route(
    {
      method: "post",
      path: "/:id/consent",
      summary: "Agree or refuse to a running recording (entered while recording; refusing stops it)",
      schemas: { params: IdParams, body: RecordingConsentAnswerBody },
      response: RecordingRoomState,
    },
    ({ params, body }, _req, res) => consent.answerRunning(deps, currentUser(res), params.id, body.agree),
  );
  route(
    {
      method: "get",
      path: "",
      summary: "Recordings of a consultation or training session",
      schemas: { query: ListQuery },
      response: RecordingList,
    },
    ({ query }, _req, res) => rec.listRecordings(deps.db, currentUser(res), query.subject, query.subjectId),
  );
  route(
    { method: "get", path: "/:id", summary: "One recording", schemas: { params: IdParams }, response: RecordingView },
    ({ params }, _req, res) => rec.getRecording(deps.db, currentUser(res), params.id),
  );
  route(
    {
      method: "get",
      path: "/:id/video",
      summary: "Playback (MP4, Range supported)",
      schemas: { params: IdParams },
      produces: ["video/mp4"],
    },
    async ({ params }, req, res) => {
      await rec.sendRecording(deps, currentUser(res), params.id, req, res, "video");
    },
  );
  route(
    {
      method: "get",
      path: "/:id/poster",
      summary: "Poster image",
      schemas: { params: IdParams },
      produces: ["image/jpeg"],
    },
    async ({ params }, req, res) => {
      await rec.sendRecording(deps, currentUser(res), params.id, req, res, "poster");
    },
  );
  const serving = rec.serveRecordings(deps);
  serving.catch((err) =>
    services.logger.warn({ err: String(err) }, "recordings: not serving the deployment's recordings"),
  );
  return {
    router,
    close: async () => {
      await (await serving.catch(() => async () => undefined))();
      await rec.handOverRecordings(deps);
    },
  };
}
