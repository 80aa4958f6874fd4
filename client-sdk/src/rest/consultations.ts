// Remote consultations (远程会诊): request, triage, report, decision and exports. Every read of one consultation is
// audited on the server; the patient's ID number is masked everywhere unless revealed (audited, treating doctors).
import type { z } from "zod";
import type {
  AmendInput,
  ConsultationDetail,
  ConsultationDraftInput,
  ConsultationDraftPatch,
  ConsultationPage,
  ConsultationStatus,
  DecisionInput,
  ReportInput,
  SpecialistPresence,
  TargetSuggestion,
} from "@yilian/contract";
import type { DownloadedFile, RestCore } from "./core";

/** A FHIR R4 Bundle (collection): Patient, ServiceRequest, Appointment, DiagnosticReport. */
export interface FhirBundle {
  resourceType: "Bundle";
  type: "collection";
  timestamp: string;
  identifier: { system: string; value: string };
  entry: { fullUrl: string; resource: { resourceType: string; id: string } & Record<string, unknown> }[];
}

export type ConsultationBox = "mine" | "requested" | "assigned" | "institution";

export const consultationsApi = ({ get, post, put, patch, download, request, id }: RestCore) => ({
  /** Consultations the caller may see; `box` narrows: requested by me, assigned to me, my institution's. */
  consultations: (q: { box?: ConsultationBox; status?: ConsultationStatus; limit?: number; offset?: number } = {}) =>
    get<z.output<typeof ConsultationPage>>("/api/consultations", q),
  /** The receiving coordinator's queue: SUBMITTED requests, EMERGENCY first, then oldest. */
  triageQueue: (q: { limit?: number; offset?: number } = {}) =>
    get<z.output<typeof ConsultationPage>>("/api/consultations/triage", q),
  /** Where the caller's institution may send a request for this specialty, best first (consortium link first). */
  suggestTargets: (specialtyCode: string, limit = 10) =>
    get<{ items: TargetSuggestion[] }>("/api/consultations/targets", { specialtyCode, limit }),
  /** Coordinators: presence of their institution's specialists. */
  presence: () => get<{ items: SpecialistPresence[] }>("/api/consultations/presence"),
  consultation: (consultationId: string) => get<ConsultationDetail>(`/api/consultations/${id(consultationId)}`),
  /** Saved as a DRAFT; submit it with submitConsultation. */
  createConsultation: (body: z.input<typeof ConsultationDraftInput>) =>
    post<ConsultationDetail>("/api/consultations", body),
  /** Edit a DRAFT or RETURNED request; pass `version` to refuse edits made on a stale copy (409 CONFLICT). */
  updateConsultation: (consultationId: string, body: z.input<typeof ConsultationDraftPatch>) =>
    patch<ConsultationDetail>(`/api/consultations/${id(consultationId)}`, body),
  submitConsultation: (consultationId: string, note?: string) =>
    post<ConsultationDetail>(`/api/consultations/${id(consultationId)}/submit`, note ? { note } : {}),
  acceptConsultation: (consultationId: string, specialistIds: string[], note?: string) =>
    post<ConsultationDetail>(`/api/consultations/${id(consultationId)}/accept`, {
      specialistIds,
      ...(note ? { note } : {}),
    }),
  /** Back to the requester for more information; it expires after RETURNED_EXPIRES_AFTER_MS unless resubmitted. */
  returnConsultation: (consultationId: string, reason: string) =>
    post<ConsultationDetail>(`/api/consultations/${id(consultationId)}/return`, { reason }),
  rejectConsultation: (consultationId: string, reason: string) =>
    post<ConsultationDetail>(`/api/consultations/${id(consultationId)}/reject`, { reason }),
  cancelConsultation: (consultationId: string, reason: string) =>
    post<ConsultationDetail>(`/api/consultations/${id(consultationId)}/cancel`, { reason }),
  /** The full ID number (requesting doctor and assigned specialists only; audited). */
  revealIdNumber: (consultationId: string) =>
    post<{ idNumber: string | null }>(`/api/consultations/${id(consultationId)}/reveal-id`, {}),
  saveReport: (consultationId: string, body: ReportInput) =>
    put<ConsultationDetail>(`/api/consultations/${id(consultationId)}/report`, body),
  signReport: (consultationId: string) =>
    post<ConsultationDetail>(`/api/consultations/${id(consultationId)}/report/sign`, {}),
  amendReport: (consultationId: string, body: z.input<typeof AmendInput>) =>
    post<ConsultationDetail>(`/api/consultations/${id(consultationId)}/report/amendments`, body),
  /** The requesting doctor records what was done with the advice: CLOSED. */
  recordDecision: (consultationId: string, body: z.input<typeof DecisionInput>) =>
    post<ConsultationDetail>(`/api/consultations/${id(consultationId)}/decision`, body),
  reportPdf: (consultationId: string): Promise<DownloadedFile> =>
    download(`/api/consultations/${id(consultationId)}/report.pdf`),
  /** FHIR R4 export (audited). The ID number is masked unless `revealIdNumber` (treating doctors; audited). */
  fhirBundle: (consultationId: string, opts: { revealIdNumber?: boolean } = {}) =>
    request<FhirBundle>("GET", `/api/consultations/${id(consultationId)}/fhir`, {
      query: opts.revealIdNumber ? { revealIdNumber: true } : undefined,
    }),
});
