// Socket.IO: authenticated once in io.use with the same access token as REST; every socket joins its user's
// personal room and its institution's room. The Redis adapter lets any server process reach any socket.
import type { Server as HttpServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import {
  AppError,
  assertSafeInput,
  ErrorCode,
  rooms,
  type Ack,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import type { TokenService } from "../auth/tokens";
import type { AuthService } from "../auth/service";
import { socketConnections } from "../http/metrics";
import { handleAck } from "./ack";

export interface SocketData {
  user: AuthUser;
}
export type InterServerEvents = Record<string, never>;
export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export function createIo(
  httpServer: HttpServer,
  deps: { tokens: TokenService; auth: AuthService; redis: Redis; redisPrefix: string },
): { io: IoServer; close: () => Promise<void> } {
  const pub = deps.redis.duplicate();
  const sub = deps.redis.duplicate();
  const io: IoServer = new Server(httpServer, {
    path: "/socket.io",
    serveClient: false,
    adapter: createAdapter(pub, sub, { key: `${deps.redisPrefix}:socket.io` }),
    // Short network drops (hospital Wi-Fi, VPN hiccups) resume the same session with missed events.
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: false },
    pingInterval: 10_000,
    pingTimeout: 8_000,
  });

  // biome-ignore lint/nursery/noMisusedPromises: every failure is caught and handed to next()
  io.use(async (socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    try {
      if (typeof token !== "string" || !token) throw new AppError(ErrorCode.UNAUTHENTICATED);
      socket.data.user = await deps.tokens.verifyAccess(token);
      next();
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError(ErrorCode.TOKEN_INVALID);
      // The client sees `data` in its connect_error event.
      next(Object.assign(new Error(err.message), { data: err.toPayload() }));
    }
  });

  io.on("connection", (socket) => {
    const user = socket.data.user;
    socketConnections.inc();
    socket.join([rooms.user(user.id), rooms.institution(user.institutionId)]);
    // Every event, before any handler: unsafe text is answered on the ack (if any) and goes no further.
    socket.use((packet, next) => {
      const args = packet.slice(1);
      const ack = typeof args.at(-1) === "function" ? (args.pop() as (a: Ack<never>) => void) : undefined;
      try {
        assertSafeInput(args, "payload");
        next();
      } catch (e) {
        ack?.({ ok: false, error: (e as AppError).toPayload() });
      }
    });
    socket.on("session:whoami", (ack) => handleAck(ack, () => deps.auth.me(user.id)));
    socket.on("disconnect", () => socketConnections.dec());
  });

  return {
    io,
    close: async () => {
      await new Promise<void>((resolve) => io.close(() => resolve()));
      pub.disconnect();
      sub.disconnect();
    },
  };
}
