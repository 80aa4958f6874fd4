// Fixed demo accounts: usernames that tests, the README and manual demos rely on. They are seeded exactly as
// listed here (users.ts creates them first, then generates the rest of the province's accounts around them).
// All seeded accounts, these and the generated ones, share the password DEMO_PASSWORD.
import type { ProfessionalTitle, Role } from "@prisma/client";

export const DEMO_PASSWORD = "Yilian@2024";

/**
 * A generated township health centre in 长春市 (a different city from 哈达山卫生院 in 松原市). Its name is
 * pinned here and the generator creates it under this exact name, so the demo doctor's institution is stable.
 */
export const DEMO_TOWNSHIP_CENTRE = "农安县青山镇卫生院";

export interface DemoAccount {
  username: string;
  role: Role;
  /** Institution.name (unique). */
  institution: string;
  /** Department.name within the institution (created if the institution lacks it). */
  department?: string;
  title?: ProfessionalTitle;
  /** Region.code administered by a REGION_ADMIN. */
  region?: string;
  /** What the account is for in demos and tests. */
  purpose: string;
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    username: "province.admin",
    role: "PROVINCE_ADMIN",
    institution: "吉林省人民医院",
    title: "ADMINISTRATOR",
    purpose: "province-wide administrator: every institution, user and statistic",
  },
  {
    username: "region.changchun",
    role: "REGION_ADMIN",
    institution: "长春市中心医院",
    region: "changchun",
    title: "ADMINISTRATOR",
    purpose: "administrator of 长春市 (city scope)",
  },
  {
    username: "region.songyuan",
    role: "REGION_ADMIN",
    institution: "松原吉林油田医院",
    region: "songyuan",
    title: "ADMINISTRATOR",
    purpose: "administrator of 松原市 (city scope): the named Songyuan city medical group",
  },
  {
    username: "doctor.hadashan",
    role: "DOCTOR",
    institution: "哈达山卫生院",
    department: "全科医学科",
    title: "ATTENDING_PHYSICIAN",
    purpose: "township doctor in 松原市 who requests consultations (routed to 松原吉林油田医院)",
  },
  {
    username: "trainee.hadashan",
    role: "TRAINEE",
    institution: "哈达山卫生院",
    department: "全科医学科",
    title: "RESIDENT_PHYSICIAN",
    purpose: "township staff member who attends training sessions",
  },
  {
    username: "doctor.nongan",
    role: "DOCTOR",
    institution: DEMO_TOWNSHIP_CENTRE,
    department: "全科医学科",
    title: "ATTENDING_PHYSICIAN",
    purpose: "township doctor in another city (长春市, 农安县 county medical community)",
  },
  {
    username: "coord.youtian",
    role: "COORDINATOR",
    institution: "松原吉林油田医院",
    department: "远程医学中心",
    title: "ADMINISTRATOR",
    purpose: "consultation coordinator of the Songyuan group lead hospital: triages and assigns requests",
  },
  {
    username: "admin.youtian",
    role: "INSTITUTION_ADMIN",
    institution: "松原吉林油田医院",
    title: "ADMINISTRATOR",
    purpose: "institution administrator of 松原吉林油田医院",
  },
  {
    username: "spec.youtian.1",
    role: "SPECIALIST",
    institution: "松原吉林油田医院",
    department: "心血管内科",
    title: "CHIEF_PHYSICIAN",
    purpose: "specialist (cardiology) at 松原吉林油田医院",
  },
  {
    username: "spec.youtian.2",
    role: "SPECIALIST",
    institution: "松原吉林油田医院",
    department: "神经内科",
    title: "ASSOCIATE_CHIEF_PHYSICIAN",
    purpose: "specialist (neurology) at 松原吉林油田医院",
  },
  {
    username: "coord.jdyy",
    role: "COORDINATOR",
    institution: "吉林大学第一医院",
    department: "远程医学中心",
    title: "ADMINISTRATOR",
    purpose: "consultation coordinator of a province-tier hospital",
  },
  {
    username: "spec.jdyy.1",
    role: "SPECIALIST",
    institution: "吉林大学第一医院",
    department: "心血管内科",
    title: "CHIEF_PHYSICIAN",
    purpose: "province-tier specialist (cardiology)",
  },
  {
    username: "spec.jdyy.2",
    role: "SPECIALIST",
    institution: "吉林大学第一医院",
    department: "脊柱外科",
    title: "CHIEF_PHYSICIAN",
    purpose: "province-tier specialist in the lead department of the named spine surgery alliance",
  },
  {
    username: "lect.jdyy",
    role: "LECTURER",
    institution: "吉林大学第一医院",
    department: "全科医学科",
    title: "CHIEF_PHYSICIAN",
    purpose: "lecturer of training sessions for grassroots staff",
  },
];

/** A demo account by username (throws if it is not one). */
export function demoAccount(username: string): DemoAccount {
  const a = DEMO_ACCOUNTS.find((x) => x.username === username);
  if (!a) throw new Error(`not a demo account: ${username}`);
  return a;
}
