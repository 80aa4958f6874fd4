// Wires the consultation domain into a server process: routes, presence tracking, queues. create/close mirror.
import type { RequestHandler, Router } from "express";
import type { Services } from "../services";
import type { IoServer } from "../realtime/io";
import { ConsultationQueues } from "./jobs";
import type { ConsultationDeps } from "./deps";
import { consultationRoutes } from "./routes";
import { registerPresence } from "./presence";
import { markStarted } from "./mark-started";
import type { EventSink } from "./notify";

/** After these the consultation's session is over: its video room closes even with peers still inside. */
const SESSION_ENDED = new Set(["CLOSED", "CANCELLED", "EXPIRED", "REJECTED"]);

export interface ConsultationModule {
  router: Router;
  deps: ConsultationDeps;
  attach(io: IoServer): void;
  /** For the media service: the first assigned specialist joining the room starts the consultation. */
  markStarted(consultationId: string, userId: string): Promise<boolean>;
  /** For the media service: called once a consultation's session has ended (closed, cancelled, ...). */
  onSessionEnded(listener: (consultationId: string) => void): void;
  close(): Promise<void>;
}

/** The Socket.IO sink, also telling `listeners` when a published event reports an ended session. */
function endAwareSink(io: IoServer, listeners: ((consultationId: string) => void)[]): EventSink {
  return {
    to: (room) => ({
      emit: (ev, ...args) => {
        const result = io.to(room).emit(ev, ...args);
        const payload = args[0] as { consultationId?: string; status?: string } | undefined;
        if (payload?.consultationId && payload.status && SESSION_ENDED.has(payload.status)) {
          for (const l of listeners) l(payload.consultationId);
        }
        return result;
      },
    }),
  };
}

export function createConsultationModule(services: Services, requireAuth: RequestHandler): ConsultationModule {
  let io: IoServer | undefined;
  let presence: { stop(): void } | undefined;
  const endedListeners: ((consultationId: string) => void)[] = [];
  const deps: ConsultationDeps = {
    db: services.db,
    redis: services.redis,
    config: services.config,
    queues: new ConsultationQueues(services.redis, services.config.REDIS_PREFIX),
    sink: () => {
      if (!io) throw new Error("consultation events before Socket.IO was attached");
      return endAwareSink(io, endedListeners);
    },
  };
  return {
    router: consultationRoutes(deps, requireAuth),
    deps,
    attach(server) {
      io = server;
      presence = registerPresence(server, { redis: services.redis, redisPrefix: services.config.REDIS_PREFIX });
    },
    markStarted: (consultationId, userId) => markStarted(deps, consultationId, userId),
    onSessionEnded: (listener) => endedListeners.push(listener),
    close: async () => {
      presence?.stop();
      await deps.queues.close();
      // Events emitted just before shutdown are Redis PUBLISHes still awaiting their reply; the adapter does not
      // handle a rejection when its client closes. Redis answers in order, so one PING drains them.
      const pub = (io?.of("/").adapter as unknown as { pubClient?: { ping?: () => Promise<unknown> } } | undefined)
        ?.pubClient;
      await pub?.ping?.().catch(() => undefined);
    },
  };
}
