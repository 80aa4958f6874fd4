// Live rooms (mediasoup): payload schemas of the `media:*` Socket.IO events. The server parses every request
// with the schema of the same name; mediasoup's own structures (RTP parameters, DTLS parameters) are checked
// for shape here and in depth by mediasoup itself.
import { z } from "zod";
import { Id, LIMITS } from "./common";

/** What a live room belongs to: a consultation (会诊) or a training session (培训). */
export const RoomKind = z.enum(["consultation", "training"]);
export type RoomKind = z.infer<typeof RoomKind>;

/** What a producer carries; permissions are granted per source. */
export const MediaSource = z.enum(["camera", "microphone", "screen"]);
export type MediaSource = z.infer<typeof MediaSource>;

export const TransportDirection = z.enum(["send", "recv"]);
export type TransportDirection = z.infer<typeof TransportDirection>;

const mediaId = z.string().min(1).max(64);
const looseObject = z.looseObject({});

const DtlsParameters = z.looseObject({
  role: z.enum(["auto", "client", "server"]).optional(),
  fingerprints: z
    .array(z.looseObject({ algorithm: z.string().max(32), value: z.string().max(256) }))
    .min(1)
    .max(8),
});
const RtpParameters = z.looseObject({
  mid: z.string().max(32).optional(),
  codecs: z.array(looseObject).min(1).max(16),
  headerExtensions: z.array(looseObject).max(32).optional(),
  encodings: z.array(looseObject).max(8).optional(),
  rtcp: looseObject.optional(),
});
export const RtpCapabilities = z.looseObject({
  codecs: z.array(looseObject).max(64).optional(),
  headerExtensions: z.array(looseObject).max(64).optional(),
});

// ------------------------------------------------------------------------------------------------ requests

export const MediaJoinRequest = z.object({
  kind: RoomKind,
  roomId: Id,
  /** Given back by a previous join of this user: resumes the same peer within the grace window after a drop. */
  resumeKey: z.string().min(16).max(128).optional(),
  /**
   * The joiner's device RTP capabilities, when its device is already loaded (MediaCapabilities fetched ahead, or
   * an earlier join): the answer then carries its consumers too, so the join is one round trip.
   */
  rtpCapabilities: RtpCapabilities.optional(),
});
export type MediaJoinRequest = z.infer<typeof MediaJoinRequest>;

/** After a join without RTP capabilities: the device is loaded now; the answer is the consumers of the room. */
export const MediaReadyRequest = z.object({ transportId: mediaId, rtpCapabilities: RtpCapabilities });
/** media:resetTransports: new transports (TURN-only fallback, or after a media restart), with the consumers. */
export const MediaResetTransportsRequest = z.object({ rtpCapabilities: RtpCapabilities.optional() }).default({});

export const MediaCreateTransportRequest = z.object({ direction: TransportDirection });
export const MediaConnectTransportRequest = z.object({ transportId: mediaId, dtlsParameters: DtlsParameters });
export const MediaProduceRequest = z.object({
  transportId: mediaId,
  kind: z.enum(["audio", "video"]),
  source: MediaSource,
  rtpParameters: RtpParameters,
  paused: z.boolean().default(false),
});
export const MediaConsumeRequest = z.object({
  transportId: mediaId,
  producerId: mediaId,
  rtpCapabilities: RtpCapabilities,
});
export const MediaConsumerRequest = z.object({ consumerId: mediaId });
export const MediaProducerRequest = z.object({ producerId: mediaId });
export const MediaSetPreferredLayersRequest = z.object({
  consumerId: mediaId,
  spatialLayer: z.number().int().min(0).max(2),
  temporalLayer: z.number().int().min(0).max(2).optional(),
  /**
   * The receiver's link collapsed: drop to the lower layer at once, with what was queued for the higher one
   * (retransmissions included), instead of forwarding it until the lower layer's key frame.
   */
  urgent: z.boolean().optional(),
});
export const MediaRestartIceRequest = z.object({ transportId: mediaId });
export const MediaChatSendRequest = z.object({
  text: z.string().trim().min(1, "消息不能为空").max(LIMITS.mediumText, "消息过长"),
  /**
   * The sender's own name for this message (a UUID it chose): sent again after an acknowledgement that never came,
   * it is the same message, stored once and shown once.
   */
  clientRef: z.string().uuid("消息标识无效").optional(),
});

// ------------------------------------------------------------------------------------------------ answers

/** What the joining user may do in this room (decided by the room kind's access rules). */
export interface MediaPermissions {
  camera: boolean;
  microphone: boolean;
  screen: boolean;
  chat: boolean;
}

export interface MediaPeerInfo {
  peerId: string;
  userId: string;
  displayName: string;
  /** Role in the room, e.g. REQUESTER, SPECIALIST, COORDINATOR (consultation) or LECTURER, TRAINEE (training). */
  role: string;
}

export interface MediaProducerInfo {
  producerId: string;
  peerId: string;
  kind: "audio" | "video";
  source: MediaSource;
  paused: boolean;
}

/** A TURN server for the browser's RTCPeerConnection (RTCIceServer), with short-lived TURN REST API credentials. */
export interface MediaIceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** ICE servers issued to one user; fresh ones come with every join and ICE restart. */
export interface MediaIceServers {
  iceServers: MediaIceServer[];
  /** ISO 8601, UTC: when the credentials stop working (absent when there are none). */
  iceServersExpireAt?: string;
}

/**
 * Everything a client needs to start its media, in one answer (media:join, media:resetTransports): the router's
 * RTP capabilities, both transports' ICE/DTLS parameters, the room's producers and, when the request carried
 * the device's RTP capabilities, a paused consumer of each (resume each once the client has set it up).
 */
export interface MediaSetup extends MediaIceServers {
  routerRtpCapabilities: unknown;
  /** New transports (absent when a resumed join keeps the old ones); `send` only for a peer allowed to send. */
  transports?: { recv: MediaTransportInfo; send?: MediaTransportInfo };
  /** The room's producers (other peers'). */
  producers: MediaProducerInfo[];
  /** Paused consumers of `producers` on the new receive transport (empty without RTP capabilities). */
  consumers: MediaConsumerInfo[];
}

export interface MediaJoinResult extends MediaSetup {
  roomKey: string;
  peerId: string;
  /** Present this on the next join after a network drop to resume the same peer. */
  resumeKey: string;
  /** True when an existing peer (kept through a network drop) was resumed; its transports may still work. */
  resumed: boolean;
  permissions: MediaPermissions;
  role: string;
  peers: MediaPeerInfo[];
}

export interface MediaTransportInfo {
  id: string;
  iceParameters: unknown;
  iceCandidates: unknown[];
  dtlsParameters: unknown;
}

export interface MediaConsumerInfo {
  id: string;
  producerId: string;
  peerId: string;
  kind: "audio" | "video";
  source: MediaSource;
  rtpParameters: unknown;
  producerPaused: boolean;
}

/** media:restartIce answer: new ICE credentials of the server side, and fresh TURN credentials. */
export interface MediaRestartIceResult extends MediaIceServers {
  iceParameters: unknown;
}

/** media:resetTransports answer: the peer's new media setup (its old transports, producers and consumers are gone). */
export type MediaResetTransportsResult = MediaSetup;

/** A message the room was shown that could not be stored: take it off the screen (its sender was told). */
export interface MediaChatWithdrawn {
  id: string;
}

export interface MediaChatMessage {
  id: string;
  senderId: string;
  senderName: string;
  text: string;
  /** ISO 8601, UTC. */
  sentAt: string;
}

// ------------------------------------------------------------------------------------------------ server events

export interface MediaActiveSpeaker {
  peerId: string | null;
}
export interface MediaAudioLevels {
  levels: { peerId: string; volume: number }[];
}
export interface MediaProducerClosed {
  producerId: string;
  peerId: string;
}
export interface MediaProducerState {
  producerId: string;
  peerId: string;
  source: MediaSource;
  paused: boolean;
}
export interface MediaConsumerLayers {
  consumerId: string;
  spatialLayer: number | null;
  temporalLayer: number | null;
}
/**
 * The media path of the room was rebuilt (its mediasoup worker died and was replaced, or its media node was lost
 * and the room moved to another node): make new transports and produce again.
 */
export interface MediaRestart {
  reason: "worker-replaced" | "peer-reset" | "node-lost";
  /** `node-lost`: the producers already on the peer's new node (e.g. the lecture, for a viewer moved to another edge). */
  producers?: MediaProducerInfo[];
}
export interface MediaRoomClosed {
  /** `node-lost`: the room's media node went away and no other could take the room. */
  reason: "ended" | "empty" | "replaced" | "error" | "node-lost";
  /** For the user (zh-CN), when the reason needs explaining. */
  message?: string;
}
