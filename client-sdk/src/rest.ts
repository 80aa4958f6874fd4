// Typed REST helpers for the public API: a session (login, rotating refresh, logout) and one method per
// endpoint the web console and workstation integrations use. Requests and answers follow the contract schemas;
// errors arrive as RFC 9457 problem+json and are raised as ApiError with the machine-readable code.
import {
  ErrorCode,
  errorMessageZh,
  type ConsortiumSummary,
  type ConsultationStatus,
  type ConsultationDraftInput,
  type ConsultationDraftPatch,
  type DepartmentSummary,
  type FieldIssue,
  type InstitutionSummary,
  type InstitutionTreeNode,
  type Me,
  type Page,
  type ProblemDetails,
  type ReferralInput,
  type ReportInput,
  type Role,
  type Slot,
  type Tier,
  type TokenPair,
  type TrainingSessionView,
  type UserSummary,
  type CreateUserBody,
  type UpdateUserBody,
  type Urgency,
  type MonthlyStatsQuery,
  type MonthlyStatsView,
  type StatBreakdownQuery,
  type StatBreakdownView,
  type StatRowView,
  type StatScopeRef,
} from "@yilian/contract";
import type { z } from "zod";
import type {
  AvailabilityRuleInput,
  AvailabilityWindowInput,
  DecisionInput,
  ScheduleTrainingBody,
  AttendanceRow,
  TrainingRegistrationView,
  TrainingQuestionView,
  RecordingConsentView,
  RecordingRoomState,
  RecordingView,
} from "@yilian/contract";

/** An API error: the problem's code, status, message (zh-CN) and field issues. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues: FieldIssue[];
  readonly requestId?: string;
  constructor(code: ErrorCode, status: number, message: string, issues: FieldIssue[] = [], requestId?: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.issues = issues;
    this.requestId = requestId;
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

/** Codes after which the session is over: the caller must log in again. */
export const SESSION_ENDING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.TOKEN_EXPIRED,
  ErrorCode.TOKEN_INVALID,
  ErrorCode.TOKEN_REVOKED,
  ErrorCode.ACCOUNT_DISABLED,
]);

/** Where a session keeps its tokens (browser: sessionStorage; services: memory). */
export interface TokenStore {
  get(): StoredSession | null;
  set(s: StoredSession | null): void;
}
export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  user: Me;
}

export const memoryTokenStore = (): TokenStore => {
  let s: StoredSession | null = null;
  return { get: () => s, set: (v) => void (s = v) };
};

export interface RestClientOptions {
  /** Origin of the API; "" (default) for the same origin in a browser. */
  baseUrl?: string;
  store?: TokenStore;
  /** Called once when the session ends (refresh failed, revoked): show the login. */
  onSessionEnded?: (e: ApiError) => void;
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | boolean | undefined | null>;
interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Answer as a Blob (PDF, CSV, XLSX, images). */
  blob?: boolean;
  signal?: AbortSignal;
  /** Do not refresh and retry on 401 (login, refresh). */
  noAuth?: boolean;
}

export interface DownloadedFile {
  blob: Blob;
  /** From content-disposition, if the server named it. */
  filename: string | null;
}

function qs(query?: Query): string {
  if (!query) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

function filenameOf(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain?.[1] ?? null;
}

async function problemFrom(res: Response): Promise<ApiError> {
  let body: Partial<ProblemDetails> = {};
  try {
    body = (await res.json()) as Partial<ProblemDetails>;
  } catch {
    /* not problem+json (proxy error page) */
  }
  const code = (body.code && body.code in ErrorCode ? body.code : res.status >= 500 ? "UNAVAILABLE" : "INTERNAL") as ErrorCode;
  return new ApiError(code, res.status, body.detail || errorMessageZh[code], body.errors ?? [], body.requestId);
}

// ------------------------------------------------------------------------------- response shapes (server views)

export interface ConsultationRow {
  id: string;
  number: string;
  status: ConsultationStatus;
  urgency: Urgency;
  kind: string;
  specialtyCode: string | null;
  patientName: string;
  requestingInstitutionId: string;
  targetInstitutionId: string | null;
  submittedAt: string | null;
  createdAt: string;
  slaDueAt: string | null;
  overdue: boolean;
  scheduledStart: string | null;
}

export interface ConsultationReportView {
  status: string;
  findings: string | null;
  impression: string | null;
  recommendations: string | null;
  referralAdvice: "UP" | "DOWN" | "NONE" | null;
  followUp: string | null;
  signedBy: { id: string; name: string } | null;
  signedAt: string | null;
  amendments: { id: string; authorId: string; reason: string; at: string; previous: unknown; current: unknown }[];
}

export interface ConsultationDetail {
  id: string;
  number: string;
  status: ConsultationStatus;
  urgency: Urgency;
  kind: string;
  version: number;
  patient: { name: string; sex: "MALE" | "FEMALE" | "UNKNOWN"; birthDate: string; idNumberMasked: string | null; recordNumber: string | null };
  chiefComplaint: string;
  history: string;
  examinations: string;
  preliminaryDiagnosis: string;
  question: string;
  specialtyCode: string | null;
  requestingInstitution: { id: string; name: string; tier: Tier } | null;
  requestingDoctor: { id: string; name: string };
  targetInstitution: { id: string; name: string; tier: Tier } | null;
  targetDepartmentId: string | null;
  targetSpecialistId: string | null;
  participants: { userId: string; role: string; name: string }[];
  attachments: { uploadId: string; addedAt: string }[];
  booking: { id: string; startsAt: string; endsAt: string; local: string; specialistIds: string[] } | null;
  report: ConsultationReportView | null;
  decision: { outcome: string; decision: string; decidedById: string; at: string } | null;
  statusReason: string | null;
  slaDueAt: string | null;
  overdue: boolean;
  submittedAt: string | null;
  acceptedAt: string | null;
  scheduledStart: string | null;
  scheduledEnd: string | null;
  scheduledStartLocal: string | null;
  startedAt: string | null;
  reportedAt: string | null;
  closedAt: string | null;
  createdAt: string;
  timeline: { from: ConsultationStatus | null; to: ConsultationStatus; actorId: string | null; actorName: string | null; reason: string | null; at: string }[];
}

export interface TargetSuggestion {
  institution: { id: string; name: string; tier: Tier };
  link: string;
  linkLabel: string;
  consortiumId: string | null;
  specialtyMatch: boolean;
  departmentId: string | null;
  nextSlot: string | null;
  openLoad: number;
}

export interface UploadView {
  id: string;
  consultationId: string;
  originalName: string;
  kind: string;
  category: "IMAGING" | "CASE";
  mime: string;
  sizeBytes: number;
  status: "UPLOADED" | "PROCESSING" | "READY" | "REJECTED";
  rejectCode: string | null;
  rejectReason: string | null;
  hasPreview: boolean;
  dicom: { studyInstanceUid: string | null; seriesInstanceUid: string | null; sopInstanceUid: string | null; modality: string | null; bodyPart: string | null; studyDate: string | null } | null;
  pageCount: number | null;
  width: number | null;
  height: number | null;
  createdAt: string;
  processedAt: string | null;
}

export interface SpecialistPresence {
  userId: string;
  name: string;
  department: string | null;
  specialtyCode: string | null;
  state: "OFFLINE" | "ONLINE" | "IN_CONSULTATION";
}

export interface RegionView {
  id: string;
  name: string;
  code?: string;
  kind: "CITY" | "COUNTY";
  counties: { id: string; name: string; code?: string; kind: "COUNTY" }[];
}

export interface Specialty {
  code: string;
  name: string;
  nameEn?: string | null;
}

export interface AvailabilityView {
  rules: { id: string; weekday: number; start: string; end: string; slotMinutes: number; validFrom: string; validUntil: string | null; label: string | null }[];
  windows: { id: string; kind: "OPEN" | "EXCEPTION"; startsAt: string; endsAt: string; slotMinutes: number | null; reason: string | null }[];
}

export type StatRow = StatRowView;

// ------------------------------------------------------------------------------------------------- client

export type RestClient = ReturnType<typeof createRestClient>;

export function createRestClient(opts: RestClientOptions = {}) {
  const base = (opts.baseUrl ?? "").replace(/\/$/, "");
  const store = opts.store ?? memoryTokenStore();
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  let refreshing: Promise<string | null> | null = null;
  let ended = false;

  const endSession = (e: ApiError) => {
    store.set(null);
    if (!ended) {
      ended = true;
      opts.onSessionEnded?.(e);
    }
  };

  /** Rotates the refresh token once for all concurrent callers; null when the session is over. */
  const refresh = (): Promise<string | null> => {
    refreshing ??= (async () => {
      const s = store.get();
      if (!s) return null;
      const res = await doFetch(`${base}/api/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken: s.refreshToken }),
      });
      if (!res.ok) {
        endSession(await problemFrom(res));
        return null;
      }
      const pair = (await res.json()) as TokenPair;
      store.set(toStored(pair));
      return pair.accessToken;
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  /** A valid access token, refreshed shortly before it expires. */
  const accessToken = async (): Promise<string | null> => {
    const s = store.get();
    if (!s) return null;
    if (s.expiresAt - Date.now() < 15_000) return refresh();
    return s.accessToken;
  };

  async function raw(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const send = async (token: string | null) =>
      doFetch(`${base}${path}${qs(o.query)}`, {
        method,
        signal: o.signal,
        headers: {
          ...(o.body !== undefined ? { "content-type": "application/json" } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
      });
    let res = await send(o.noAuth ? null : await accessToken());
    if (res.status === 401 && !o.noAuth && store.get()) {
      const token = await refresh();
      if (token) res = await send(token);
    }
    if (!res.ok) {
      const err = await problemFrom(res);
      if (!o.noAuth && SESSION_ENDING_CODES.has(err.code)) endSession(err);
      throw err;
    }
    return res;
  }

  async function request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const res = await raw(method, path, o);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function download(path: string, query?: Query): Promise<DownloadedFile> {
    const res = await raw("GET", path, { query });
    return { blob: await res.blob(), filename: filenameOf(res.headers.get("content-disposition")) };
  }

  const get = <T>(path: string, query?: Query) => request<T>("GET", path, { query });
  const post = <T>(path: string, body: unknown = {}) => request<T>("POST", path, { body });
  const put = <T>(path: string, body: unknown = {}) => request<T>("PUT", path, { body });
  const patch = <T>(path: string, body: unknown = {}) => request<T>("PATCH", path, { body });
  const del = <T>(path: string, body?: unknown) => request<T>("DELETE", path, { body });
  const id = encodeURIComponent;

  /**
   * Uploads one file with progress (browser: XMLHttpRequest, the only API that reports upload progress;
   * elsewhere: fetch without progress).
   */
  async function upload(consultationId: string, file: Blob, name: string, onProgress?: (fraction: number) => void): Promise<UploadView> {
    const url = `${base}/api/consultations/${id(consultationId)}/uploads`;
    const form = new FormData();
    form.append("file", file, name);
    const attempt = async (): Promise<{ status: number; text: string }> => {
      const token = await accessToken();
      if (typeof XMLHttpRequest === "undefined") {
        const res = await doFetch(url, { method: "POST", body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
        onProgress?.(1);
        return { status: res.status, text: await res.text() };
      }
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", url);
        if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
        xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
        xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
        xhr.onerror = () => reject(new ApiError(ErrorCode.UNAVAILABLE, 0, "网络连接中断，上传失败"));
        xhr.send(form);
      });
    };
    let r = await attempt();
    if (r.status === 401 && (await refresh())) r = await attempt();
    if (r.status >= 400) {
      const err = await problemFrom(new Response(r.text, { status: r.status }));
      if (SESSION_ENDING_CODES.has(err.code)) endSession(err);
      throw err;
    }
    return JSON.parse(r.text) as UploadView;
  }

  return {
    store,
    request,
    download,
    upload,
    /** A fresh access token for Socket.IO handshakes. */
    accessToken,
    // ---------------------------------------------------------------------------------------- session
    async login(username: string, password: string): Promise<Me> {
      const pair = await request<TokenPair>("POST", "/api/auth/login", { body: { username, password }, noAuth: true });
      store.set(toStored(pair));
      ended = false;
      return pair.user;
    },
    async logout(): Promise<void> {
      const s = store.get();
      store.set(null);
      if (s) await request("POST", "/api/auth/logout", { body: { refreshToken: s.refreshToken }, noAuth: true }).catch(() => undefined);
    },
    me: () => get<Me>("/api/me"),
    currentUser: (): Me | null => store.get()?.user ?? null,
    // ---------------------------------------------------------------------------------------- network
    institutions: (q: { q?: string; tier?: Tier; cityId?: string; countyId?: string; consortiumId?: string; limit?: number; offset?: number } = {}) =>
      get<Page<InstitutionSummary>>("/api/institutions", q),
    institutionTree: (q: { rootId?: string; depth?: number } = {}) => get<InstitutionTreeNode[]>("/api/institutions/tree", q),
    institution: (instId: string) => get<InstitutionSummary & Record<string, unknown>>(`/api/institutions/${id(instId)}`),
    departments: (instId: string) => get<DepartmentSummary[]>(`/api/institutions/${id(instId)}/departments`),
    consortia: (q: { q?: string; type?: string; institutionId?: string; limit?: number; offset?: number } = {}) =>
      get<Page<ConsortiumSummary>>("/api/consortia", q),
    consortiumMembers: (cId: string, q: { limit?: number; offset?: number } = {}) =>
      get<Page<InstitutionSummary & { role: string }>>(`/api/consortia/${id(cId)}/members`, q),
    regions: () => get<RegionView[]>("/api/regions"),
    specialties: () => get<Specialty[]>("/api/specialties"),
    // ------------------------------------------------------------------------------------------ users
    users: (q: { q?: string; institutionId?: string; role?: Role; limit?: number; offset?: number } = {}) => get<Page<UserSummary>>("/api/users", q),
    createUser: (body: CreateUserBody) => post<UserSummary>("/api/users", body),
    updateUser: (userId: string, body: UpdateUserBody) => patch<UserSummary>(`/api/users/${id(userId)}`, body),
    // ---------------------------------------------------------------------------------- consultations
    consultations: (q: { box?: "mine" | "requested" | "assigned" | "institution"; status?: ConsultationStatus; limit?: number; offset?: number } = {}) =>
      get<Page<ConsultationRow>>("/api/consultations", q),
    triageQueue: (q: { limit?: number; offset?: number } = {}) => get<Page<ConsultationRow>>("/api/consultations/triage", q),
    suggestTargets: (specialtyCode: string, limit = 10) => get<{ items: TargetSuggestion[] }>("/api/consultations/targets", { specialtyCode, limit }),
    presence: () => get<{ items: SpecialistPresence[] }>("/api/consultations/presence"),
    consultation: (cId: string) => get<ConsultationDetail>(`/api/consultations/${id(cId)}`),
    createConsultation: (body: z.input<typeof ConsultationDraftInput>) => post<ConsultationDetail>("/api/consultations", body),
    updateConsultation: (cId: string, body: z.input<typeof ConsultationDraftPatch>) => patch<ConsultationDetail>(`/api/consultations/${id(cId)}`, body),
    submitConsultation: (cId: string, note?: string) => post<ConsultationDetail>(`/api/consultations/${id(cId)}/submit`, note ? { note } : {}),
    acceptConsultation: (cId: string, specialistIds: string[], note?: string) =>
      post<ConsultationDetail>(`/api/consultations/${id(cId)}/accept`, { specialistIds, ...(note ? { note } : {}) }),
    returnConsultation: (cId: string, reason: string) => post<ConsultationDetail>(`/api/consultations/${id(cId)}/return`, { reason }),
    rejectConsultation: (cId: string, reason: string) => post<ConsultationDetail>(`/api/consultations/${id(cId)}/reject`, { reason }),
    cancelConsultation: (cId: string, reason: string) => post<ConsultationDetail>(`/api/consultations/${id(cId)}/cancel`, { reason }),
    book: (cId: string, startsAt: string, minutes?: number) => post<ConsultationDetail>(`/api/consultations/${id(cId)}/booking`, { startsAt, ...(minutes ? { minutes } : {}) }),
    saveReport: (cId: string, body: ReportInput) => put<ConsultationDetail>(`/api/consultations/${id(cId)}/report`, body),
    signReport: (cId: string) => post<ConsultationDetail>(`/api/consultations/${id(cId)}/report/sign`, {}),
    amendReport: (cId: string, body: ReportInput & { reason: string }) => post<ConsultationDetail>(`/api/consultations/${id(cId)}/report/amendments`, body),
    recordDecision: (cId: string, body: z.input<typeof DecisionInput>) => post<ConsultationDetail>(`/api/consultations/${id(cId)}/decision`, body),
    reportPdf: (cId: string) => download(`/api/consultations/${id(cId)}/report.pdf`),
    // ---------------------------------------------------------------------------------------- uploads
    uploads: (cId: string) => get<{ items: UploadView[] }>(`/api/consultations/${id(cId)}/uploads`),
    uploadInfo: (uploadId: string) => get<UploadView>(`/api/uploads/${id(uploadId)}`),
    uploadPreview: (uploadId: string) => download(`/api/uploads/${id(uploadId)}/preview`),
    uploadContent: (uploadId: string) => download(`/api/uploads/${id(uploadId)}/content`),
    // ------------------------------------------------------------------------------------- scheduling
    slots: (q: { specialtyCode: string; institutionId?: string; specialistId?: string; from?: string; days?: number; limit?: number }) => get<{ items: Slot[] }>("/api/slots", q),
    availability: (specialistId: string) => get<AvailabilityView>(`/api/specialists/${id(specialistId)}/availability`),
    addAvailabilityRule: (specialistId: string, body: z.input<typeof AvailabilityRuleInput>) => post<unknown>(`/api/specialists/${id(specialistId)}/availability/rules`, body),
    addAvailabilityWindow: (specialistId: string, body: z.input<typeof AvailabilityWindowInput>) => post<unknown>(`/api/specialists/${id(specialistId)}/availability/windows`, body),
    removeAvailability: (specialistId: string, kind: "rules" | "windows", itemId: string) => del<unknown>(`/api/specialists/${id(specialistId)}/availability/${kind}/${id(itemId)}`),
    // -------------------------------------------------------------------------------------- referrals
    referrals: (q: { limit?: number; offset?: number } = {}) => get<Page<Record<string, unknown>>>("/api/referrals", q),
    createReferral: (body: z.input<typeof ReferralInput>) => post<Record<string, unknown>>("/api/referrals", body),
    // --------------------------------------------------------------------------------------- training
    trainingSessions: (q: { status?: string; managed?: boolean; q?: string; limit?: number; offset?: number } = {}) =>
      get<Page<TrainingSessionView>>("/api/training/sessions", q),
    trainingSession: (sId: string) => get<TrainingSessionView>(`/api/training/sessions/${id(sId)}`),
    scheduleTraining: (body: z.input<typeof ScheduleTrainingBody>) => post<TrainingSessionView>("/api/training/sessions", body),
    startTraining: (sId: string) => post<TrainingSessionView>(`/api/training/sessions/${id(sId)}/start`, {}),
    endTraining: (sId: string) => post<TrainingSessionView>(`/api/training/sessions/${id(sId)}/end`, {}),
    registerTraining: (sId: string) => post<TrainingRegistrationView>(`/api/training/sessions/${id(sId)}/registration`, {}),
    unregisterTraining: (sId: string) => del<unknown>(`/api/training/sessions/${id(sId)}/registration`),
    trainingQuestions: (sId: string) => get<Page<TrainingQuestionView>>(`/api/training/sessions/${id(sId)}/questions`),
    trainingAttendance: (sId: string, institutionId?: string) =>
      get<{ title: string; number: string; rows: AttendanceRow[] }>(`/api/training/sessions/${id(sId)}/attendance`, { institutionId }),
    trainingAttendanceExport: (sId: string, format: "csv" | "xlsx", institutionId?: string) =>
      download(`/api/training/sessions/${id(sId)}/attendance`, { format, institutionId }),
    cancelTraining: (sId: string, reason: string) => post<TrainingSessionView>(`/api/training/sessions/${id(sId)}/cancel`, { reason }),
    // ------------------------------------------------------------------------------------- recordings
    recordings: (subject: "CONSULTATION" | "TRAINING", subjectId: string) => get<{ items: RecordingView[] }>("/api/recordings", { subject, subjectId }),
    recording: (recId: string) => get<RecordingView>(`/api/recordings/${id(recId)}`),
    /** Training (lecturer): starts at once. Consultations go through requestRecordingConsent. */
    startRecording: (body: { subject: "CONSULTATION" | "TRAINING"; subjectId: string; consent?: boolean }) => post<RecordingView>("/api/recordings", body),
    stopRecording: (recId: string) => post<RecordingView>(`/api/recordings/${id(recId)}/stop`, {}),
    recordingRoomState: (consultationId: string) => get<RecordingRoomState>("/api/recordings/room-state", { subjectId: consultationId }),
    /** The specialist confirms the patient's consent and asks everyone present; recording starts when all agreed. */
    requestRecordingConsent: (consultationId: string) => post<RecordingConsentView>("/api/recordings/consent-requests", { subjectId: consultationId, patientConsent: true }),
    answerRecordingConsent: (requestId: string, agree: boolean) => post<RecordingConsentView>(`/api/recordings/consent-requests/${id(requestId)}/answer`, { agree }),
    /** Entered while recording: agree, or refuse (which stops the recording). */
    answerRunningRecording: (recId: string, agree: boolean) => post<RecordingRoomState>(`/api/recordings/${id(recId)}/consent`, { agree }),
    recordingVideo: (recId: string) => download(`/api/recordings/${id(recId)}/video`),
    recordingPoster: (recId: string) => download(`/api/recordings/${id(recId)}/poster`),
    // ------------------------------------------------------------------------------------- statistics
    statisticsMonthly: (q: Omit<MonthlyStatsQuery, "format">) => get<MonthlyStatsView>("/api/statistics/monthly", { ...q, format: "json" }),
    statisticsBreakdown: (q: Omit<StatBreakdownQuery, "format">) => get<StatBreakdownView>("/api/statistics/breakdown", { ...q, format: "json" }),
    /** Names of a drill-down path ("CITY:<id>,COUNTY:<id>"), for a breadcrumb. */
    statisticsPath: (path: string) => get<{ items: StatScopeRef[] }>("/api/statistics/scopes", { path }),
    statisticsExport: (kind: "monthly" | "breakdown", q: Omit<MonthlyStatsQuery, "format"> | Omit<StatBreakdownQuery, "format">, format: "csv" | "xlsx") =>
      download(`/api/statistics/${kind}`, { ...q, format }),
  };
}

function toStored(pair: TokenPair): StoredSession {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt: Date.now() + pair.expiresIn * 1000, user: pair.user };
}
