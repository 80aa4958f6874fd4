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
  fingerprints: z.array(z.looseObject({ algorithm: z.string().max(32), value: z.string().max(256) })).min(1).max(8),
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
});
export type MediaJoinRequest = z.infer<typeof MediaJoinRequest>;

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
});
export const MediaRestartIceRequest = z.object({ transportId: mediaId });
export const MediaChatSendRequest = z.object({
  text: z.string().trim().min(1, "消息不能为空").max(LIMITS.mediumText, "消息过长"),
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

export interface MediaJoinResult extends MediaIceServers {
  roomKey: string;
  peerId: string;
  /** Present this on the next join after a network drop to resume the same peer. */
  resumeKey: string;
  /** True when an existing peer (kept through a network drop) was resumed; its transports may still work. */
  resumed: boolean;
  permissions: MediaPermissions;
  role: string;
  peers: MediaPeerInfo[];
  producers: MediaProducerInfo[];
  /** The room router's RTP capabilities (saves a media:getRouterRtpCapabilities round trip on slow links). */
  routerRtpCapabilities: unknown;
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

/** media:resetTransports answer (the client falls back to TURN-only transports): the producers to consume again. */
export interface MediaResetTransportsResult extends MediaIceServers {
  producers: MediaProducerInfo[];
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
