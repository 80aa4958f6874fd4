// The boundary between the signalling server and the media service. Everything crossing it is plain data
// (ids, mediasoup parameter objects, events), so the same interface is served in-process (MediaService) or by
// a separate media node over the network (remote.ts) without changing the signalling code.
import type {
  MediaConsumerInfo,
  MediaPeerInfo,
  MediaProducerInfo,
  MediaSource,
  MediaTransportInfo,
  RoomKind,
  ServerToClientEvents,
  TransportDirection,
} from "@yilian/contract";

type MediaServerEvents = {
  [K in keyof ServerToClientEvents as K extends `media:${string}` ? K : never]: ServerToClientEvents[K];
};
export type MediaEventName = Exclude<keyof MediaServerEvents, "media:chat">;

/** A notification for the peers of a room: all of them (minus `exceptPeerId`) or one (`toPeerId`). */
export type MediaEvent = {
  [N in MediaEventName]: {
    roomKey: string;
    name: N;
    payload: Parameters<MediaServerEvents[N]>[0];
    toPeerId?: string;
    exceptPeerId?: string;
    /** The media node that emitted it (set by remote nodes): with a session spanning nodes, it is for that node's peers only. */
    nodeId?: string;
    /** `media:restart` after a node was lost: the peers re-joined elsewhere and the node each now lives on. */
    moved?: Record<string, string>;
  };
}[MediaEventName];

/** A cross-node pipe endpoint and a producer sent through it (plain data: they cross Redis RPC). */
export interface PipeEndpoint {
  transportId: string;
  ip: string;
  port: number;
}
export interface PipedProducer {
  producerId: string;
  kind: "audio" | "video";
  rtpParameters: unknown;
  paused: boolean;
  source: MediaSource;
  peer: MediaPeerInfo;
}

export interface JoinPeer {
  peerId: string;
  userId: string;
  displayName: string;
  role: string;
}

export interface RoomSnapshot {
  peers: MediaPeerInfo[];
  producers: MediaProducerInfo[];
  /** joinPeer with media nodes: the node the peer's media lives on. */
  nodeId?: string;
  /** Everyone in the room, also the viewers a broadcast snapshot leaves out (the recorder's "am I alone?"). */
  peerCount: number;
}

export interface MediaLoad {
  nodeId: string;
  workers: number;
  rooms: number;
  peers: number;
  consumers: number;
}

export interface MediaApi {
  /** Opens the room if needed (idempotent); its router lives on the least loaded worker. */
  openRoom(kind: RoomKind, roomId: string): Promise<{ roomKey: string }>;
  closeRoom(roomKey: string, reason: "ended" | "empty" | "replaced" | "error"): Promise<void>;
  hasRoom(roomKey: string): Promise<boolean>;
  joinPeer(roomKey: string, peer: JoinPeer): Promise<RoomSnapshot>;
  /** Removes the peer; the last one out closes the room. */
  leavePeer(roomKey: string, peerId: string): Promise<void>;
  /** Closes the peer's transports (and so its producers and consumers) but keeps it in the room. */
  resetPeerMedia(roomKey: string, peerId: string): Promise<void>;
  snapshot(roomKey: string): Promise<RoomSnapshot>;
  getRouterRtpCapabilities(roomKey: string): Promise<unknown>;
  createTransport(roomKey: string, peerId: string, direction: TransportDirection): Promise<MediaTransportInfo>;
  /** A plain RTP transport for server-side endpoints (recorder, RTP source, load tests); see Room.createPlainTransport. */
  createPlainTransport(
    roomKey: string,
    peerId: string,
    opts: {
      direction: TransportDirection;
      remote?: { ip: string; port: number; srtpParameters?: unknown };
      srtp?: boolean;
    },
  ): Promise<{ id: string; ip: string; port: number; srtpParameters?: unknown }>;
  connectTransport(roomKey: string, peerId: string, transportId: string, dtlsParameters: unknown): Promise<void>;
  produce(
    roomKey: string,
    peerId: string,
    req: { transportId: string; kind: "audio" | "video"; source: MediaSource; rtpParameters: unknown; paused: boolean },
  ): Promise<{ id: string }>;
  consume(
    roomKey: string,
    peerId: string,
    req: { transportId: string; producerId: string; rtpCapabilities: unknown },
  ): Promise<MediaConsumerInfo>;
  /**
   * Paused consumers, on the given receive transport, of every producer the peer may see and does not consume
   * yet (a producer it cannot consume is left out): what a joiner gets as soon as its RTP capabilities arrive.
   */
  consumeAll(
    roomKey: string,
    peerId: string,
    req: { transportId: string; rtpCapabilities: unknown },
  ): Promise<MediaConsumerInfo[]>;
  resumeConsumer(roomKey: string, peerId: string, consumerId: string): Promise<void>;
  /** Asks the consumer's sender for a key frame again (a recorder whose first one never reached its file). */
  requestKeyFrame(roomKey: string, peerId: string, consumerId: string): Promise<void>;
  setPreferredLayers(
    roomKey: string,
    peerId: string,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number; urgent?: boolean },
  ): Promise<void>;
  pauseProducer(roomKey: string, peerId: string, producerId: string): Promise<void>;
  resumeProducer(roomKey: string, peerId: string, producerId: string): Promise<void>;
  closeProducer(roomKey: string, peerId: string, producerId: string): Promise<void>;
  /** Closes the peer's producers of one source (e.g. a revoked screen-share permission). */
  closeProducersBySource(roomKey: string, peerId: string, source: MediaSource): Promise<void>;
  restartIce(roomKey: string, peerId: string, transportId: string): Promise<{ iceParameters: unknown }>;
  /**
   * Cross-node pipes of a broadcast (training) room, so one session spans media nodes (see BroadcastRoom):
   * edge.pipeListen → origin.pipeOffer(edge endpoint) → edge.pipeConnect(origin endpoint, producers); later
   * producers: origin.pipeProducers → edge.pipeAdopt.
   */
  /** Broadcast rooms: the viewer's video paused (audio only) or back; other rooms ignore it. */
  setAudioOnly(roomKey: string, peerId: string, on: boolean): Promise<void>;
  pipeListen(roomKey: string): Promise<PipeEndpoint>;
  pipeOffer(
    roomKey: string,
    remote: { ip: string; port: number },
  ): Promise<PipeEndpoint & { producers: PipedProducer[] }>;
  pipeConnect(
    roomKey: string,
    transportId: string,
    remote: { ip: string; port: number },
    producers: PipedProducer[],
  ): Promise<void>;
  pipeProducers(roomKey: string, transportId: string, producerIds?: string[]): Promise<PipedProducer[]>;
  pipeAdopt(roomKey: string, transportId: string, producers: PipedProducer[]): Promise<void>;
  /** Closes a pipe towards a node that is gone. */
  pipeClose(roomKey: string, transportId: string): Promise<void>;
  /**
   * With media nodes: the node the peer's media lives on now, or undefined if the peer is no longer in the room
   * (a resuming peer whose room moved while its server was away must rebuild). In-process: not implemented.
   */
  nodeOfPeer?(roomKey: string, peerId: string): Promise<string | undefined>;
  load(): Promise<MediaLoad>;
  /** Subscribes to room notifications; returns the unsubscribe function. */
  onEvent(listener: (e: MediaEvent) => void): () => void;
  close(): Promise<void>;
}

export const roomKeyOf = (kind: RoomKind, roomId: string) => `${kind}:${roomId}`;
/** The inverse of roomKeyOf (room ids may contain ":"). */
export const parseRoomKey = (roomKey: string) => roomKey.split(/:(.*)/s) as [RoomKind, string];
