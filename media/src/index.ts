// @yilian/media: the mediasoup media service. worker-bin must come first: it sets MEDIASOUP_WORKER_BIN
// before anything loads mediasoup.
export { resolveWorkerBin, ensureWorkerBinEnv, MEDIASOUP_VERSION } from "./worker-bin";
export { loadMediasoup } from "./load-mediasoup";
export { defaultMediaSettings, mediaCodecs, type MediaSettings } from "./settings";
export { routerRtpCapabilities } from "./capabilities";
export { WorkerPool, type PoolWorker } from "./worker-pool";
export { Room } from "./room";
export { BroadcastRoom, layerForBitrate, DEFAULT_LAYER_POLICY, type LayerPolicy } from "./broadcast-room";
export { Peer } from "./peer";
export { MediaService, type MediaServiceOptions } from "./service";
export {
  roomKeyOf,
  type MediaApi,
  type MediaEvent,
  type MediaEventName,
  type JoinPeer,
  type MediaLoad,
  type RoomSnapshot,
} from "./api";
