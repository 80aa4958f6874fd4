// The one Socket.IO event map, shared by server and client SDK. Event names are `domain:verb`.
// Every client request carries an ack callback answering Ack<T>; types do not replace validation:
// the server parses every payload with the schema of the same name.
import type { z } from "zod";
import type { AckCallback, ErrorPayload } from "./errors";
import type { Me } from "./auth";
import type * as M from "./media";
import type {
  AskQuestionPayload,
  AudioOnlyPayload,
  HandTargetPayload,
  ModerateQuestionPayload,
  TrainingHandView,
  TrainingJoinInfo,
  TrainingQuestionRemoved,
  TrainingQuestionView,
  TrainingSessionRef,
  TrainingSpeakerEvent,
  TrainingStatusEvent,
} from "./training";
import type { ConsultationEvent, PresenceEvent, ReferralEvent } from "./consultations";
import type { RecordingChangedEvent, RecordingConsentView } from "./recording";

/** A live notification for a user (personal room) or an institution (institution room). */
export interface Notification {
  id: string;
  type: string;
  /** ISO 8601, UTC. */
  at: string;
  title: string;
  body?: string;
  data?: Record<string, unknown>;
}

export interface ServerToClientEvents {
  notification: (n: Notification) => void;
  /** The session this socket authenticated with was revoked (logout elsewhere, account disabled). */
  "session:revoked": (e: ErrorPayload) => void;
  // consultations: personal rooms of the people concerned (requester, assigned specialists, coordinators)
  "consultation:queued": (e: ConsultationEvent) => void;
  "consultation:submitted": (e: ConsultationEvent) => void;
  "consultation:accepted": (e: ConsultationEvent) => void;
  "consultation:returned": (e: ConsultationEvent) => void;
  /** A returned request expires soon (RETURNED_REMINDER_BEFORE_MS before): resubmit it or it expires. */
  "consultation:return-expiring": (e: ConsultationEvent) => void;
  "consultation:rejected": (e: ConsultationEvent) => void;
  "consultation:cancelled": (e: ConsultationEvent) => void;
  "consultation:scheduled": (e: ConsultationEvent) => void;
  "consultation:rescheduled": (e: ConsultationEvent) => void;
  "consultation:starting-soon": (e: ConsultationEvent) => void;
  /** EMERGENCY accepted: the room is open now, join it. */
  "consultation:paged": (e: ConsultationEvent) => void;
  "consultation:started": (e: ConsultationEvent) => void;
  "consultation:report-signed": (e: ConsultationEvent) => void;
  "consultation:report-amended": (e: ConsultationEvent) => void;
  /** A file of the consultation finished processing (READY) after the request was submitted: it is an attachment now. */
  "consultation:attachment-added": (e: ConsultationEvent) => void;
  "consultation:closed": (e: ConsultationEvent) => void;
  /** Nobody started it within the grace period after its booked end, or a returned request was not resubmitted in time. */
  "consultation:expired": (e: ConsultationEvent) => void;
  "consultation:sla-escalation": (e: ConsultationEvent) => void;
  "referral:changed": (e: ReferralEvent) => void;
  /** A specialist of the coordinator's institution came online, went offline or into a consultation. */
  "presence:changed": (e: PresenceEvent) => void;
  // training: room training:<id> (everyone present) and training:<id>:mod (lecturers, moderators)
  "training:question": (q: TrainingQuestionView) => void;
  "training:question-removed": (e: TrainingQuestionRemoved) => void;
  "training:hand": (h: TrainingHandView) => void;
  "training:speaker": (e: TrainingSpeakerEvent) => void;
  "training:status": (e: TrainingStatusEvent) => void;
  // Live rooms (media.ts): sent to the peers of the socket's media room.
  "media:peerJoined": (p: M.MediaPeerInfo) => void;
  "media:peerLeft": (p: { peerId: string }) => void;
  "media:newProducer": (p: M.MediaProducerInfo) => void;
  "media:producerClosed": (p: M.MediaProducerClosed) => void;
  "media:producerPaused": (p: M.MediaProducerState) => void;
  "media:producerResumed": (p: M.MediaProducerState) => void;
  "media:consumerLayers": (p: M.MediaConsumerLayers) => void;
  "media:activeSpeaker": (p: M.MediaActiveSpeaker) => void;
  "media:audioLevels": (p: M.MediaAudioLevels) => void;
  "media:chat": (m: M.MediaChatMessage) => void;
  "media:chat:withdrawn": (m: M.MediaChatWithdrawn) => void;
  "media:restart": (p: M.MediaRestart) => void;
  "media:roomClosed": (p: M.MediaRoomClosed) => void;
  // Recordings (recording.ts): sent to the peers of the media room concerned.
  /** A consent request was made or answered (its status and everyone's answer). */
  "recording:consent": (e: RecordingConsentView) => void;
  /** A recording started, stopped or failed. */
  "recording:changed": (e: RecordingChangedEvent) => void;
}

export interface ClientToServerEvents {
  "session:whoami": (ack: AckCallback<Me>) => void;
  // training (payloads parsed with the schemas of the same name in training.ts)
  "training:join": (p: TrainingSessionRef, ack: AckCallback<TrainingJoinInfo>) => void;
  "training:leave": (p: TrainingSessionRef, ack: AckCallback<null>) => void;
  "training:ask": (p: AskQuestionPayload, ack: AckCallback<TrainingQuestionView>) => void;
  "training:moderate": (p: ModerateQuestionPayload, ack: AckCallback<TrainingQuestionView>) => void;
  "training:hand-raise": (p: TrainingSessionRef, ack: AckCallback<TrainingHandView>) => void;
  "training:hand-lower": (p: TrainingSessionRef, ack: AckCallback<null>) => void;
  "training:promote": (p: HandTargetPayload, ack: AckCallback<null>) => void;
  "training:demote": (p: HandTargetPayload, ack: AckCallback<null>) => void;
  "training:audio-only": (p: AudioOnlyPayload, ack: AckCallback<null>) => void;
  // Live rooms (media.ts): one media room per socket; every request after media:join applies to that room.
  "media:join": (req: z.input<typeof M.MediaJoinRequest>, ack: AckCallback<M.MediaJoinResult>) => void;
  /** The media routers' RTP capabilities, before any join: a client loads its device while nothing waits on it. */
  "media:capabilities": (ack: AckCallback<unknown>) => void;
  /** After a join without RTP capabilities: answers paused consumers of the room's producers (resume each). */
  "media:ready": (req: z.input<typeof M.MediaReadyRequest>, ack: AckCallback<M.MediaConsumerInfo[]>) => void;
  "media:getRouterRtpCapabilities": (ack: AckCallback<unknown>) => void;
  "media:createTransport": (
    req: z.input<typeof M.MediaCreateTransportRequest>,
    ack: AckCallback<M.MediaTransportInfo>,
  ) => void;
  "media:connectTransport": (req: z.input<typeof M.MediaConnectTransportRequest>, ack: AckCallback<null>) => void;
  "media:produce": (req: z.input<typeof M.MediaProduceRequest>, ack: AckCallback<{ id: string }>) => void;
  "media:consume": (req: z.input<typeof M.MediaConsumeRequest>, ack: AckCallback<M.MediaConsumerInfo>) => void;
  "media:resumeConsumer": (req: z.input<typeof M.MediaConsumerRequest>, ack: AckCallback<null>) => void;
  "media:setPreferredLayers": (req: z.input<typeof M.MediaSetPreferredLayersRequest>, ack: AckCallback<null>) => void;
  "media:pauseProducer": (req: z.input<typeof M.MediaProducerRequest>, ack: AckCallback<null>) => void;
  "media:resumeProducer": (req: z.input<typeof M.MediaProducerRequest>, ack: AckCallback<null>) => void;
  "media:closeProducer": (req: z.input<typeof M.MediaProducerRequest>, ack: AckCallback<null>) => void;
  "media:restartIce": (
    req: z.input<typeof M.MediaRestartIceRequest>,
    ack: AckCallback<M.MediaRestartIceResult>,
  ) => void;
  /** Drops this peer's transports (producers and consumers with them) to build new ones, e.g. TURN-only. */
  "media:resetTransports": (
    req: z.input<typeof M.MediaResetTransportsRequest>,
    ack: AckCallback<M.MediaResetTransportsResult>,
  ) => void;
  "media:chat:send": (req: z.input<typeof M.MediaChatSendRequest>, ack: AckCallback<M.MediaChatMessage>) => void;
  "media:chat:history": (ack: AckCallback<M.MediaChatMessage[]>) => void;
  "media:leave": (ack: AckCallback<null>) => void;
}

/** Rooms every authenticated socket joins. */
export const rooms = {
  user: (userId: string) => `user:${userId}`,
  institution: (institutionId: string) => `institution:${institutionId}`,
} as const;
