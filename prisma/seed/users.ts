// Demo accounts for every role. The fixed ones (demo-accounts.ts) come first; then each institution gets its
// generated staff, and each city and county its region administrator. Display names are fake (names.ts).
//
// Usernames (lowercase ASCII, deterministic): the key of an institution is its code without dashes
// (JL-07-0001 → jl070001):
//   doc.<key>            DOCTOR, every institution
//   trainee.<key>        TRAINEE, every township-tier institution
//   spec.<key>.<n>       SPECIALIST, county/city/province tier (at least one per alliance lead department)
//   coord.<key>          COORDINATOR, county/city/province tier (in the 远程医学中心)
//   admin.<key>          INSTITUTION_ADMIN, county/city/province tier
//   lect.<key>.<n>       LECTURER, city/province tier
//   region.<region code> REGION_ADMIN of each city and county-level division (region.songyuan, region.nongan)
//   province.admin       PROVINCE_ADMIN
import type { ProfessionalTitle, Role } from "@prisma/client";
import { DEMO_ACCOUNTS } from "./demo-accounts";
import { TELEMEDICINE_CENTRE } from "./departments";
import { personName } from "./names";
import type { DepartmentRow, InstitutionRow, RegionRow, SeedPlan } from "./plan";
import { rng, type Rng } from "./rng";

/** Specialists per institution by tier (raised where the institution leads more alliance departments). */
const SPECIALISTS = { PROVINCE: 6, CITY: 3, COUNTY: 2 } as const;
const LECTURERS = { PROVINCE: 2, CITY: 1 } as const;

/** The username key of an institution: its code, lowercase, without dashes. */
export function institutionUserKey(code: string): string {
  return code.toLowerCase().replace(/-/g, "");
}

export function addUsers(plan: SeedPlan, passwordHash: string): void {
  const r = rng("users");
  const add = (
    username: string,
    role: Role,
    institution: InstitutionRow,
    department: DepartmentRow | null,
    title: ProfessionalTitle | null,
    region: RegionRow | null = null,
  ) => {
    if (plan.user(username)) return; // a fixed demo account already has this username
    plan.addUser({
      username,
      passwordHash,
      displayName: personName(username),
      roles: [role],
      institutionId: institution.id,
      departmentId: department?.id ?? null,
      title,
      regionId: region?.id ?? null,
    });
  };

  for (const a of DEMO_ACCOUNTS) {
    const institution = plan.institution(a.institution);
    const department = a.department ? plan.department(institution, a.department) : null;
    add(a.username, a.role, institution, department, a.title ?? null, a.region ? plan.region(a.region) : null);
  }

  for (const region of plan.regions) {
    add(`region.${region.code}`, "REGION_ADMIN", regionAdminInstitution(plan, region), null, "ADMINISTRATOR", region);
  }

  // Departments that lead a specialty alliance each get a specialist, so an alliance always has someone to consult.
  const leadDepartments = new Set(plan.consortia.flatMap((c) => (c.leadDepartmentId ? [c.leadDepartmentId] : [])));
  for (const i of plan.institutions) addStaff(plan, i, r, add, leadDepartments);
}

type Add = (
  username: string,
  role: Role,
  institution: InstitutionRow,
  department: DepartmentRow | null,
  title: ProfessionalTitle | null,
) => void;

function addStaff(plan: SeedPlan, i: InstitutionRow, r: Rng, add: Add, leadDepartments: ReadonlySet<string>): void {
  const key = institutionUserKey(i.code);
  const departments = plan.departmentsOf(i);
  const clinical = departments.filter((d) => d.specialtyCode !== null);
  const general = departments.find((d) => d.specialtyCode === "GENERAL_PRACTICE") ?? clinical[0] ?? null;

  if (i.tier === "TOWNSHIP") {
    add(`doc.${key}`, "DOCTOR", i, general, r.chance(0.5) ? "ATTENDING_PHYSICIAN" : "RESIDENT_PHYSICIAN");
    add(`trainee.${key}`, "TRAINEE", i, general, r.chance(0.7) ? "RESIDENT_PHYSICIAN" : "NURSE");
    return;
  }

  add(
    `doc.${key}`,
    "DOCTOR",
    i,
    clinical.length ? r.pick(clinical) : null,
    r.chance(0.5) ? "ATTENDING_PHYSICIAN" : "RESIDENT_PHYSICIAN",
  );

  // Specialists: first one in each department that leads a specialty alliance, then others in distinct random
  // clinical departments.
  const leading = clinical.filter((d) => leadDepartments.has(d.id));
  const rest = r.shuffle(clinical.filter((d) => !leadDepartments.has(d.id)));
  const want = Math.max(SPECIALISTS[i.tier], leading.length);
  const specialistDepartments = [...leading, ...rest].slice(0, want);
  specialistDepartments.forEach((d, n) => add(`spec.${key}.${n + 1}`, "SPECIALIST", i, d, specialistTitle(i, r)));

  add(
    `coord.${key}`,
    "COORDINATOR",
    i,
    departments.find((d) => d.name === TELEMEDICINE_CENTRE) ?? null,
    "ADMINISTRATOR",
  );
  add(`admin.${key}`, "INSTITUTION_ADMIN", i, null, "ADMINISTRATOR");

  const lecturers = i.tier === "PROVINCE" || i.tier === "CITY" ? LECTURERS[i.tier] : 0;
  for (let n = 1; n <= lecturers && clinical.length > 0; n++) {
    add(
      `lect.${key}.${n}`,
      "LECTURER",
      i,
      r.pick(clinical),
      r.chance(0.6) ? "CHIEF_PHYSICIAN" : "ASSOCIATE_CHIEF_PHYSICIAN",
    );
  }
}

function specialistTitle(i: InstitutionRow, r: Rng): ProfessionalTitle {
  const titles: Record<string, ProfessionalTitle[]> = {
    PROVINCE: ["CHIEF_PHYSICIAN", "CHIEF_PHYSICIAN", "ASSOCIATE_CHIEF_PHYSICIAN"],
    CITY: ["CHIEF_PHYSICIAN", "ASSOCIATE_CHIEF_PHYSICIAN", "ASSOCIATE_CHIEF_PHYSICIAN", "ATTENDING_PHYSICIAN"],
    COUNTY: ["ASSOCIATE_CHIEF_PHYSICIAN", "ATTENDING_PHYSICIAN", "ATTENDING_PHYSICIAN"],
  };
  return r.pick(titles[i.tier]!);
}

/**
 * Where a region administrator's account sits: a city's first general city-tier hospital; a county's 人民医院
 * (the first county-tier general hospital); for 梅河新区, the one institution there.
 */
function regionAdminInstitution(plan: SeedPlan, region: RegionRow): InstitutionRow {
  const found =
    region.kind === "CITY"
      ? plan.institutions.find((i) => i.cityId === region.id && i.tier === "CITY" && i.kind === "GENERAL_HOSPITAL")
      : (plan.institutions.find(
          (i) => i.countyId === region.id && i.tier === "COUNTY" && i.kind === "GENERAL_HOSPITAL",
        ) ?? plan.institutions.find((i) => i.countyId === region.id));
  if (!found) throw new Error(`no institution for the administrator of ${region.name}`);
  return found;
}
