// zh-CN labels for statistics exports and the admin console; domain enums use the contract's label tables.
import { consultationKindLabel, consultationStatusLabel, tierLabel, urgencyLabel } from "@yilian/contract";

export const METRIC_LABELS: Record<string, string> = {
  consultations: "远程会诊申请数",
  consultations_received: "受邀会诊数",
  acceptance_minutes_p50: "提交至受理时长中位数（分钟）",
  acceptance_minutes_p90: "提交至受理时长P90（分钟）",
  report_minutes_p50: "提交至出具报告时长中位数（分钟）",
  report_minutes_p90: "提交至出具报告时长P90（分钟）",
  sla_breaches: "超时未受理数",
  referrals: "双向转诊数",
  training_sessions: "远程培训场次",
  training_attendances: "参训人次",
  training_person_minutes: "参训人分钟数",
  uploads: "新增资料数",
  recording_minutes: "录像时长（分钟）",
};

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

export const SCOPE_LABELS: Record<string, string> = {
  INSTITUTION: "医疗机构",
  COUNTY: "县（市、区）",
  CITY: "市（州）",
  TIER: "层级",
  CONSORTIUM: "医联体",
  PROVINCE: "全省",
};

export const TIER_LABELS: Record<string, string> = tierLabel;
