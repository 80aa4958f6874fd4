// Builds the HTTP + Socket.IO server. createServer/stop mirror each other; all routers are mounted here.
import { createServer, type Server as HttpServer } from "node:http";
import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import helmet from "helmet";
import { pinoHttp } from "pino-http";
import pino from "pino";
import type { Redis } from "ioredis";
import type { Config } from "./config";
import { createDb, type Db } from "./db";
import { createRedis } from "./redis";
import { runWithContext } from "./http/context";
import { errorHandler, routeNotFound } from "./http/problem";
import { rejectUnsafeInput } from "./http/validate";
import { consoleRoutes } from "./http/console";
import { newProfile, serverTimingHeader } from "./http/profile";
import { metricsMiddleware, metricsRegistry } from "./http/metrics";
import { openApiDocument } from "./http/openapi";
import { TokenService } from "./auth/tokens";
import { SessionRegistry } from "./auth/sessions";
import { LoginLockout } from "./auth/lockout";
import { AuthService } from "./auth/service";
import { requireAuth } from "./auth/middleware";
import { authRoutes } from "./auth/routes";
import { networkRoutes } from "./network/routes";
import { userRoutes } from "./users/routes";
import { createIo, type IoServer } from "./realtime/io";
import { createConsultationModule, type ConsultationModule } from "./consultations/module";
import { createTrainingModule } from "./training";
import { jobRoutes } from "./jobs/routes";
import { recordingRoutes } from "./recording/routes";
import { createMediaModule, type MediaModule } from "./media";

export interface Services {
  config: Config;
  db: Db;
  redis: Redis;
  tokens: TokenService;
  auth: AuthService;
  logger: pino.Logger;
}

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

export function createServices(config: Config): Services {
  const logger = pino({ level: config.LOG_LEVEL, base: { service: "server" } });
  const db = createDb(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL);
  redis.on("error", (err) => logger.warn({ err: err.message }, "redis error"));
  const sessions = new SessionRegistry(
    redis,
    config.REDIS_PREFIX,
    (familyId) =>
      db.refreshToken.findFirst({
        where: { familyId, revokedAt: null, expiresAt: { gt: new Date() } },
        orderBy: { expiresAt: "desc" },
        select: { userId: true, expiresAt: true },
      }),
    config.ACCESS_TOKEN_TTL_S + 60,
  );
  const tokens = new TokenService(config.JWT_SECRET, sessions, config.ACCESS_TOKEN_TTL_S);
  const lockout = new LoginLockout(redis, config.REDIS_PREFIX, {
    after: config.LOGIN_LOCKOUT_AFTER,
    baseS: config.LOGIN_LOCKOUT_BASE_S,
    maxS: config.LOGIN_LOCKOUT_MAX_S,
  });
  const auth = new AuthService(db, tokens, config.REFRESH_TOKEN_TTL_S, lockout);
  return { config, db, redis, tokens, auth, logger };
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
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split("?")[0] }),
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

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    const checks = await Promise.all([
      db.$queryRaw`SELECT 1`.then(() => "ok" as const, () => "unreachable" as const),
      redis.ping().then(() => "ok" as const, () => "unreachable" as const),
    ]);
    const body = { postgres: checks[0], redis: checks[1] };
    res.status(checks.every((c) => c === "ok") ? 200 : 503).json({ status: checks.every((c) => c === "ok") ? "ready" : "not-ready", ...body });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  app.get("/openapi.json", (_req, res) => {
    res.json(openApiDocument());
  });

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
  app.use(recordingRoutes(services, authMw, () => media.hub.media(), { io: () => io }));

  app.use(consoleRoutes());
  app.use(routeNotFound);
  app.use(errorHandler);

  const httpServer = createServer(app);
  const realtime = createIo(httpServer, { tokens, auth, redis, redisPrefix: config.REDIS_PREFIX });
  io = realtime.io;
  consultations.attach(realtime.io);
  training.attach(realtime.io);
  media.attach(realtime.io);
  // The first assigned specialist entering a consultation room starts the consultation.
  consultations.onSessionEnded((id) => void media.hub.closeRoom("consultation", id));
  media.hub.access.onPeerJoined((kind, roomId, user, grant) => (kind === "consultation" && grant.role === "SPECIALIST" ? consultations.markStarted(roomId, user.id).then(() => undefined) : undefined));
  training.live.media = {
    closeProducersOf: (sessionId, userId) => media.hub.closeProducersOfUser("training", sessionId, userId),
    closeRoom: (sessionId) => media.hub.closeRoom("training", sessionId),
    setAudioOnly: (sessionId, userId, on) => media.hub.setAudioOnlyOfUser("training", sessionId, userId, on),
  };
  training.connectMedia(media.hub.access);

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
      await consultations.close(); // first: stops presence announcements before the adapter's clients close
      await realtime.close();
      await training.close();
      await media.close();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await db.$disconnect();
      redis.disconnect();
    },
  };
}
