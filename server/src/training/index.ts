// Remote training (远程教学) wired as one module: REST routes, Socket.IO handlers, the live-session state and
// the reminder queue. app.ts mounts the router, attaches the Socket.IO server once it exists, and closes it.
import type { RequestHandler, Router } from "express";
import type { Redis } from "ioredis";
import type { Db } from "../db";
import type { IoServer } from "../realtime/io";
import { TrainingLive, type EventSink } from "./live";
import { TrainingQueues } from "./jobs";
import { trainingRoutes } from "./routes";
import { registerTrainingHandlers } from "./socket";
import { connectTrainingMedia, type TrainingRoomAccess } from "./media-access";

export interface TrainingModule {
  router: Router;
  live: TrainingLive;
  queues: TrainingQueues;
  attach(io: IoServer): void;
  /** Registers the training room kind with the media service's access seam (admission + per-produce check). */
  connectMedia(access: TrainingRoomAccess): void;
  close(): Promise<void>;
}

export function createTrainingModule(deps: {
  db: Db;
  redis: Redis;
  redisPrefix: string;
  requireAuth: RequestHandler;
}): TrainingModule {
  let io: IoServer | null = null;
  // Routes are mounted before the Socket.IO server exists; events go to it once attached.
  const sink: EventSink = {
    to: (room) => {
      if (!io) return { emit: () => false };
      return io.to(room) as unknown as ReturnType<EventSink["to"]>;
    },
  };
  const live = new TrainingLive({ db: deps.db, redis: deps.redis, redisPrefix: deps.redisPrefix, sink });
  const queues = new TrainingQueues(deps.redis, deps.redisPrefix);
  const router = trainingRoutes({ db: deps.db, requireAuth: deps.requireAuth, live, queues, sink });
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  return {
    router,
    live,
    queues,
    attach(server) {
      io = server;
      server.on("connection", (socket) => registerTrainingHandlers(socket, { db: deps.db, live, track }));
    },
    connectMedia: (access) => connectTrainingMedia(access, live),
    // Called after Socket.IO closed (its disconnects record LEAVEs) and before the database goes away.
    async close() {
      await Promise.allSettled([...pending]);
      await queues.close();
    },
  };
}

export { TrainingLive, type TrainingMediaHooks, type EventSink } from "./live";
export { trainingNotification, notificationRooms } from "./jobs";
export { finalizeAttendance, recordPresence } from "./presence";
export { markEnded } from "./end-training";
