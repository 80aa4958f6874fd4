// The public types of a live room: its events, options, remote tracks and what it needs of the client.
import type { Device } from "mediasoup-client";
import type {
  ClientToServerEvents,
  MediaChatMessage,
  MediaPeerInfo,
  MediaSource,
  ServerToClientEvents,
} from "@yilian/contract";
import type { Socket } from "socket.io-client";
import type { IceFailure, IceOptions } from "./ice";
import type { ConnectionQuality } from "./quality";

export interface RemoteTrack {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: "audio" | "video";
  source: MediaSource;
  track: MediaStreamTrack;
  /** The sender muted it (producer paused). */
  muted: boolean;
  /** Simulcast video: the spatial layer the media server forwards now (0 lowest; null: none, e.g. paused). */
  spatialLayer?: number | null;
}

export interface RoomEvents {
  peerJoined: (peer: MediaPeerInfo) => void;
  peerLeft: (peer: MediaPeerInfo) => void;
  track: (t: RemoteTrack) => void;
  trackEnded: (t: RemoteTrack) => void;
  /** A remote publication was muted or unmuted. */
  mute: (e: { peerId: string; source: MediaSource; producerId: string; muted: boolean }) => void;
  activeSpeaker: (e: { peerId: string | null }) => void;
  audioLevels: (levels: { peerId: string; volume: number }[]) => void;
  chat: (m: MediaChatMessage) => void;
  /** A message shown earlier could not be stored after all (its sender was told): take it off the screen. */
  chatWithdrawn: (e: { id: string }) => void;
  reconnecting: () => void;
  reconnected: (e: { resumed: boolean }) => void;
  /** `message`: a zh-CN explanation for the user, when the server gave one (e.g. the media node was lost). */
  closed: (e: { reason: string; message?: string }) => void;
  error: (e: Error) => void;
  /** A peer's link quality changed (this client's own link: `local: true`); from WebRTC statistics. */
  connectionQuality: (q: ConnectionQuality) => void;
  /** The media server changed the layer it forwards of a remote camera (bandwidth, preference, weak link). */
  layers: (e: {
    consumerId: string;
    peerId: string;
    spatialLayer: number | null;
    temporalLayer: number | null;
  }) => void;
  /** The direct path failed: the transports are rebuilt to go through TURN only. */
  relayFallback: (f: IceFailure) => void;
}

export interface JoinOptions extends IceOptions {
  /** Spatial layer (0 low … 2 high) to receive remote cameras in; default: the highest. */
  preferredSpatialLayer?: number;
  /** How often link quality is sampled from WebRTC statistics (default 1000 ms; 0: never). */
  qualityIntervalMs?: number;
}

/** What a room needs of the client: the shared socket and acknowledged requests (YilianClient is one). */
export interface RoomConnection {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  request<T>(event: keyof ClientToServerEvents, ...payload: unknown[]): Promise<T>;
  /** A device loaded ahead of the join (see loadDevice), so the join can carry its RTP capabilities. */
  mediaDevice?(): Promise<LoadedDevice | undefined>;
}

/** A mediasoup device and the router capabilities it was loaded with. */
export interface LoadedDevice {
  device: Device;
  routerRtpCapabilities: string;
}

/**
 * performance.now() at each step of the last join (or rejoin): where the time to the first frame goes.
 * Diagnostics for the console and the `ttff` benchmark.
 */
export interface JoinTimeline {
  started: number;
  socketReady: number;
  joinAnswered?: number;
  deviceLoaded?: number;
  transportsCreated?: number;
  /** The consumers of what the room already sent are set up (tracks exist, resumes asked for). */
  consumersCreated?: number;
}
