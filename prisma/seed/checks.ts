// Checks of a built plan against the published figures and the network's rules, run before anything is written:
// a generator change that breaks a count fails the seed instead of loading a wrong province.
import type { Role } from "@prisma/client";
import type { SeedPlan } from "./plan";
import { TARGETS } from "./province";

export interface PlanCounts {
  regions: number;
  institutions: number;
  specialties: number;
  departments: number;
  consortia: number;
  consortiumMembers: number;
  users: number;
}

export function countPlan(plan: SeedPlan): PlanCounts {
  return {
    regions: plan.regions.length,
    institutions: plan.institutions.length,
    specialties: plan.specialties.length,
    departments: plan.departments.length,
    consortia: plan.consortia.length,
    consortiumMembers: plan.members.length,
    users: plan.users.length,
  };
}

const ALL_ROLES: Role[] = [
  "DOCTOR",
  "SPECIALIST",
  "COORDINATOR",
  "INSTITUTION_ADMIN",
  "REGION_ADMIN",
  "PROVINCE_ADMIN",
  "LECTURER",
  "TRAINEE",
];

export function checkPlan(plan: SeedPlan): void {
  const problems: string[] = [];
  const expect = (what: string, actual: number, wanted: number) => {
    if (actual !== wanted) problems.push(`${what}: ${actual}, expected ${wanted}`);
  };
  const ofType = (type: string, level?: string) =>
    plan.consortia.filter((c) => c.type === type && (level === undefined || c.allianceLevel === level));

  expect("institutions", plan.institutions.length, TARGETS.institutions);
  expect("county medical communities", ofType("COUNTY_MEDICAL_COMMUNITY").length, TARGETS.countyCommunities);
  expect("city medical groups", ofType("CITY_MEDICAL_GROUP").length, TARGETS.cityGroups);
  expect("government-hospital cooperations", ofType("GOV_HOSPITAL_COOPERATION").length, TARGETS.govCooperations);
  expect("external guidance", ofType("EXTERNAL_GUIDANCE").length, TARGETS.externalGuidance);
  expect(
    "provincial specialty alliances",
    ofType("SPECIALTY_ALLIANCE", "PROVINCIAL").length,
    TARGETS.provincialAlliances,
  );
  expect(
    "hospital specialty alliances",
    ofType("SPECIALTY_ALLIANCE", "PROVINCE_MANAGED_HOSPITAL").length,
    TARGETS.hospitalAlliances,
  );
  expect("telemedicine networks", ofType("TELEMEDICINE_NETWORK").length, TARGETS.telemedicineNetworks);

  // Distinct institutions of a kind that are in at least one county medical community.
  const communities = new Set(ofType("COUNTY_MEDICAL_COMMUNITY").map((c) => c.id));
  const covered = (kind: string) =>
    new Set(
      plan.members
        .filter((m) => communities.has(m.consortiumId))
        .map((m) => plan.institutionWithId(m.institutionId))
        .filter((i) => i.kind === kind)
        .map((i) => i.id),
    ).size;
  expect(
    "township health centres in county communities",
    covered("TOWNSHIP_HEALTH_CENTRE"),
    TARGETS.townshipCentresCovered,
  );
  expect(
    "community health centres in county communities",
    covered("COMMUNITY_HEALTH_CENTRE"),
    TARGETS.communityCentresCovered,
  );

  for (const c of plan.consortia) {
    if (c.type === "TELEMEDICINE_NETWORK") {
      if (!c.coversAll || c.leadInstitutionId) problems.push(`${c.name}: must cover all, with no lead`);
      expect(`${c.name} members`, plan.members.filter((m) => m.consortiumId === c.id).length, TARGETS.institutions);
      continue;
    }
    if (!c.leadInstitutionId) problems.push(`${c.name}: no lead institution`);
    if (c.type === "SPECIALTY_ALLIANCE" && (!c.leadDepartmentId || !c.specialtyCode || !c.allianceLevel)) {
      problems.push(`${c.name}: alliance without lead department, specialty or level`);
    }
  }

  // The network tree: province tier at the roots, every other institution under a higher tier, no cycles.
  const rank = { PROVINCE: 0, CITY: 1, COUNTY: 2, TOWNSHIP: 3 } as const;
  for (const i of plan.institutions) {
    if (i.tier === "PROVINCE") {
      if (i.parentId) problems.push(`${i.name}: a province-tier institution has a parent`);
      continue;
    }
    if (!i.parentId) {
      problems.push(`${i.name}: no parent in the network`);
      continue;
    }
    const parent = plan.institutionWithId(i.parentId);
    if (rank[parent.tier] >= rank[i.tier]) problems.push(`${i.name}: parent ${parent.name} is not of a higher tier`);
  }

  const codes = new Set(plan.institutions.map((i) => i.code));
  expect("distinct institution codes", codes.size, plan.institutions.length);
  const roles = new Set(plan.users.flatMap((u) => u.roles));
  for (const role of ALL_ROLES) if (!roles.has(role)) problems.push(`no user with role ${role}`);

  if (problems.length > 0) throw new Error(`seed plan check failed:\n  ${problems.join("\n  ")}`);
}
