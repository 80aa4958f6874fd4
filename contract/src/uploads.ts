// Uploaded files of a consultation (影像资料, 病例资料): what the upload endpoints answer.
import { z } from "zod";
import { Id, listOf } from "./common";

export const UploadKind = z.enum(["DICOM", "JPEG", "PNG", "PDF", "DOCX"]);
export type UploadKind = z.infer<typeof UploadKind>;
/** IMAGING = 影像资料 (DICOM, JPEG, PNG); CASE = 病例资料 (PDF, Office documents). */
export const UploadCategory = z.enum(["IMAGING", "CASE"]);
export type UploadCategory = z.infer<typeof UploadCategory>;
/** UPLOADED → PROCESSING → READY or REJECTED (rejectCode, rejectReason in zh-CN). */
export const UploadStatus = z.enum(["UPLOADED", "PROCESSING", "READY", "REJECTED"]);
export type UploadStatus = z.infer<typeof UploadStatus>;

export const UploadView = z.object({
  id: Id,
  consultationId: Id,
  originalName: z.string(),
  kind: UploadKind,
  category: UploadCategory,
  mime: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  status: UploadStatus,
  rejectCode: z.string().nullable(),
  rejectReason: z.string().nullable(),
  hasPreview: z.boolean(),
  dicom: z
    .object({
      studyInstanceUid: z.string().nullable(),
      seriesInstanceUid: z.string().nullable(),
      sopInstanceUid: z.string().nullable(),
      modality: z.string().nullable(),
      bodyPart: z.string().nullable(),
      studyDate: z.string().nullable(),
    })
    .nullable(),
  pageCount: z.number().int().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  uploaderId: Id,
  createdAt: z.string(),
  processedAt: z.string().nullable(),
});
export type UploadView = z.infer<typeof UploadView>;
export const UploadList = listOf(UploadView);
