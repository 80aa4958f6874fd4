// The real network named in the province's source documents (prisma/data/jilin/*.json): institutions with their
// real name, tier, kind and city, and the named consortia. Everything here is `named: true`; province.ts then
// generates the rest of the province around it.
// The JSON is imported (not read from a path) so this works the same under tsx (ESM or CJS) and jest (CJS).
import type { AllianceLevel, ConsortiumType, InstitutionKind, Tier } from "@prisma/client";
import type { InstitutionRow, RegionRow, SeedPlan } from "./plan";
import { specialtyOfDepartment } from "./specialties";
import consortiaJson from "../data/jilin/consortia.json";
import institutionsJson from "../data/jilin/institutions.json";

export interface NamedInstitution {
  name: string;
  tier: Tier;
  kind: InstitutionKind;
  /** A city (长春市), or a county-level area (梅河新区), or null when the documents do not say. */
  city: string | null;
  county?: string;
  note?: string;
  source: string;
}

export interface NamedConsortium {
  name: string;
  type: ConsortiumType;
  level?: AllianceLevel;
  lead: string | null;
  leadDepartment?: string;
  members: string[] | "all";
  note?: string;
  source: string;
}

export interface NamedData {
  institutions: NamedInstitution[];
  consortia: NamedConsortium[];
}

/** The named network of prisma/data/jilin (institutions.json, consortia.json). */
export function loadNamedData(): NamedData {
  return {
    institutions: institutionsJson.institutions as NamedInstitution[],
    consortia: consortiaJson.consortia as NamedConsortium[],
  };
}

/** The name of the province-wide telemedicine network (吉林省远程医疗协作网). */
export function telemedicineNetworkName(data: NamedData): string {
  const net = data.consortia.filter((c) => c.type === "TELEMEDICINE_NETWORK");
  if (net.length !== 1) throw new Error(`expected one TELEMEDICINE_NETWORK in the named data, found ${net.length}`);
  return net[0]!.name;
}

/**
 * Resolves the place an institution of the documents is in. `city` may name a county-level area rather than a
 * city (吉林大学第一医院梅河医院 is in 梅河新区, which regions.ts models as a county of 通化市).
 */
function placeOf(plan: SeedPlan, i: NamedInstitution): { city: RegionRow | null; county: RegionRow | null } {
  if (i.city === null) return { city: null, county: null };
  const place = plan.regionNamed(i.city);
  if (!place) throw new Error(`named institution ${i.name}: unknown place ${i.city}`);
  const city = plan.cityOf(place);
  let county = place.kind === "COUNTY" ? place : null;
  if (i.county) {
    county = plan.regionNamed(i.county) ?? null;
    if (!county || county.parentId !== city.id)
      throw new Error(`named institution ${i.name}: ${i.county} is not in ${city.name}`);
  }
  return { city, county };
}

export function addNamedInstitutions(plan: SeedPlan, data: NamedData): InstitutionRow[] {
  return data.institutions.map((i) => {
    const { city, county } = placeOf(plan, i);
    return plan.addInstitution({
      name: i.name,
      tier: i.tier,
      kind: i.kind,
      city,
      county,
      named: true,
      note: i.note ?? null,
    });
  });
}

/**
 * Named consortium codes. The generated ones continue the same sequences (province.ts), so a type's codes run
 * 01..N with the named ones first.
 */
export const CONSORTIUM_CODE_PREFIX: Record<ConsortiumType | "SPECIALTY_ALLIANCE_PROVINCIAL", string> = {
  TELEMEDICINE_NETWORK: "TMN",
  GOV_HOSPITAL_COOPERATION: "GHC",
  EXTERNAL_GUIDANCE: "EGD",
  CITY_MEDICAL_GROUP: "CMG",
  COUNTY_MEDICAL_COMMUNITY: "CMC",
  SPECIALTY_ALLIANCE: "SAH", // province-managed-hospital level
  SPECIALTY_ALLIANCE_PROVINCIAL: "SAP",
};

export function consortiumCodePrefix(type: ConsortiumType, level?: AllianceLevel | null): string {
  return type === "SPECIALTY_ALLIANCE" && level === "PROVINCIAL"
    ? CONSORTIUM_CODE_PREFIX.SPECIALTY_ALLIANCE_PROVINCIAL
    : CONSORTIUM_CODE_PREFIX[type];
}

/** Next free code of a sequence: `CMG-01`, `CMG-02`, ... */
export function nextConsortiumCode(plan: SeedPlan, prefix: string): string {
  const n = plan.consortia.filter((c) => c.code.startsWith(`${prefix}-`)).length + 1;
  return `${prefix}-${String(n).padStart(2, "0")}`;
}

/**
 * The named consortia. Specialty alliances get their lead department (created on the lead institution when the
 * generator has not yet given it one) and the specialty that department practises. The telemedicine network
 * covers everyone; its member rows are added at the very end (completeTelemedicineNetwork).
 */
export function addNamedConsortia(plan: SeedPlan, data: NamedData): void {
  for (const c of data.consortia) {
    const lead = c.lead === null ? null : plan.institution(c.lead);
    const prefix = consortiumCodePrefix(c.type, c.level);
    const code = c.type === "TELEMEDICINE_NETWORK" ? `${prefix}-JL` : nextConsortiumCode(plan, prefix);

    if (c.type === "SPECIALTY_ALLIANCE") {
      if (!lead || !c.leadDepartment || !c.level)
        throw new Error(`named alliance ${c.name} lacks lead, department or level`);
      const sp = specialtyForAlliance(c);
      const department = plan.department(lead, c.leadDepartment, specialtyOfDepartment(c.leadDepartment)?.code ?? sp);
      const row = plan.addConsortium({
        code,
        name: c.name,
        type: c.type,
        allianceLevel: c.level,
        lead,
        leadDepartment: department,
        specialtyCode: sp,
        named: true,
      });
      for (const m of asList(c)) plan.addMember(row, plan.institution(m));
      continue;
    }

    const row = plan.addConsortium({
      code,
      name: c.name,
      type: c.type,
      lead,
      coversAll: c.members === "all",
      named: true,
    });
    for (const m of asList(c)) plan.addMember(row, plan.institution(m));
  }
}

/**
 * The specialty an alliance is about. Usually that of its lead department, except where the alliance name says
 * otherwise: 吉林大学中日联谊医院重症医学科专科联盟 is a critical-care alliance led by the 急诊科 (emergency)
 * department, so the alliance is CRITICAL_CARE while its lead department stays EMERGENCY.
 */
function specialtyForAlliance(c: NamedConsortium): string {
  if (c.name.includes("重症医学")) return "CRITICAL_CARE";
  const sp = specialtyOfDepartment(c.leadDepartment!);
  if (!sp) throw new Error(`named alliance ${c.name}: no specialty code for department ${c.leadDepartment}`);
  return sp.code;
}

function asList(c: NamedConsortium): string[] {
  return c.members === "all" ? [] : c.members;
}

/**
 * The telemedicine network is `coversAll`, but every institution also gets a member row so that "the consortia
 * of institution X" is one query for every type. Call once all institutions exist.
 */
export function completeTelemedicineNetwork(plan: SeedPlan, data: NamedData): void {
  const network = plan.consortium(telemedicineNetworkName(data));
  for (const i of plan.institutions) plan.addMember(network, i, "MEMBER");
}
