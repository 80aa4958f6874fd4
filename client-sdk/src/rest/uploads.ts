// Imaging and case documents of a consultation: upload (with progress; large files resumable through tus), status,
// previews and content (audited).
import type { UploadView } from "@yilian/contract";
import type { DownloadedFile, RestCore } from "./core";
import { RESUMABLE_FROM_BYTES, resumableUpload, type UploadOptions } from "./resumable";

export const uploadsApi = (core: RestCore) => {
  const { get, download, upload, id } = core;
  return {
    /**
     * One file (DICOM, JPEG, PNG, PDF, DOCX); answered as UPLOADED once every byte arrived, processing follows
     * (READY / REJECTED). Files from 8 MB go through tus and survive a cut line; pass `{ resumable }` to choose.
     */
    upload: (
      consultationId: string,
      file: Blob,
      name: string,
      onProgress?: ((fraction: number) => void) | UploadOptions,
      options: UploadOptions = {},
    ) => {
      const opts = typeof onProgress === "function" ? { ...options, onProgress } : { ...onProgress, ...options };
      return (opts.resumable ?? file.size >= RESUMABLE_FROM_BYTES)
        ? resumableUpload(core, consultationId, file, name, opts)
        : upload<UploadView>(`/api/consultations/${id(consultationId)}/uploads`, file, name, opts.onProgress);
    },
    uploads: (consultationId: string) =>
      get<{ items: UploadView[] }>(`/api/consultations/${id(consultationId)}/uploads`),
    uploadInfo: (uploadId: string) => get<UploadView>(`/api/uploads/${id(uploadId)}`),
    uploadPreview: (uploadId: string): Promise<DownloadedFile> => download(`/api/uploads/${id(uploadId)}/preview`),
    uploadContent: (uploadId: string): Promise<DownloadedFile> => download(`/api/uploads/${id(uploadId)}/content`),
  };
};
