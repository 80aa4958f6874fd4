// Remote training (远程教学): schedule, catalogue, registration, going live, Q&A and attendance reports.
import type { z } from "zod";
import type {
  InstitutionMonthAttendanceView,
  MyAttendanceView,
  ScheduleTrainingBody,
  SessionAttendanceView,
  TrainingQuestionPage,
  TrainingRegistrationView,
  TrainingSessionPage,
  TrainingSessionView,
  TrainingStatus,
} from "@yilian/contract";
import type { DownloadedFile, RestCore } from "./core";

export const trainingApi = ({ get, post, del, download, id }: RestCore) => ({
  trainingSessions: (
    q: {
      status?: TrainingStatus;
      managed?: boolean;
      from?: string;
      to?: string;
      q?: string;
      limit?: number;
      offset?: number;
    } = {},
  ) => get<z.output<typeof TrainingSessionPage>>("/api/training/sessions", q),
  trainingSession: (sessionId: string) => get<TrainingSessionView>(`/api/training/sessions/${id(sessionId)}`),
  scheduleTraining: (body: z.input<typeof ScheduleTrainingBody>) =>
    post<TrainingSessionView>("/api/training/sessions", body),
  startTraining: (sessionId: string) => post<TrainingSessionView>(`/api/training/sessions/${id(sessionId)}/start`, {}),
  endTraining: (sessionId: string) => post<TrainingSessionView>(`/api/training/sessions/${id(sessionId)}/end`, {}),
  cancelTraining: (sessionId: string, reason: string) =>
    post<TrainingSessionView>(`/api/training/sessions/${id(sessionId)}/cancel`, { reason }),
  registerTraining: (sessionId: string) =>
    post<TrainingRegistrationView>(`/api/training/sessions/${id(sessionId)}/registration`, {}),
  unregisterTraining: (sessionId: string) => del<void>(`/api/training/sessions/${id(sessionId)}/registration`),
  trainingQuestions: (sessionId: string, q: { includeHidden?: boolean; limit?: number; offset?: number } = {}) =>
    get<z.output<typeof TrainingQuestionPage>>(`/api/training/sessions/${id(sessionId)}/questions`, q),
  trainingAttendance: (sessionId: string, institutionId?: string) =>
    get<SessionAttendanceView>(`/api/training/sessions/${id(sessionId)}/attendance`, { institutionId }),
  trainingAttendanceExport: (
    sessionId: string,
    format: "csv" | "xlsx",
    institutionId?: string,
  ): Promise<DownloadedFile> =>
    download(`/api/training/sessions/${id(sessionId)}/attendance`, { format, institutionId }),
  myTrainingAttendance: (sessionId: string) =>
    get<MyAttendanceView>(`/api/training/sessions/${id(sessionId)}/attendance/me`),
  /** An administered institution's attendance over one month (月度统计 submissions). */
  institutionTrainingAttendance: (institutionId: string, month: string) =>
    get<InstitutionMonthAttendanceView>("/api/training/attendance", { institutionId, month }),
  institutionTrainingAttendanceExport: (
    institutionId: string,
    month: string,
    format: "csv" | "xlsx",
  ): Promise<DownloadedFile> => download("/api/training/attendance", { institutionId, month, format }),
});
