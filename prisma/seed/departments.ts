// Which departments (科室) an institution has, by tier and kind: upper-tier hospitals have many clinical
// departments linked to specialties; grassroots institutions have general practice, TCM and prevention.
import type { InstitutionRow, SeedPlan } from "./plan";
import type { Rng } from "./rng";
import { departmentNameOf, SPECIALTIES } from "./specialties";

/** Where consultation coordinators sit (远程医学中心); no specialty. */
export const TELEMEDICINE_CENTRE = "远程医学中心";
/** Grassroots prevention and public-health work; no clinical specialty. */
export const PREVENTION = "预防保健科";

/** What every county general hospital has. */
const COUNTY_GENERAL = [
  "CARDIOLOGY",
  "RESPIRATORY",
  "GASTROENTEROLOGY",
  "NEUROLOGY",
  "ENDOCRINOLOGY",
  "GENERAL_SURGERY",
  "ORTHOPEDICS",
  "UROLOGY",
  "GYNECOLOGY",
  "OBSTETRICS",
  "PEDIATRICS",
  "EMERGENCY",
  "MEDICAL_IMAGING",
  "LABORATORY_MEDICINE",
  "ULTRASOUND",
  "ELECTROCARDIOGRAPHY",
  "TCM",
];
/** Some county hospitals have a few of these. */
const COUNTY_EXTRA = [
  "NEPHROLOGY",
  "CRITICAL_CARE",
  "OPHTHALMOLOGY",
  "OTOLARYNGOLOGY",
  "STOMATOLOGY",
  "REHABILITATION",
  "GERIATRICS",
  "INFECTIOUS_DISEASES",
  "NEUROSURGERY",
  "HEALTH_MANAGEMENT",
];
/** City general hospitals add a dozen or so of these to the county set. */
const CITY_EXTRA = [
  ...COUNTY_EXTRA,
  "HEMATOLOGY",
  "ONCOLOGY",
  "DERMATOLOGY",
  "PATHOLOGY",
  "BREAST_SURGERY",
  "GASTROINTESTINAL_SURGERY",
  "THYROID_SURGERY",
  "CLINICAL_NUTRITION",
  "SPINE_SURGERY",
  "JOINT_SURGERY",
  "PEDIATRIC_SURGERY",
  "NUCLEAR_MEDICINE",
  "GENERAL_PRACTICE",
];
const TCM_HOSPITAL = [
  "TCM",
  "REHABILITATION",
  "ORTHOPEDICS",
  "CARDIOLOGY",
  "GASTROENTEROLOGY",
  "NEUROLOGY",
  "RESPIRATORY",
  "MEDICAL_IMAGING",
  "LABORATORY_MEDICINE",
];
const TCM_HOSPITAL_UPPER = [
  ...TCM_HOSPITAL,
  "ENDOCRINOLOGY",
  "NEPHROLOGY",
  "DERMATOLOGY",
  "EMERGENCY",
  "ULTRASOUND",
  "ELECTROCARDIOGRAPHY",
  "GYNECOLOGY",
  "PEDIATRICS",
];
const MCH = ["GYNECOLOGY", "OBSTETRICS", "PEDIATRICS", "ULTRASOUND", "LABORATORY_MEDICINE"];
const MCH_UPPER = [...MCH, "PEDIATRIC_SURGERY", "BREAST_SURGERY", "MEDICAL_IMAGING", "CLINICAL_NUTRITION"];
const IMAGING_LAB = ["MEDICAL_IMAGING", "LABORATORY_MEDICINE"];

/** Specialty hospitals, by what their name says they treat. */
const SPECIALTY_BY_NAME: ReadonlyArray<[RegExp, readonly string[]]> = [
  [
    /肿瘤/,
    [
      "ONCOLOGY",
      "BREAST_SURGERY",
      "THYROID_SURGERY",
      "GASTROINTESTINAL_SURGERY",
      "HEMATOLOGY",
      "PATHOLOGY",
      "NUCLEAR_MEDICINE",
      ...IMAGING_LAB,
    ],
  ],
  [/传染病/, ["INFECTIOUS_DISEASES", "RESPIRATORY", "GASTROENTEROLOGY", "CRITICAL_CARE", ...IMAGING_LAB]],
  [/儿童/, ["PEDIATRICS", "PEDIATRIC_SURGERY", "EMERGENCY", "CRITICAL_CARE", "ULTRASOUND", ...IMAGING_LAB]],
  [/妇产/, ["GYNECOLOGY", "OBSTETRICS", "PEDIATRICS", "BREAST_SURGERY", "ULTRASOUND", "PATHOLOGY", ...IMAGING_LAB]],
  [/肛肠/, ["GASTROINTESTINAL_SURGERY", "GENERAL_SURGERY", "MEDICAL_IMAGING"]],
  [/糖尿病/, ["ENDOCRINOLOGY", "CLINICAL_NUTRITION", "OPHTHALMOLOGY", "LABORATORY_MEDICINE"]],
];

/** Specialty codes of the clinical departments an institution gets. */
function clinicalSpecialties(i: InstitutionRow, r: Rng): readonly string[] {
  const upper = i.tier === "PROVINCE" || i.tier === "CITY";
  switch (i.kind) {
    case "GENERAL_HOSPITAL":
      if (i.tier === "PROVINCE") return SPECIALTIES.map((s) => s.code); // a provincial general hospital has them all
      if (i.tier === "CITY") return [...COUNTY_GENERAL, ...r.sample(CITY_EXTRA, r.int(10, 15))];
      return [...COUNTY_GENERAL, ...r.sample(COUNTY_EXTRA, r.int(0, 3))];
    case "TCM_HOSPITAL":
      return upper ? TCM_HOSPITAL_UPPER : TCM_HOSPITAL;
    case "MATERNAL_CHILD_HEALTH":
      return upper ? MCH_UPPER : MCH;
    case "SPECIALTY_HOSPITAL":
      return SPECIALTY_BY_NAME.find(([re]) => re.test(i.name))?.[1] ?? ["GENERAL_SURGERY", ...IMAGING_LAB];
    case "REHABILITATION_HOSPITAL":
      return ["REHABILITATION", "ORTHOPEDICS", "NEUROLOGY", "TCM", "GERIATRICS"];
    case "PRIVATE_HOSPITAL":
      return ["GENERAL_PRACTICE", "GENERAL_SURGERY", "CARDIOLOGY", ...IMAGING_LAB];
    case "PUBLIC_HEALTH":
      return ["LABORATORY_MEDICINE", "INFECTIOUS_DISEASES"];
    case "TOWNSHIP_HEALTH_CENTRE":
      // Township centres send images and ECGs up for remote reading, hence imaging and ECG rooms.
      return r.chance(0.5)
        ? ["GENERAL_PRACTICE", "TCM", "MEDICAL_IMAGING", "ELECTROCARDIOGRAPHY", "LABORATORY_MEDICINE"]
        : ["GENERAL_PRACTICE", "TCM", "MEDICAL_IMAGING", "ELECTROCARDIOGRAPHY"];
    case "COMMUNITY_HEALTH_CENTRE":
      return ["GENERAL_PRACTICE", "TCM", "REHABILITATION"];
    case "COMMUNITY_HEALTH_STATION":
    case "CLINIC":
    case "VILLAGE_CLINIC":
      return ["GENERAL_PRACTICE"];
  }
}

/**
 * Creates the institution's departments. A specialty it already has a department for (e.g. a named alliance's
 * lead department 急诊科) is not added again under its default name.
 */
export function addDepartments(plan: SeedPlan, i: InstitutionRow, r: Rng): void {
  for (const code of clinicalSpecialties(i, r)) {
    if (!plan.departmentWithSpecialty(i, code)) plan.department(i, departmentNameOf(code), code);
  }
  if (i.kind === "TOWNSHIP_HEALTH_CENTRE" || i.kind === "COMMUNITY_HEALTH_CENTRE" || i.kind === "PUBLIC_HEALTH") {
    plan.department(i, PREVENTION, null);
  }
  if (i.tier !== "TOWNSHIP") plan.department(i, TELEMEDICINE_CENTRE, null);
}
