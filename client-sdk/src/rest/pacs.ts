// The institution's PACS: registration (institution admin), search (QIDO-RS through the server) and importing
// studies into a consultation (WADO-RS by the worker, progress and failure reasons on each import).
import type { PacsConnectionView, PacsImportView, PacsRegistration, PacsStudy } from "@yilian/contract";
import type { RestCore } from "./core";

export interface PacsSearch {
  patientId?: string;
  patientName?: string;
  /** YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD */
  studyDate?: string;
  modality?: string;
  limit?: number;
}

export const pacsApi = ({ get, put, post, id }: RestCore) => ({
  registerPacs: (institutionId: string, body: PacsRegistration) =>
    put<PacsConnectionView>(`/api/institutions/${id(institutionId)}/pacs`, body),
  pacsRegistration: (institutionId: string) => get<PacsConnectionView>(`/api/institutions/${id(institutionId)}/pacs`),
  searchPacs: (query: PacsSearch) => get<{ items: PacsStudy[] }>("/api/pacs/studies", { ...query }),
  /** Starts (or retries, when FAILED) the import of each study; answers at once, the worker does the rest. */
  importFromPacs: (consultationId: string, studyInstanceUids: string[]) =>
    post<{ items: PacsImportView[] }>(`/api/consultations/${id(consultationId)}/pacs-imports`, { studyInstanceUids }),
  pacsImports: (consultationId: string) =>
    get<{ items: PacsImportView[] }>(`/api/consultations/${id(consultationId)}/pacs-imports`),
});
