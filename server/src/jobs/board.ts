// Bull Board (queue console) for province administrators. A browser page cannot send our bearer header, so:
//   1. the web client POSTs /api/admin/queues/ticket with its bearer token and gets a one-time ticket (60 s);
//   2. it opens /admin/queues?ticket=…; the ticket is consumed (GETDEL) and swapped for an HttpOnly,
//      SameSite=Strict cookie scoped to /admin/queues, then the URL is cleaned by a redirect;
//   3. every console request (pages and its JSON API) re-verifies that token (expiry, revoked session) and the role.
// Tokens never appear in URLs or logs; changes made through the console (retry, remove, pause) are audited.
import { createHash, randomBytes } from "node:crypto";
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type { Redis } from "ioredis";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { Queue } from "bullmq";
import { AppError, ErrorCode } from "@yilian/contract";
import type { Db } from "../db";
import type { TokenService } from "../auth/tokens";
import { bearerToken, currentUser } from "../auth/middleware";
import { hasRole } from "../authz/principal";
import { requireRole } from "../authz/policy";
import { audit } from "../audit/audit";
import { getContext } from "../http/context";
import { routeGroup } from "../http/route";
import { z } from "zod";
import { bullPrefix } from "@yilian/jobs";
import type { AppQueues } from "./queues";

export const BOARD_PATH = "/admin/queues";
const COOKIE = "yilian_board";
/** A one-time link into the queue console. */
const QueueConsoleTicket = z.object({ url: z.string(), expiresInS: z.number().int() });
const TICKET_TTL_S = 60;

function readCookie(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

export function boardRoutes(deps: {
  db: Db;
  redis: Redis;
  redisPrefix: string;
  tokens: TokenService;
  queues: AppQueues;
  requireAuth: RequestHandler;
  secureCookies: boolean;
}): Router {
  const router = Router();
  const ticketKey = (t: string) => `${deps.redisPrefix}:board-ticket:${createHash("sha256").update(t).digest("hex")}`;

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  const board = createBullBoard({
    queues: deps.queues.all().map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: "医联 任务队列" } },
  });
  const known = new Set(deps.queues.all().map((q) => q.name));
  const extra: Queue[] = [];
  /** Colleagues' queues appear without registration: every queue with a meta key under our prefix is shown. */
  async function discoverQueues() {
    const prefix = bullPrefix(deps.redisPrefix);
    let cursor = "0";
    do {
      const [next, keys] = await deps.redis.scan(cursor, "MATCH", `${prefix}:*:meta`, "COUNT", 500);
      cursor = next;
      for (const k of keys) {
        const name = k.slice(prefix.length + 1, -":meta".length);
        if (!name || known.has(name)) continue;
        known.add(name);
        const q = new Queue(name, { connection: deps.redis, prefix });
        extra.push(q);
        board.addQueue(new BullMQAdapter(q));
      }
    } while (cursor !== "0");
  }

  const route = routeGroup(router, { prefix: "/api/admin/queues", tag: "admin", auth: deps.requireAuth });
  route(
    {
      method: "post",
      path: "/ticket",
      summary: "One-time ticket (60 s) to open the queue console in a browser (province administrators)",
      schemas: { body: z.object({}).optional() },
      response: QueueConsoleTicket,
    },
    async (_v, req, res) => {
      const user = currentUser(res);
      requireRole(user, "PROVINCE_ADMIN");
      const token = bearerToken(req.headers.authorization)!;
      const ticket = randomBytes(32).toString("base64url");
      await deps.redis.set(ticketKey(ticket), token, "EX", TICKET_TTL_S);
      return { url: `${BOARD_PATH}?ticket=${ticket}`, expiresInS: TICKET_TTL_S };
    },
  );

  const guard = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const ticket = typeof req.query.ticket === "string" ? req.query.ticket : null;
      if (ticket && req.method === "GET") {
        const token = await deps.redis.getdel(ticketKey(ticket));
        if (!token) throw new AppError(ErrorCode.TOKEN_INVALID, "链接已失效，请从管理后台重新打开任务队列");
        const user = await deps.tokens.verifyAccess(token);
        if (!hasRole(user, "PROVINCE_ADMIN")) throw new AppError(ErrorCode.FORBIDDEN);
        const ctx = getContext();
        if (ctx) ctx.user = user;
        await audit(deps.db, { action: "board.open", entityType: "Queue", outcome: "SUCCESS" });
        res.cookie(COOKIE, token, {
          httpOnly: true,
          sameSite: "strict",
          secure: deps.secureCookies,
          path: BOARD_PATH,
          maxAge: deps.tokens.accessTtlS * 1000,
        });
        res.redirect(303, req.baseUrl + req.path.replace(/\/$/, "") || BOARD_PATH);
        return;
      }
      const token = readCookie(req, COOKIE) ?? bearerToken(req.headers.authorization);
      if (!token) throw new AppError(ErrorCode.UNAUTHENTICATED, "请从管理后台打开任务队列");
      const user = await deps.tokens.verifyAccess(token);
      // Role is re-read from the database: a demoted administrator loses the console at once.
      const fresh = await deps.db.user.findUnique({ where: { id: user.id }, select: { active: true, roles: true } });
      if (!fresh?.active || !fresh.roles.includes("PROVINCE_ADMIN")) throw new AppError(ErrorCode.FORBIDDEN);
      const ctx = getContext();
      if (ctx) ctx.user = user;
      if (req.method !== "GET" && req.method !== "HEAD") {
        await audit(deps.db, {
          action: `board.${req.method.toLowerCase()}`,
          entityType: "Queue",
          entityId: req.path.slice(0, 200),
          outcome: "SUCCESS",
        });
      }
      if (req.path === "/" || req.path === "") await discoverQueues().catch(() => undefined);
      // The console is our own page: it may not be framed, and it is never cached.
      res.setHeader("cache-control", "no-store");
      next();
    } catch (e) {
      next(e);
    }
  };
  router.use(BOARD_PATH, guard, serverAdapter.getRouter() as RequestHandler);
  return router;
}
