// Domain enums as zod schemas (the SDK cannot import the Prisma client), with the zh-CN labels users see.
// Names follow GLOSSARY.md; they must stay equal to the Prisma enums of the same name.
import { z } from "zod";

export const Tier = z.enum(["PROVINCE", "CITY", "COUNTY", "TOWNSHIP"]);
export type Tier = z.infer<typeof Tier>;
export const tierLabel: Record<Tier, string> = {
  PROVINCE: "省级",
  CITY: "市级",
  COUNTY: "县级",
  TOWNSHIP: "乡镇(社区)级",
};
/** Higher number = higher tier; requests are routed upward. */
export const tierRank: Record<Tier, number> = { PROVINCE: 4, CITY: 3, COUNTY: 2, TOWNSHIP: 1 };

export const InstitutionKind = z.enum([
  "GENERAL_HOSPITAL",
  "SPECIALTY_HOSPITAL",
  "TCM_HOSPITAL",
  "MATERNAL_CHILD_HEALTH",
  "PUBLIC_HEALTH",
  "REHABILITATION_HOSPITAL",
  "PRIVATE_HOSPITAL",
  "TOWNSHIP_HEALTH_CENTRE",
  "COMMUNITY_HEALTH_CENTRE",
  "COMMUNITY_HEALTH_STATION",
  "CLINIC",
  "VILLAGE_CLINIC",
]);
export type InstitutionKind = z.infer<typeof InstitutionKind>;
export const institutionKindLabel: Record<InstitutionKind, string> = {
  GENERAL_HOSPITAL: "综合医院",
  SPECIALTY_HOSPITAL: "专科医院",
  TCM_HOSPITAL: "中医医院",
  MATERNAL_CHILD_HEALTH: "妇幼保健机构",
  PUBLIC_HEALTH: "公共卫生机构",
  REHABILITATION_HOSPITAL: "康复医院",
  PRIVATE_HOSPITAL: "民营医院",
  TOWNSHIP_HEALTH_CENTRE: "乡镇卫生院",
  COMMUNITY_HEALTH_CENTRE: "社区卫生服务中心",
  COMMUNITY_HEALTH_STATION: "社区卫生服务站",
  CLINIC: "卫生所/医务室",
  VILLAGE_CLINIC: "村卫生室",
};

export const RegionKind = z.enum(["CITY", "COUNTY"]);
export type RegionKind = z.infer<typeof RegionKind>;

export const ConsortiumType = z.enum([
  "GOV_HOSPITAL_COOPERATION",
  "EXTERNAL_GUIDANCE",
  "CITY_MEDICAL_GROUP",
  "COUNTY_MEDICAL_COMMUNITY",
  "SPECIALTY_ALLIANCE",
  "TELEMEDICINE_NETWORK",
]);
export type ConsortiumType = z.infer<typeof ConsortiumType>;
export const consortiumTypeLabel: Record<ConsortiumType, string> = {
  GOV_HOSPITAL_COOPERATION: "府院合作",
  EXTERNAL_GUIDANCE: "外部协作指导",
  CITY_MEDICAL_GROUP: "城市医疗集团",
  COUNTY_MEDICAL_COMMUNITY: "县域医共体",
  SPECIALTY_ALLIANCE: "专科联盟",
  TELEMEDICINE_NETWORK: "远程医疗协作网",
};

export const AllianceLevel = z.enum(["PROVINCIAL", "PROVINCE_MANAGED_HOSPITAL"]);
export type AllianceLevel = z.infer<typeof AllianceLevel>;

export const Role = z.enum([
  "DOCTOR",
  "SPECIALIST",
  "COORDINATOR",
  "INSTITUTION_ADMIN",
  "REGION_ADMIN",
  "PROVINCE_ADMIN",
  "LECTURER",
  "TRAINEE",
]);
export type Role = z.infer<typeof Role>;
export const roleLabel: Record<Role, string> = {
  DOCTOR: "申请医生",
  SPECIALIST: "会诊专家",
  COORDINATOR: "远程医学中心管理员",
  INSTITUTION_ADMIN: "机构管理员",
  REGION_ADMIN: "区域管理员",
  PROVINCE_ADMIN: "省级管理员",
  LECTURER: "授课专家",
  TRAINEE: "学员",
};

export const ProfessionalTitle = z.enum([
  "CHIEF_PHYSICIAN",
  "ASSOCIATE_CHIEF_PHYSICIAN",
  "ATTENDING_PHYSICIAN",
  "RESIDENT_PHYSICIAN",
  "NURSE",
  "TECHNICIAN",
  "ADMINISTRATOR",
]);
export type ProfessionalTitle = z.infer<typeof ProfessionalTitle>;
export const professionalTitleLabel: Record<ProfessionalTitle, string> = {
  CHIEF_PHYSICIAN: "主任医师",
  ASSOCIATE_CHIEF_PHYSICIAN: "副主任医师",
  ATTENDING_PHYSICIAN: "主治医师",
  RESIDENT_PHYSICIAN: "住院医师",
  NURSE: "护师",
  TECHNICIAN: "技师",
  ADMINISTRATOR: "管理人员",
};
