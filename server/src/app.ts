// Builds the HTTP + Socket.IO server. createYilianServer/stop mirror each other; all routers are mounted here and
// the modules are connected to each other in connectModules().
import { createServer, type Server as HttpServer } from "node:http";
import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import helmet from "helmet";
import { pinoHttp } from "pino-http";
import { runWithContext } from "./http/context";
import { answerClientError, errorHandler, routeNotFound } from "./http/problem";
import { rejectUnsafeInput } from "./http/validate";
import { consoleRoutes } from "./http/console";
import { healthRoutes } from "./http/health";
import { newProfile, serverTimingHeader } from "./http/profile";
import { metricsMiddleware } from "./http/metrics";
import type { Services } from "./services";
import { requireAuth } from "./auth/middleware";
import { authRoutes } from "./auth/routes";
import { networkRoutes } from "./network/routes";
import { userRoutes } from "./users/routes";
import { createIo, type IoServer } from "./realtime/io";
import { createConsultationModule, type ConsultationModule } from "./consultations/module";
import { createTrainingModule, type TrainingModule } from "./training";
import { jobRoutes } from "./jobs/routes";
import { createRecordingModule } from "./recording/routes";
import { createMediaModule, type MediaModule } from "./media";

export interface YilianServer {
  app: Express;
  httpServer: HttpServer;
  io: IoServer;
  services: Services;
  /** The consultation domain; media calls consultations.markStarted() when a specialist joins a room. */
  consultations: ConsultationModule;
  /** Live rooms (mediasoup): admission rules per room kind, peer sessions, the media backend. */
  media: MediaModule;
  listen(): Promise<{ port: number; url: string }>;
  stop(): Promise<void>;
}

export function createYilianServer(services: Services): YilianServer {
  const { config, db, redis, tokens, auth, logger } = services;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.TRUST_PROXY);
  app.set("query parser", "simple");

  app.use((req, res, next) => {
    const requestId = (req.headers["x-request-id"] as string | undefined)?.slice(0, 64) || randomUUID();
    res.setHeader("x-request-id", requestId);
    const profile = config.PROFILE_REQUESTS ? newProfile() : undefined;
    runWithContext({ requestId, ip: req.ip, userAgent: req.headers["user-agent"], profile }, next);
  });
  if (config.PROFILE_REQUESTS) app.use(serverTimingHeader);
  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => res.getHeader("x-request-id") as string,
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/metrics" },
      // Method, path and status only: headers and query strings may carry tokens or patient details.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split("?")[0],
        }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
    }),
  );
  // CSP defaults plus what the web console needs: live connection (ws:), blob: previews, PDFs and media.
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          "connect-src": ["'self'", "ws:", "wss:"],
          "img-src": ["'self'", "data:", "blob:"],
          "media-src": ["'self'", "blob:"],
          "worker-src": ["'self'", "blob:"],
        },
      },
    }),
  );
  app.use(metricsMiddleware);
  app.use(express.json({ limit: config.JSON_BODY_LIMIT, strict: true }));
  app.use(rejectUnsafeInput);

  app.use(healthRoutes({ db, redis }));

  const authMw = requireAuth(tokens);
  app.use(authRoutes({ auth, requireAuth: authMw, config, redis }));
  app.use(networkRoutes({ db, requireAuth: authMw }));
  app.use(userRoutes({ db, auth, requireAuth: authMw }));
  const consultations = createConsultationModule(services, authMw);
  app.use(consultations.router);
  const training = createTrainingModule({ db, redis, redisPrefix: config.REDIS_PREFIX, requireAuth: authMw });
  app.use(training.router);
  app.use(jobRoutes(services, authMw));

  const media = createMediaModule(services);
  app.use(media.router);
  let io: IoServer | undefined; // created below with the HTTP server; recordings announce through it
  const recordings = createRecordingModule(services, authMw, () => media.hub.media(), { io: () => io });
  app.use(recordings.router);

  app.use(consoleRoutes());
  app.use(routeNotFound);
  app.use(errorHandler);

  const httpServer = createServer(app);
  httpServer.on("clientError", answerClientError);
  const realtime = createIo(httpServer, { tokens, auth, redis, redisPrefix: config.REDIS_PREFIX });
  io = realtime.io;
  consultations.attach(realtime.io);
  training.attach(realtime.io);
  media.attach(realtime.io);
  connectModules({ consultations, training, media });

  return {
    app,
    httpServer,
    io: realtime.io,
    services,
    consultations,
    media,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(config.PORT, config.HOST, () => {
          const addr = httpServer.address();
          const port = typeof addr === "object" && addr ? addr.port : config.PORT;
          const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? "127.0.0.1" : config.HOST;
          resolve({ port, url: config.PUBLIC_URL ?? `http://${host}:${port}` });
        });
      }),
    stop: async () => {
      await recordings.close(); // first: running recordings are handed over with their last chunks stored
      await consultations.close(); // stops presence announcements before the adapter's clients close
      await realtime.close();
      await training.close();
      await media.close();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await db.$disconnect();
      redis.disconnect();
    },
  };
}

/**
 * What the modules need from each other, in one place: the media hub closes a consultation's room when its
 * session ends, a specialist joining starts the consultation, and training moderation reaches the media rooms.
 */
function connectModules(m: { consultations: ConsultationModule; training: TrainingModule; media: MediaModule }): void {
  const { consultations, training, media } = m;
  consultations.onSessionEnded((id) => void media.hub.closeRoom("consultation", id));
  // The first assigned specialist entering a consultation room starts the consultation.
  media.hub.access.onPeerJoined((kind, roomId, user, grant) =>
    kind === "consultation" && grant.role === "SPECIALIST"
      ? consultations.markStarted(roomId, user.id).then(() => undefined)
      : undefined,
  );
  training.live.media = {
    closeProducersOf: (sessionId, userId) => media.hub.closeProducersOfUser("training", sessionId, userId),
    closeRoom: (sessionId) => media.hub.closeRoom("training", sessionId),
    setAudioOnly: (sessionId, userId, on) => media.hub.setAudioOnlyOfUser("training", sessionId, userId, on),
  };
  training.connectMedia(media.hub.access);
}
