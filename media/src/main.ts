// A media node: mediasoup workers in their own process (or machine), found by the signalling servers through
// Redis (MEDIA_IN_PROCESS=false on the server). Start: `npm start -w media`. Settings are the server's MEDIA_*
// variables plus REDIS_URL / REDIS_PREFIX (see .env.example).
import "./worker-bin";
import { Redis } from "ioredis";
import { z } from "zod";
import { MediaService } from "./service";
import { serveMediaNode } from "./remote";

const Env = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//)
    .default("redis://127.0.0.1:6379"),
  REDIS_PREFIX: z.string().min(1).default("yilian"),
  MEDIA_NODE_ID: z.string().min(1).max(64).optional(),
  MEDIA_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  MEDIA_LISTEN_IP: z.union([z.ipv4(), z.ipv6()]).default("127.0.0.1"),
  MEDIA_ANNOUNCED_IP: z.string().min(1).optional(),
  MEDIA_WEBRTC_PORT: z.coerce.number().int().min(0).max(65000).default(40000),
  MEDIA_KEY_FRAME_REQUEST_DELAY_MS: z.coerce.number().int().min(0).max(5000).default(350),
  MEDIA_CONSUMER_START_LAYER: z.enum(["lowest", "highest"]).default("lowest"),
  MEDIA_NODE_HEARTBEAT_MS: z.coerce.number().int().min(500).max(60_000).default(5_000),
});

const parsed = Env.safeParse(process.env);
if (!parsed.success) {
  for (const i of parsed.error.issues) console.error(`media-node config: ${i.path.join(".")}: ${i.message}`);
  process.exit(78);
}
const env = parsed.data;
const log = (level: string, msg: string, data?: Record<string, unknown>) =>
  console.error(JSON.stringify({ level, service: "media-node", msg, ...data, time: new Date().toISOString() }));

const service = await MediaService.start({
  nodeId: env.MEDIA_NODE_ID,
  numWorkers: env.MEDIA_WORKERS,
  listenIp: env.MEDIA_LISTEN_IP,
  announcedIp: env.MEDIA_ANNOUNCED_IP,
  webRtcPortBase: env.MEDIA_WEBRTC_PORT,
  keyFrameRequestDelayMs: env.MEDIA_KEY_FRAME_REQUEST_DELAY_MS,
  consumerStartLayer: env.MEDIA_CONSUMER_START_LAYER,
  log,
});
// Commands wait for Redis to come back (null): events published during a Redis restart arrive late, not never.
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
redis.on("error", (err) => log("warn", "redis error", { err: err.message }));
const node = await serveMediaNode(redis, env.REDIS_PREFIX, service, { heartbeatMs: env.MEDIA_NODE_HEARTBEAT_MS });
log("info", "media node ready", { nodeId: service.nodeId, workers: service.pool.workers.length });
console.log(`media node ${service.nodeId} ready`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    // Leaving the registry needs Redis; if Redis is down the record simply expires.
    await Promise.race([node.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    await service.close();
    redis.disconnect();
    process.exit(0);
  });
}
