// The process-wide services every module is built on: configuration, database, Redis, tokens and sessions,
// authentication, logger. Created once per server process (tests create one per test server).
import pino from "pino";
import type { Redis } from "ioredis";
import type { Config } from "./config";
import { createDb, type Db } from "./db";
import { createRedis } from "./redis";
import { TokenService } from "./auth/tokens";
import { SessionRegistry } from "./auth/sessions";
import { LoginLockout } from "./auth/lockout";
import { AuthService } from "./auth/service";

export interface Services {
  config: Config;
  db: Db;
  redis: Redis;
  tokens: TokenService;
  auth: AuthService;
  logger: pino.Logger;
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
  const tokens = new TokenService(
    config.JWT_SECRET,
    sessions,
    config.ACCESS_TOKEN_TTL_S,
    !config.BENCH_SKIP_SESSION_CHECK,
  );
  const lockout = new LoginLockout(redis, config.REDIS_PREFIX, {
    after: config.LOGIN_LOCKOUT_AFTER,
    baseS: config.LOGIN_LOCKOUT_BASE_S,
    maxS: config.LOGIN_LOCKOUT_MAX_S,
  });
  const auth = new AuthService(db, tokens, config.REFRESH_TOKEN_TTL_S, lockout);
  return { config, db, redis, tokens, auth, logger };
}
