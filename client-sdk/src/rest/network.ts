// The network directory (机构, 医联体, 科室, 地区, 专科) and users: not patient data, readable by every user.
import type { z } from "zod";
import type {
  ConsortiumMemberPage,
  ConsortiumPage,
  ConsortiumSummary,
  ConsortiumType,
  CreateUserBody,
  DepartmentList,
  InstitutionDetail,
  InstitutionPage,
  InstitutionTree,
  Me,
  RegionList,
  Role,
  SpecialtyList,
  Tier,
  UpdateUserBody,
  UserPage,
  UserSummary,
} from "@yilian/contract";
import type { RestCore } from "./core";

type Out<T extends z.ZodType> = z.output<T>;

export const networkApi = ({ get, id }: RestCore) => ({
  me: () => get<Me>("/api/me"),
  institutions: (
    q: {
      q?: string;
      tier?: Tier;
      cityId?: string;
      countyId?: string;
      consortiumId?: string;
      named?: boolean;
      limit?: number;
      offset?: number;
    } = {},
  ) => get<Out<typeof InstitutionPage>>("/api/institutions", q),
  institutionTree: (q: { rootId?: string; depth?: number } = {}) =>
    get<Out<typeof InstitutionTree>>("/api/institutions/tree", q),
  institution: (institutionId: string) => get<InstitutionDetail>(`/api/institutions/${id(institutionId)}`),
  departments: (institutionId: string) =>
    get<Out<typeof DepartmentList>>(`/api/institutions/${id(institutionId)}/departments`),
  consortia: (
    q: {
      q?: string;
      type?: ConsortiumType;
      institutionId?: string;
      specialtyCode?: string;
      limit?: number;
      offset?: number;
    } = {},
  ) => get<Out<typeof ConsortiumPage>>("/api/consortia", q),
  consortium: (consortiumId: string) => get<ConsortiumSummary>(`/api/consortia/${id(consortiumId)}`),
  consortiumMembers: (consortiumId: string, q: { limit?: number; offset?: number } = {}) =>
    get<Out<typeof ConsortiumMemberPage>>(`/api/consortia/${id(consortiumId)}/members`, q),
  regions: () => get<Out<typeof RegionList>>("/api/regions"),
  specialties: () => get<Out<typeof SpecialtyList>>("/api/specialties"),
});

export const usersApi = ({ get, post, patch, id }: RestCore) => ({
  users: (q: { q?: string; institutionId?: string; role?: Role; limit?: number; offset?: number } = {}) =>
    get<Out<typeof UserPage>>("/api/users", q),
  user: (userId: string) => get<UserSummary>(`/api/users/${id(userId)}`),
  createUser: (body: CreateUserBody) => post<UserSummary>("/api/users", body),
  updateUser: (userId: string, body: UpdateUserBody) => patch<UserSummary>(`/api/users/${id(userId)}`, body),
});
