// What may be uploaded: the kind is decided from the bytes (file-type), never from the name. Each kind has its
// own size limit; everything else is refused with a reason the user can read.
import { z } from "zod";
import type { UploadCategory, UploadKind } from "@prisma/client";

export interface KindSpec {
  kind: UploadKind;
  category: UploadCategory;
  mime: string;
  label: string;
  maxBytes: number;
}

const MB = 1024 * 1024;
export const DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const LimitsEnv = z.object({
  UPLOAD_MAX_DICOM_MB: z.coerce.number().positive().default(512),
  UPLOAD_MAX_IMAGE_MB: z.coerce.number().positive().default(30),
  UPLOAD_MAX_PDF_MB: z.coerce.number().positive().default(50),
  UPLOAD_MAX_DOCX_MB: z.coerce.number().positive().default(20),
});

export function uploadKinds(env: NodeJS.ProcessEnv = process.env): Record<string, KindSpec> {
  const l = LimitsEnv.parse(env);
  return {
    "application/dicom": {
      kind: "DICOM",
      category: "IMAGING",
      mime: "application/dicom",
      label: "DICOM 影像",
      maxBytes: l.UPLOAD_MAX_DICOM_MB * MB,
    },
    "image/jpeg": {
      kind: "JPEG",
      category: "IMAGING",
      mime: "image/jpeg",
      label: "JPEG 图片",
      maxBytes: l.UPLOAD_MAX_IMAGE_MB * MB,
    },
    "image/png": {
      kind: "PNG",
      category: "IMAGING",
      mime: "image/png",
      label: "PNG 图片",
      maxBytes: l.UPLOAD_MAX_IMAGE_MB * MB,
    },
    "application/pdf": {
      kind: "PDF",
      category: "CASE",
      mime: "application/pdf",
      label: "PDF 文档",
      maxBytes: l.UPLOAD_MAX_PDF_MB * MB,
    },
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
      kind: "DOCX",
      category: "CASE",
      mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      label: "Word 文档",
      maxBytes: l.UPLOAD_MAX_DOCX_MB * MB,
    },
  };
}

export const MAX_UPLOAD_BYTES = (kinds: Record<string, KindSpec>) =>
  Math.max(...Object.values(kinds).map((k) => k.maxBytes));

/** zh-CN names for content we recognise but refuse, so the reason says what the file really is. */
const KNOWN_REFUSED: Record<string, string> = {
  exe: "Windows 可执行程序",
  elf: "Linux 可执行程序",
  msi: "安装程序",
  zip: "ZIP 压缩包",
  rar: "RAR 压缩包",
  "7z": "7z 压缩包",
  gz: "gzip 压缩包",
  tar: "tar 归档",
  mp4: "视频",
  gif: "GIF 动图",
  doc: "旧版 Word 文档（.doc）",
};

export function refusedTypeReason(ext: string | undefined, mime: string | undefined): string {
  const allowed = "仅支持 DICOM 影像、JPEG/PNG 图片、PDF 与 Word（.docx）病例资料";
  if (!ext) return `无法识别文件内容的类型，${allowed}`;
  const what = KNOWN_REFUSED[ext] ?? `${ext.toUpperCase()} 文件（${mime ?? "未知类型"}）`;
  return `文件内容为${what}，不是允许的影像或病例资料；${allowed}`;
}

export function humanSize(bytes: number): string {
  return bytes >= MB ? `${Math.round((bytes / MB) * 10) / 10} MB` : `${Math.ceil(bytes / 1024)} KB`;
}
