import { z } from "zod";
import { Id, LIMITS, Pagination, QueryBoolean, pageOf } from "./common";
import { AllianceLevel, ConsortiumType, InstitutionKind, ProfessionalTitle, RegionKind, Role, Tier } from "./enums";

export const InstitutionSearchQuery = Pagination.extend({
  q: z.string().trim().min(1).max(LIMITS.shortText).optional(),
  tier: Tier.optional(),
  kind: InstitutionKind.optional(),
  cityId: Id.optional(),
  countyId: Id.optional(),
  consortiumId: Id.optional(),
  named: QueryBoolean.optional(),
});
export type InstitutionSearchQuery = z.infer<typeof InstitutionSearchQuery>;

export const RegionRef = z.object({ id: Id, name: z.string(), kind: RegionKind });
export const InstitutionSummary = z.object({
  id: Id,
  code: z.string(),
  name: z.string(),
  tier: Tier,
  kind: InstitutionKind,
  city: RegionRef.nullable(),
  county: RegionRef.nullable(),
  parentId: Id.nullable(),
  named: z.boolean(),
});
export type InstitutionSummary = z.infer<typeof InstitutionSummary>;

export const InstitutionTreeQuery = z.object({
  rootId: Id.optional(),
  depth: z.coerce.number().int().min(1).max(4).default(2),
});
export type InstitutionTreeQuery = z.infer<typeof InstitutionTreeQuery>;

export interface InstitutionTreeNode extends InstitutionSummary {
  childCount: number;
  children?: InstitutionTreeNode[];
}
export const InstitutionTreeNode: z.ZodType<InstitutionTreeNode> = InstitutionSummary.extend({
  childCount: z.number().int(),
  get children() {
    return z.array(InstitutionTreeNode).optional();
  },
});
export const InstitutionTree = z.array(InstitutionTreeNode);

export const MemberRole = z.enum(["LEAD", "MEMBER"]);
export const InstitutionDetail = InstitutionSummary.extend({
  note: z.string().nullable(),
  parent: z.object({ id: Id, name: z.string(), tier: Tier }).nullable(),
  childCount: z.number().int(),
  departmentCount: z.number().int(),
  userCount: z.number().int(),
  /** Consortia it belongs to (the province-wide telemedicine network left out). */
  consortia: z.array(z.object({ id: Id, name: z.string(), type: ConsortiumType, role: MemberRole })),
});
export type InstitutionDetail = z.infer<typeof InstitutionDetail>;
export const InstitutionPage = pageOf(InstitutionSummary);
export const ConsortiumMember = InstitutionSummary.extend({ role: MemberRole });
export type ConsortiumMember = z.infer<typeof ConsortiumMember>;
export const ConsortiumMemberPage = pageOf(ConsortiumMember);

export const RegionView = z.object({
  id: Id,
  code: z.string(),
  name: z.string(),
  counties: z.array(z.object({ id: Id, code: z.string(), name: z.string() })),
});
export type RegionView = z.infer<typeof RegionView>;
export const RegionList = z.array(RegionView);

export const Specialty = z.object({ code: z.string(), name: z.string(), nameEn: z.string().nullable() });
export type Specialty = z.infer<typeof Specialty>;
export const SpecialtyList = z.array(Specialty);

export const DepartmentSummary = z.object({
  id: Id,
  name: z.string(),
  specialty: z.object({ code: z.string(), name: z.string() }).nullable(),
});
export type DepartmentSummary = z.infer<typeof DepartmentSummary>;
export const DepartmentList = z.array(DepartmentSummary);

export const ConsortiumSearchQuery = Pagination.extend({
  q: z.string().trim().min(1).max(LIMITS.shortText).optional(),
  type: ConsortiumType.optional(),
  institutionId: Id.optional(),
  specialtyCode: z.string().max(64).optional(),
});
export type ConsortiumSearchQuery = z.infer<typeof ConsortiumSearchQuery>;

export const ConsortiumSummary = z.object({
  id: Id,
  code: z.string(),
  name: z.string(),
  type: ConsortiumType,
  allianceLevel: AllianceLevel.nullable(),
  leadInstitution: z.object({ id: Id, name: z.string() }).nullable(),
  leadDepartment: z.object({ id: Id, name: z.string() }).nullable(),
  specialty: z.object({ code: z.string(), name: z.string() }).nullable(),
  coversAll: z.boolean(),
  memberCount: z.number(),
});
export type ConsortiumSummary = z.infer<typeof ConsortiumSummary>;
export const ConsortiumPage = pageOf(ConsortiumSummary);

export const UserSearchQuery = Pagination.extend({
  q: z.string().trim().min(1).max(LIMITS.shortText).optional(),
  institutionId: Id.optional(),
  role: Role.optional(),
});
export type UserSearchQuery = z.infer<typeof UserSearchQuery>;

export const UserSummary = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  roles: z.array(Role),
  title: ProfessionalTitle.nullable(),
  active: z.boolean(),
  institution: z.object({ id: Id, name: z.string(), tier: Tier }),
  department: z.object({ id: Id, name: z.string() }).nullable(),
});
export type UserSummary = z.infer<typeof UserSummary>;
export const UserPage = pageOf(UserSummary);

export const CreateUserBody = z.object({
  username: z
    .string()
    .trim()
    .min(3)
    .max(64)
    .regex(/^[a-z0-9._-]+$/, "用户名只能包含小写字母、数字、点、下划线和连字符"),
  displayName: z.string().trim().min(1).max(64),
  password: z.string().min(10, "密码至少 10 位").max(256),
  roles: z.array(Role).min(1).max(8),
  institutionId: Id,
  departmentId: Id.optional(),
  title: ProfessionalTitle.optional(),
  regionId: Id.optional(),
});
export type CreateUserBody = z.infer<typeof CreateUserBody>;

export const UpdateUserBody = z
  .object({
    displayName: z.string().trim().min(1).max(64),
    roles: z.array(Role).min(1).max(8),
    departmentId: Id.nullable(),
    title: ProfessionalTitle.nullable(),
    active: z.boolean(),
    /** An administrator's password reset; the user's sessions end. */
    password: z.string().min(10, "密码至少 10 位").max(256),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, "至少修改一项");
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

export const UnlockResult = z.object({ wasLocked: z.boolean() });
export type UnlockResult = z.infer<typeof UnlockResult>;
