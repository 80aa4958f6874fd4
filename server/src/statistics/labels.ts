// zh-CN labels for statistics exports and the admin console; domain enums use the contract's label tables.
import {
  consultationKindLabel,
  consultationStatusLabel,
  statMetricLabel,
  statScopeLabel,
  tierLabel,
  urgencyLabel,
} from "@yilian/contract";

export const METRIC_LABELS: Record<string, string> = statMetricLabel;

export const DIMENSION_LABELS: Record<string, string> = {
  "": "合计",
  status: "状态",
  urgency: "紧急程度",
  kind: "类型",
  specialty: "专科",
  direction: "转诊方向",
  category: "资料类别",
  subject: "录像对象",
};

export const KEY_LABELS: Record<string, string> = {
  "": "",
  ...consultationStatusLabel,
  ...urgencyLabel,
  ...consultationKindLabel,
  UP: "上转",
  DOWN: "下转",
  IMAGING: "影像资料",
  CASE: "病例资料",
  DICOM: "DICOM 影像",
  JPEG: "JPEG 图片",
  PNG: "PNG 图片",
  PDF: "PDF 文档",
  DOCX: "Word 文档",
  CONSULTATION: "远程会诊",
  TRAINING: "远程培训",
  UNSPECIFIED: "未指定",
};

export const SCOPE_LABELS: Record<string, string> = statScopeLabel;

export const TIER_LABELS: Record<string, string> = tierLabel;
