// The seed is built in memory first (a SeedPlan: plain rows with ids already set), checked, then written with
// createMany. Building in memory lets the generator look things up (by name, by region, by specialty) without
// round trips, and keeps writing a single fast, ordered pass (see write.ts).
import type {
  AllianceLevel,
  ConsortiumType,
  InstitutionKind,
  MemberRole,
  ProfessionalTitle,
  RegionKind,
  Role,
  Tier,
} from "@prisma/client";
import { stableUuid } from "./rng";
import { SPECIALTIES, specialtyOfDepartment } from "./specialties";

/** Institution-code prefix for institutions without a city (two national projects whose city is not given). */
const NO_CITY_NUM = "00";

export interface RegionRow {
  id: string;
  code: string;
  name: string;
  kind: RegionKind;
  parentId: string | null;
}

export interface InstitutionRow {
  id: string;
  code: string;
  name: string;
  tier: Tier;
  kind: InstitutionKind;
  cityId: string | null;
  countyId: string | null;
  parentId: string | null;
  named: boolean;
  note: string | null;
}

export interface SpecialtyRow {
  code: string;
  name: string;
  nameEn: string;
}

export interface DepartmentRow {
  id: string;
  institutionId: string;
  name: string;
  specialtyCode: string | null;
}

export interface ConsortiumRow {
  id: string;
  code: string;
  name: string;
  type: ConsortiumType;
  allianceLevel: AllianceLevel | null;
  leadInstitutionId: string | null;
  leadDepartmentId: string | null;
  specialtyCode: string | null;
  coversAll: boolean;
  named: boolean;
}

export interface MemberRow {
  consortiumId: string;
  institutionId: string;
  role: MemberRole;
}

export interface UserRow {
  id: string;
  username: string;
  passwordHash: string;
  displayName: string;
  roles: Role[];
  institutionId: string;
  departmentId: string | null;
  title: ProfessionalTitle | null;
  regionId: string | null;
}

export interface NewInstitution {
  name: string;
  tier: Tier;
  kind: InstitutionKind;
  city: RegionRow | null;
  county?: RegionRow | null;
  named?: boolean;
  note?: string | null;
}

export interface NewConsortium {
  code: string;
  name: string;
  type: ConsortiumType;
  allianceLevel?: AllianceLevel | null;
  lead?: InstitutionRow | null;
  leadDepartment?: DepartmentRow | null;
  specialtyCode?: string | null;
  coversAll?: boolean;
  named?: boolean;
}

export class SeedPlan {
  readonly regions: RegionRow[] = [];
  readonly institutions: InstitutionRow[] = [];
  readonly specialties: SpecialtyRow[] = SPECIALTIES.map(({ code, name, nameEn }) => ({ code, name, nameEn }));
  readonly departments: DepartmentRow[] = [];
  readonly consortia: ConsortiumRow[] = [];
  readonly members: MemberRow[] = [];
  readonly users: UserRow[] = [];

  private readonly regionByCode = new Map<string, RegionRow>();
  private readonly regionByName = new Map<string, RegionRow[]>();
  private readonly cityNum = new Map<string, string>(); // city region id → two-digit code
  private readonly codeSeq = new Map<string, number>(); // two-digit code → last sequence number used
  private readonly institutionByName = new Map<string, InstitutionRow>();
  private readonly institutionById = new Map<string, InstitutionRow>();
  private readonly departmentsByInstitution = new Map<string, DepartmentRow[]>();
  private readonly consortiumByName = new Map<string, ConsortiumRow>();
  private readonly consortiumCodes = new Set<string>();
  private readonly memberKeys = new Map<string, MemberRow>();
  private readonly membershipsByInstitution = new Map<string, MemberRow[]>();
  private readonly usernames = new Map<string, UserRow>();

  // ------------------------------------------------------------------------------------------ regions

  addRegion(r: { code: string; name: string; kind: RegionKind; parent?: RegionRow | null; num?: string }): RegionRow {
    if (this.regionByCode.has(r.code)) throw new Error(`duplicate region code ${r.code}`);
    const row: RegionRow = {
      id: stableUuid(`region:${r.code}`),
      code: r.code,
      name: r.name,
      kind: r.kind,
      parentId: r.parent?.id ?? null,
    };
    this.regions.push(row);
    this.regionByCode.set(row.code, row);
    this.regionByName.set(row.name, [...(this.regionByName.get(row.name) ?? []), row]);
    if (r.num) this.cityNum.set(row.id, r.num);
    return row;
  }

  region(code: string): RegionRow {
    const r = this.regionByCode.get(code);
    if (!r) throw new Error(`unknown region ${code}`);
    return r;
  }

  /** A region by its Chinese name; names are unique in Jilin (asserted). */
  regionNamed(name: string): RegionRow | undefined {
    const found = this.regionByName.get(name) ?? [];
    if (found.length > 1) throw new Error(`ambiguous region name ${name}`);
    return found[0];
  }

  regionById(id: string): RegionRow {
    const r = this.regions.find((x) => x.id === id);
    if (!r) throw new Error(`unknown region id ${id}`);
    return r;
  }

  cityOf(region: RegionRow): RegionRow {
    return region.kind === "CITY" ? region : this.regionById(region.parentId!);
  }

  // ------------------------------------------------------------------------------------------ institutions

  addInstitution(i: NewInstitution): InstitutionRow {
    if (this.institutionByName.has(i.name)) throw new Error(`duplicate institution name ${i.name}`);
    const num = i.city ? this.cityNum.get(i.city.id) : NO_CITY_NUM;
    if (!num) throw new Error(`institution ${i.name}: city ${i.city?.name} has no code number`);
    const seq = (this.codeSeq.get(num) ?? 0) + 1;
    this.codeSeq.set(num, seq);
    const row: InstitutionRow = {
      id: stableUuid(`institution:${i.name}`),
      code: `JL-${num}-${String(seq).padStart(4, "0")}`,
      name: i.name,
      tier: i.tier,
      kind: i.kind,
      cityId: i.city?.id ?? null,
      countyId: i.county?.id ?? null,
      parentId: null, // set once the whole network exists (province.ts)
      named: i.named ?? false,
      note: i.note ?? null,
    };
    this.institutions.push(row);
    this.institutionByName.set(row.name, row);
    this.institutionById.set(row.id, row);
    return row;
  }

  hasInstitution(name: string): boolean {
    return this.institutionByName.has(name);
  }

  institution(name: string): InstitutionRow {
    const i = this.institutionByName.get(name);
    if (!i) throw new Error(`unknown institution ${name}`);
    return i;
  }

  institutionWithId(id: string): InstitutionRow {
    const i = this.institutionById.get(id);
    if (!i) throw new Error(`unknown institution id ${id}`);
    return i;
  }

  // ------------------------------------------------------------------------------------------ departments

  departmentsOf(institution: InstitutionRow): readonly DepartmentRow[] {
    return this.departmentsByInstitution.get(institution.id) ?? [];
  }

  departmentWithSpecialty(institution: InstitutionRow, specialtyCode: string): DepartmentRow | undefined {
    return this.departmentsOf(institution).find((d) => d.specialtyCode === specialtyCode);
  }

  /**
   * The department of that name, created if missing. Its specialty defaults to the one the name stands for
   * (急诊科 → EMERGENCY); pass `specialtyCode: null` for a non-clinical department (预防保健科).
   */
  department(institution: InstitutionRow, name: string, specialtyCode?: string | null): DepartmentRow {
    const list = this.departmentsByInstitution.get(institution.id) ?? [];
    const existing = list.find((d) => d.name === name);
    if (existing) return existing;
    const row: DepartmentRow = {
      id: stableUuid(`department:${institution.name}/${name}`),
      institutionId: institution.id,
      name,
      specialtyCode: specialtyCode === undefined ? (specialtyOfDepartment(name)?.code ?? null) : specialtyCode,
    };
    list.push(row);
    this.departmentsByInstitution.set(institution.id, list);
    this.departments.push(row);
    return row;
  }

  // ------------------------------------------------------------------------------------------ consortia

  addConsortium(c: NewConsortium): ConsortiumRow {
    if (this.consortiumByName.has(c.name)) throw new Error(`duplicate consortium name ${c.name}`);
    if (this.consortiumCodes.has(c.code)) throw new Error(`duplicate consortium code ${c.code}`);
    const row: ConsortiumRow = {
      id: stableUuid(`consortium:${c.name}`),
      code: c.code,
      name: c.name,
      type: c.type,
      allianceLevel: c.allianceLevel ?? null,
      leadInstitutionId: c.lead?.id ?? null,
      leadDepartmentId: c.leadDepartment?.id ?? null,
      specialtyCode: c.specialtyCode ?? null,
      coversAll: c.coversAll ?? false,
      named: c.named ?? false,
    };
    this.consortia.push(row);
    this.consortiumByName.set(row.name, row);
    this.consortiumCodes.add(row.code);
    // The lead is also a member (role LEAD), so "which consortia is X in" needs one table.
    if (c.lead) this.addMember(row, c.lead, "LEAD");
    return row;
  }

  hasConsortium(name: string): boolean {
    return this.consortiumByName.has(name);
  }

  consortium(name: string): ConsortiumRow {
    const c = this.consortiumByName.get(name);
    if (!c) throw new Error(`unknown consortium ${name}`);
    return c;
  }

  /** Adds a membership; adding the same institution twice keeps the first (a LEAD stays LEAD). */
  addMember(consortium: ConsortiumRow, institution: InstitutionRow, role: MemberRole = "MEMBER"): void {
    const key = `${consortium.id}/${institution.id}`;
    if (this.memberKeys.has(key)) return;
    const row: MemberRow = { consortiumId: consortium.id, institutionId: institution.id, role };
    this.memberKeys.set(key, row);
    this.members.push(row);
    this.membershipsByInstitution.set(institution.id, [
      ...(this.membershipsByInstitution.get(institution.id) ?? []),
      row,
    ]);
  }

  /** Consortia of a type that the institution is a plain MEMBER of (not the lead). */
  memberOf(institution: InstitutionRow, type: ConsortiumType): ConsortiumRow[] {
    return (this.membershipsByInstitution.get(institution.id) ?? [])
      .filter((m) => m.role === "MEMBER")
      .map((m) => this.consortia.find((c) => c.id === m.consortiumId)!)
      .filter((c) => c.type === type);
  }

  // ------------------------------------------------------------------------------------------ users

  addUser(u: Omit<UserRow, "id">): UserRow {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(u.username)) throw new Error(`bad username ${u.username}`);
    if (this.usernames.has(u.username)) throw new Error(`duplicate username ${u.username}`);
    const row: UserRow = { id: stableUuid(`user:${u.username}`), ...u };
    this.users.push(row);
    this.usernames.set(row.username, row);
    return row;
  }

  user(username: string): UserRow | undefined {
    return this.usernames.get(username);
  }
}
