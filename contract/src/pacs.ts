// PACS (DICOMweb) registration and search: the admin's registration form and the doctor's search and its answer.
import { z } from "zod";

export const PacsRegistration = z.object({
  name: z.string().trim().min(1).max(100),
  /** DICOMweb root, http(s), without credentials, query or fragment. */
  baseUrl: z.url({ protocol: /^https?$/ }).max(500),
  username: z.string().max(200).optional(),
  password: z.string().max(500).optional(),
});
export type PacsRegistration = z.infer<typeof PacsRegistration>;

export const PacsConnectionView = z.object({
  id: z.uuid(),
  institutionId: z.uuid(),
  name: z.string(),
  baseUrl: z.string(),
  /** Whether credentials are stored; they are never returned. */
  hasCredentials: z.boolean(),
  updatedAt: z.string(),
});
export type PacsConnectionView = z.infer<typeof PacsConnectionView>;

export const PacsStudySearch = z.object({
  patientId: z.string().trim().min(1).max(64).optional(),
  patientName: z.string().trim().min(1).max(64).optional(),
  /** YYYY-MM-DD, or a range YYYY-MM-DD..YYYY-MM-DD */
  studyDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$/, "日期格式应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD")
    .optional(),
  modality: z
    .string()
    .regex(/^[A-Z]{2,4}$/, "检查类型应为 CT、MR、DX、US 等")
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const PacsStudy = z.object({
  studyInstanceUid: z.string(),
  patientId: z.string().nullable(),
  patientName: z.string().nullable(),
  studyDate: z.string().nullable(),
  modalities: z.array(z.string()),
  description: z.string().nullable(),
  accessionNumber: z.string().nullable(),
  seriesCount: z.number().nullable(),
  instanceCount: z.number().nullable(),
});
export type PacsStudy = z.infer<typeof PacsStudy>;
export const PacsStudyList = z.object({ items: z.array(PacsStudy) });

/** The doctor picks studies found through the search; the worker pulls them into the consultation. */
export const PacsImportRequest = z.object({
  studyInstanceUids: z
    .array(
      z
        .string()
        .regex(/^[0-9]+(\.[0-9]+)*$/, "检查标识（Study Instance UID）格式不正确")
        .max(64),
    )
    .min(1, "请至少选择一个检查")
    .max(20, "一次最多导入 20 个检查"),
});
export type PacsImportRequest = z.infer<typeof PacsImportRequest>;

export const PacsImportView = z.object({
  id: z.uuid(),
  consultationId: z.uuid(),
  studyInstanceUid: z.string(),
  /** QUEUED → RUNNING → DONE, or FAILED with a reason (retry by importing the study again). */
  status: z.enum(["QUEUED", "RUNNING", "DONE", "FAILED"]),
  totalInstances: z.number().nullable(),
  importedInstances: z.number(),
  failCode: z.string().nullable(),
  failReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type PacsImportView = z.infer<typeof PacsImportView>;
export const PacsImportList = z.object({ items: z.array(PacsImportView) });
