// Role-aware navigation: which menu entries (and routes) each role sees.
import type { Role } from "@yilian/contract";
import type { MessageKey } from "./i18n";

export interface NavEntry {
  path: string;
  label: MessageKey;
  roles: Role[] | "all";
}

const ADMINS: Role[] = ["INSTITUTION_ADMIN", "REGION_ADMIN", "PROVINCE_ADMIN"];

export const NAV: NavEntry[] = [
  { path: "/", label: "nav.home", roles: "all" },
  { path: "/consultations/new", label: "nav.newConsultation", roles: ["DOCTOR"] },
  { path: "/consultations", label: "nav.consultations", roles: ["DOCTOR", "SPECIALIST", "COORDINATOR", ...ADMINS] },
  { path: "/triage", label: "nav.triage", roles: ["COORDINATOR"] },
  { path: "/calendar", label: "nav.calendar", roles: ["SPECIALIST"] },
  { path: "/training", label: "nav.training", roles: "all" },
  { path: "/statistics", label: "nav.statistics", roles: ADMINS },
  { path: "/network", label: "nav.network", roles: "all" },
  { path: "/users", label: "nav.users", roles: ADMINS },
];

export const canSee = (entry: NavEntry, roles: readonly Role[]) =>
  entry.roles === "all" || entry.roles.some((r) => roles.includes(r));
export const isAdmin = (roles: readonly Role[]) => roles.some((r) => ADMINS.includes(r));
