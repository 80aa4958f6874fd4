// Recordings (录像) of live rooms: the recording view, the participants' consent to record a consultation, the
// Socket.IO events that keep every participant's indicator current, and zh-CN labels.
//
// Consent rule (consultations): the assigned specialist confirms the patient's informed consent, then asks the
// participants present in the room; recording starts only when every one of them agreed (each answer is an audit
// row). One refusal cancels the request. Someone who enters while a recording runs is asked too, and a refusal
// then stops the recording: nobody is recorded without having agreed.
import { z } from "zod";
import { Id, listOf } from "./common";

export const RecordingStatus = z.enum(["RECORDING", "PROCESSING", "READY", "FAILED"]);
export type RecordingStatus = z.infer<typeof RecordingStatus>;
export const recordingStatusLabel: Record<RecordingStatus, string> = {
  RECORDING: "录制中",
  PROCESSING: "处理中",
  READY: "可回放",
  FAILED: "处理失败",
};

export const RecordingSubject = z.enum(["CONSULTATION", "TRAINING"]);
export type RecordingSubject = z.infer<typeof RecordingSubject>;

export const RecordingView = z.object({
  id: Id,
  subject: RecordingSubject,
  subjectId: Id,
  status: RecordingStatus,
  consentRecorded: z.boolean(),
  /** ISO 8601, UTC. */
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  sizeBytes: z.number().nullable(),
  sha256: z.string().nullable(),
  hasPoster: z.boolean(),
  failureReason: z.string().nullable(),
});
export type RecordingView = z.infer<typeof RecordingView>;
export const RecordingList = listOf(RecordingView);

/** The specialist asks the participants present to agree to recording a consultation. */
export const RecordingConsentRequestBody = z.object({
  subjectId: Id,
  /** The specialist confirms the patient (or guardian) agreed to be recorded. */
  patientConsent: z.literal(true, { error: "须先确认患者已知情同意" }),
});

export const RecordingConsentAnswerBody = z.object({ agree: z.boolean() });

export const ConsentAnswer = z.enum(["PENDING", "AGREED", "DECLINED"]);
export type ConsentAnswer = z.infer<typeof ConsentAnswer>;
export const consentAnswerLabel: Record<ConsentAnswer, string> = {
  PENDING: "待确认",
  AGREED: "已同意",
  DECLINED: "不同意",
};

export const ConsentRequestStatus = z.enum(["PENDING", "STARTED", "DECLINED", "EXPIRED", "FAILED"]);
export type ConsentRequestStatus = z.infer<typeof ConsentRequestStatus>;

export const RecordingConsentView = z.object({
  id: Id,
  subject: z.literal("CONSULTATION"),
  subjectId: Id,
  status: ConsentRequestStatus,
  requestedBy: z.object({ userId: Id, name: z.string() }),
  /** Everyone present when it was asked (the requester excluded), with their answer. */
  participants: z.array(z.object({ userId: Id, name: z.string(), answer: ConsentAnswer })),
  /** The recording started once everyone agreed. */
  recordingId: Id.nullable(),
  /** ISO 8601, UTC: unanswered requests lapse. */
  expiresAt: z.string(),
});
export type RecordingConsentView = z.infer<typeof RecordingConsentView>;

/** The recording state of a room: the running recording (with who agreed to it) and a pending request. */
export const RecordingRoomState = z.object({
  request: RecordingConsentView.nullable(),
  recording: RecordingView.extend({ agreedUserIds: z.array(Id) }).nullable(),
});
export type RecordingRoomState = z.infer<typeof RecordingRoomState>;

/** Sent to the room's participants when a recording starts, stops, fails or is ready. */
export interface RecordingChangedEvent {
  recording: RecordingView;
  /** Why it changed when nobody pressed anything: a participant's refusal, or a media failure it went on through. */
  reason?: string;
}
