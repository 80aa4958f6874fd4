// Recordings (录像): lectures recorded by the lecturer; consultations only with everyone's consent.
import type { z } from "zod";
import type {
  RecordingConsentView,
  RecordingList,
  RecordingRoomState,
  RecordingSubject,
  RecordingView,
} from "@yilian/contract";
import type { DownloadedFile, RestCore } from "./core";

export const recordingsApi = ({ get, post, download, id }: RestCore) => ({
  recordings: (subject: RecordingSubject, subjectId: string) =>
    get<z.output<typeof RecordingList>>("/api/recordings", { subject, subjectId }),
  recording: (recordingId: string) => get<RecordingView>(`/api/recordings/${id(recordingId)}`),
  /** Training (lecturer): starts at once. Consultations go through requestRecordingConsent. */
  startRecording: (body: { subject: RecordingSubject; subjectId: string; consent?: boolean }) =>
    post<RecordingView>("/api/recordings", body),
  stopRecording: (recordingId: string) => post<RecordingView>(`/api/recordings/${id(recordingId)}/stop`, {}),
  recordingRoomState: (consultationId: string) =>
    get<RecordingRoomState>("/api/recordings/room-state", { subjectId: consultationId }),
  /** The specialist confirms the patient's consent and asks everyone present; recording starts when all agreed. */
  requestRecordingConsent: (consultationId: string) =>
    post<RecordingConsentView>("/api/recordings/consent-requests", { subjectId: consultationId, patientConsent: true }),
  answerRecordingConsent: (requestId: string, agree: boolean) =>
    post<RecordingConsentView>(`/api/recordings/consent-requests/${id(requestId)}/answer`, { agree }),
  /** Entered while recording: agree, or refuse (which stops the recording). */
  answerRunningRecording: (recordingId: string, agree: boolean) =>
    post<RecordingRoomState>(`/api/recordings/${id(recordingId)}/consent`, { agree }),
  recordingVideo: (recordingId: string): Promise<DownloadedFile> =>
    download(`/api/recordings/${id(recordingId)}/video`),
  recordingPoster: (recordingId: string): Promise<DownloadedFile> =>
    download(`/api/recordings/${id(recordingId)}/poster`),
});
