import { Router, type RequestHandler } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import { RedisStore, type RedisReply } from "rate-limit-redis";
import type { Redis } from "ioredis";
import {
  AppError,
  ErrorCode,
  LoginBody,
  LogoutBody,
  Me,
  normalizeUsername,
  RefreshBody,
  TokenPair,
} from "@yilian/contract";
import { routeGroup } from "../http/route";
import type { Config } from "../config";
import { currentUser } from "./middleware";
import type { AuthService } from "./service";

function loginRateLimit(config: Config, redis: Redis): RequestHandler {
  return rateLimit({
    windowMs: config.LOGIN_RATE_WINDOW_S * 1000,
    limit: config.LOGIN_RATE_LIMIT,
    standardHeaders: "draft-7",
    legacyHeaders: false,
    // Per address and account: one workstation guessing one password, without locking out a whole hospital NAT.
    // The account as login looks it up, so spaces or case do not buy a fresh budget (lockout.ts covers rotating IPs).
    keyGenerator: (req) => {
      const username = typeof req.body?.username === "string" ? normalizeUsername(req.body.username).slice(0, 64) : "";
      return `${ipKeyGenerator(req.ip ?? "unknown")}|${username}`;
    },
    store: new RedisStore({
      prefix: `${config.REDIS_PREFIX}:rl:login:`,
      sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
    }),
    handler: (_req, _res, next) => next(new AppError(ErrorCode.RATE_LIMITED, "登录尝试过于频繁，请稍后再试")),
  });
}

export function authRoutes(deps: {
  auth: AuthService;
  requireAuth: RequestHandler;
  config: Config;
  redis: Redis;
}): Router {
  const router = Router();
  const open = routeGroup(router, { prefix: "/api", tag: "auth", auth: null });
  const authed = routeGroup(router, { prefix: "/api", tag: "auth", auth: deps.requireAuth });

  open(
    {
      method: "post",
      path: "/auth/login",
      summary: "Log in with username and password",
      schemas: { body: LoginBody },
      response: TokenPair,
      before: [loginRateLimit(deps.config, deps.redis)],
    },
    ({ body }) => deps.auth.login(body.username, body.password),
  );

  open(
    {
      method: "post",
      path: "/auth/refresh",
      summary: "Exchange a refresh token for new tokens (rotating)",
      schemas: { body: RefreshBody },
      response: TokenPair,
    },
    ({ body }) => deps.auth.refresh(body.refreshToken),
  );

  authed(
    {
      method: "post",
      path: "/auth/logout",
      summary: "End this session, or every session of the caller",
      schemas: { body: LogoutBody },
      status: 204,
    },
    async ({ body }, _req, res) => {
      await deps.auth.logout(currentUser(res), { everywhere: body.everywhere });
    },
  );

  authed({ method: "get", path: "/me", summary: "The caller", schemas: {}, response: Me }, (_input, _req, res) =>
    deps.auth.me(currentUser(res).id),
  );

  return router;
}
