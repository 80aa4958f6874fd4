// Imaging and case documents of a consultation: upload (with progress), status, previews and content (audited).
import type { UploadView } from "@yilian/contract";
import type { DownloadedFile, RestCore } from "./core";

export const uploadsApi = ({ get, download, upload, id }: RestCore) => ({
  /** One file (DICOM, JPEG, PNG, PDF, DOCX); answered at once as UPLOADED, processing follows (READY / REJECTED). */
  upload: (consultationId: string, file: Blob, name: string, onProgress?: (fraction: number) => void) =>
    upload<UploadView>(`/api/consultations/${id(consultationId)}/uploads`, file, name, onProgress),
  uploads: (consultationId: string) => get<{ items: UploadView[] }>(`/api/consultations/${id(consultationId)}/uploads`),
  uploadInfo: (uploadId: string) => get<UploadView>(`/api/uploads/${id(uploadId)}`),
  uploadPreview: (uploadId: string): Promise<DownloadedFile> => download(`/api/uploads/${id(uploadId)}/preview`),
  uploadContent: (uploadId: string): Promise<DownloadedFile> => download(`/api/uploads/${id(uploadId)}/content`),
});
