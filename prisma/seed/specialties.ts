// Clinical specialty codes (专科). A Department links to one; consultations and specialty alliances name one.
// The list covers every lead department of the province's named specialty alliances
// (prisma/data/jilin/consortia.json) plus the common specialties of county and township care.

export interface SpecialtyDef {
  /** Stable code used by the API and other code (`CARDIOLOGY`). */
  code: string;
  /** Chinese name shown to users; unique. */
  name: string;
  nameEn: string;
  /** Usual name of a department practising it, when it differs from `name` (核医学 → 核医学科). */
  departmentName?: string;
  /** Department names in the source documents that mean this specialty (e.g. 健康管理（体检）中心). */
  aliases?: readonly string[];
}

export const SPECIALTIES: readonly SpecialtyDef[] = [
  // ---- lead departments of the named alliances
  {
    code: "HEALTH_MANAGEMENT",
    name: "健康管理",
    nameEn: "Health Management (Check-up)",
    departmentName: "健康管理中心",
    aliases: ["健康管理（体检）中心", "体检中心"],
  },
  { code: "THYROID_SURGERY", name: "甲状腺外科", nameEn: "Thyroid Surgery" },
  { code: "CLINICAL_NUTRITION", name: "临床营养科", nameEn: "Clinical Nutrition" },
  { code: "SPINE_SURGERY", name: "脊柱外科", nameEn: "Spine Surgery" },
  { code: "PEDIATRIC_SURGERY", name: "小儿外科", nameEn: "Pediatric Surgery", aliases: ["儿外科"] },
  { code: "JOINT_SURGERY", name: "骨关节外科", nameEn: "Joint Surgery" },
  { code: "NEPHROLOGY", name: "肾病内科", nameEn: "Nephrology" },
  { code: "NEUROSURGERY", name: "神经外科", nameEn: "Neurosurgery" },
  { code: "NUCLEAR_MEDICINE", name: "核医学", nameEn: "Nuclear Medicine", departmentName: "核医学科" },
  { code: "EMERGENCY", name: "急诊医学科", nameEn: "Emergency Medicine", aliases: ["急诊科"] },
  { code: "CRITICAL_CARE", name: "重症医学科", nameEn: "Critical Care Medicine", aliases: ["ICU"] },
  { code: "NEUROLOGY", name: "神经内科", nameEn: "Neurology" },
  { code: "BREAST_SURGERY", name: "乳腺外科", nameEn: "Breast Surgery" },
  { code: "DERMATOLOGY", name: "皮肤科", nameEn: "Dermatology" },
  { code: "GYNECOLOGY", name: "妇科", nameEn: "Gynecology" },
  { code: "PATHOLOGY", name: "病理科", nameEn: "Pathology" },
  { code: "ORTHOPEDICS", name: "骨科", nameEn: "Orthopedics" },
  { code: "GASTROINTESTINAL_SURGERY", name: "胃肠外科", nameEn: "Gastrointestinal Surgery" },
  { code: "GASTROENTEROLOGY", name: "消化内科", nameEn: "Gastroenterology" },
  { code: "CARDIOLOGY", name: "心血管内科", nameEn: "Cardiology" },
  { code: "LABORATORY_MEDICINE", name: "医学检验科", nameEn: "Laboratory Medicine", aliases: ["检验科"] },
  { code: "ONCOLOGY", name: "肿瘤科", nameEn: "Oncology" },
  // ---- common specialties
  { code: "RESPIRATORY", name: "呼吸内科", nameEn: "Respiratory Medicine", aliases: ["呼吸与危重症医学科"] },
  { code: "ENDOCRINOLOGY", name: "内分泌科", nameEn: "Endocrinology" },
  { code: "HEMATOLOGY", name: "血液内科", nameEn: "Hematology" },
  { code: "GERIATRICS", name: "老年医学科", nameEn: "Geriatrics" },
  { code: "INFECTIOUS_DISEASES", name: "感染科", nameEn: "Infectious Diseases" },
  { code: "GENERAL_SURGERY", name: "普通外科", nameEn: "General Surgery" },
  { code: "UROLOGY", name: "泌尿外科", nameEn: "Urology" },
  { code: "PEDIATRICS", name: "儿科", nameEn: "Pediatrics" },
  { code: "OBSTETRICS", name: "产科", nameEn: "Obstetrics" },
  { code: "OPHTHALMOLOGY", name: "眼科", nameEn: "Ophthalmology" },
  { code: "OTOLARYNGOLOGY", name: "耳鼻咽喉科", nameEn: "Otolaryngology (ENT)" },
  { code: "STOMATOLOGY", name: "口腔科", nameEn: "Stomatology (Dentistry)" },
  { code: "MEDICAL_IMAGING", name: "医学影像科", nameEn: "Medical Imaging (Radiology)", aliases: ["放射科", "影像科"] },
  { code: "ULTRASOUND", name: "超声医学科", nameEn: "Ultrasound Medicine" },
  {
    code: "ELECTROCARDIOGRAPHY",
    name: "心电诊断",
    nameEn: "Electrocardiography",
    departmentName: "心电诊断科",
    aliases: ["心电图室"],
  },
  { code: "GENERAL_PRACTICE", name: "全科医学", nameEn: "General Practice", departmentName: "全科医学科" },
  { code: "TCM", name: "中医科", nameEn: "Traditional Chinese Medicine" },
  { code: "REHABILITATION", name: "康复医学科", nameEn: "Rehabilitation Medicine" },
];

const BY_CODE = new Map(SPECIALTIES.map((s) => [s.code, s]));
const BY_DEPARTMENT_NAME = new Map<string, SpecialtyDef>();
for (const s of SPECIALTIES) {
  for (const n of [s.name, s.departmentName, ...(s.aliases ?? [])]) if (n) BY_DEPARTMENT_NAME.set(n, s);
}

export type SpecialtyCode = string;

export function specialty(code: SpecialtyCode): SpecialtyDef {
  const s = BY_CODE.get(code);
  if (!s) throw new Error(`unknown specialty code ${code}`);
  return s;
}

/** The name a department practising this specialty gets by default. */
export function departmentNameOf(code: SpecialtyCode): string {
  const s = specialty(code);
  return s.departmentName ?? s.name;
}

/** The specialty a department name stands for (exact name, department name or alias), if any. */
export function specialtyOfDepartment(departmentName: string): SpecialtyDef | undefined {
  return BY_DEPARTMENT_NAME.get(departmentName);
}
