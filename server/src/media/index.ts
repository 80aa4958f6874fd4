// Live rooms module: the hub (admission, media backend, peer sessions) and the `media:*` socket handlers.
// app.ts creates it, attaches the Socket.IO server once it exists, and closes it on stop.
import { existsSync } from "node:fs";
import path from "node:path";
import express, { Router } from "express";
import type { Services } from "../services";
import type { IoServer } from "../realtime/io";
import { MediaHub } from "./hub";
import { registerMediaHandlers } from "./socket";
import { ChatLog } from "./chat-log";
import { sqlOf } from "../db";
import { PostLimiter } from "../realtime/post-limit";

export interface MediaModule {
  hub: MediaHub;
  /** Serves the browser SDK bundle and its example page under /sdk/ (when built: npm run build -w client-sdk). */
  router: Router;
  attach(io: IoServer): void;
  close(): Promise<void>;
}

export function createMediaModule(services: Pick<Services, "config" | "db" | "redis" | "logger">): MediaModule {
  const hub = new MediaHub(services);
  const chatLog = new ChatLog(sqlOf(services.db));
  const postLimiter = new PostLimiter(services.redis, services.config.REDIS_PREFIX);
  const router = Router();
  const sdkDir = findSdkDist();
  if (sdkDir) router.use("/sdk", express.static(sdkDir, { index: "index.html", maxAge: "1h" }));
  return {
    hub,
    router,
    attach(io) {
      hub.attach(io);
      io.on("connection", (socket) =>
        registerMediaHandlers(io, socket, {
          hub,
          db: services.db,
          chatLog,
          postLimiter,
        }),
      );
    },
    close: () => hub.close(),
  };
}

export { MediaHub, roomChannel, type PeerSession } from "./hub";
export {
  RoomAccess,
  consultationResolver,
  CONSULTATION_EARLY_OPEN_MS,
  type RoomGrant,
  type RoomResolver,
  type PeerJoinedListener,
} from "./access";
export { registerMediaHandlers } from "./socket";

/** client-sdk/dist of this checkout, looked up from the working directory (server runs from the repo or server/). */
function findSdkDist(): string | undefined {
  let dir = process.cwd();
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, "client-sdk", "dist");
    if (existsSync(path.join(dir, "client-sdk"))) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}
