// Chooses the media backend: mediasoup inside this process (default), or the least loaded media node that
// registered itself in Redis (MEDIA_IN_PROCESS=false; nodes run media/src/main.ts).
import type pino from "pino";
import type { Redis } from "ioredis";
import { MediaService, type MediaApi } from "@yilian/media";
import { connectRemoteMedia } from "@yilian/media/remote";
import type { Config } from "../config";

export interface MediaBackendDeps {
  config: Config;
  redis: Redis;
  logger: pino.Logger;
}

export async function createMediaBackend({ config, redis, logger }: MediaBackendDeps): Promise<MediaApi> {
  if (!config.MEDIA_IN_PROCESS) {
    const api = await connectRemoteMedia(redis, config.REDIS_PREFIX, {
      spanAfterPeers: config.MEDIA_SPAN_AFTER_PEERS,
      heartbeatMs: config.MEDIA_NODE_HEARTBEAT_MS,
      warn: (msg, data) => logger.warn(data, msg),
    });
    logger.info({ node: (await api.load()).nodeId }, "media: using a remote media node");
    return api;
  }
  const service = await MediaService.start({
    numWorkers: config.MEDIA_WORKERS,
    listenIp: config.MEDIA_LISTEN_IP,
    announcedIp: config.MEDIA_ANNOUNCED_IP,
    webRtcPortBase: config.MEDIA_WEBRTC_PORT,
    keyFrameRequestDelayMs: config.MEDIA_KEY_FRAME_REQUEST_DELAY_MS,
    consumerStartLayer: config.MEDIA_CONSUMER_START_LAYER,
    log: (level, msg, data) => logger[level](data ?? {}, msg),
  });
  logger.info(
    { workers: service.pool.workers.length, port: config.MEDIA_WEBRTC_PORT },
    "media: in-process mediasoup workers started",
  );
  return service;
}
