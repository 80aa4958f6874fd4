// The one authorisation module: "may user U do A on record R", by role and by scope.
// Records outside a caller's scope are reported as NOT_FOUND (never FORBIDDEN), so their existence does not leak.
import { AppError, ErrorCode } from "@yilian/contract";
import type { Prisma } from "@prisma/client";
import { hasRole, type AuthUser } from "./principal";

/** Where-clause on Institution for the institutions a user administers; null = the whole province. */
export function administeredInstitutions(user: AuthUser): Prisma.InstitutionWhereInput | null | "none" {
  if (hasRole(user, "PROVINCE_ADMIN")) return null;
  if (hasRole(user, "REGION_ADMIN") && user.region) {
    return user.region.kind === "CITY" ? { cityId: user.region.id } : { countyId: user.region.id };
  }
  if (hasRole(user, "INSTITUTION_ADMIN", "COORDINATOR")) return { id: user.institutionId };
  return "none";
}

/** Where-clause on User for the user records a caller may read: self, plus the institutions they administer. */
export function readableUsers(user: AuthUser): Prisma.UserWhereInput {
  const scope = administeredInstitutions(user);
  if (scope === null) return {};
  if (scope === "none") return { id: user.id };
  return { OR: [{ id: user.id }, { institution: scope }] };
}

export type Action = "user.read" | "user.create" | "user.update" | "audit.read";

/** Whether `user` may perform `action` on a user record belonging to `institution`. */
export function mayManageUsersOf(
  user: AuthUser,
  institution: { id: string; cityId: string | null; countyId: string | null },
): boolean {
  const scope = administeredInstitutions(user);
  if (scope === null) return true;
  if (scope === "none") return false;
  if (!hasRole(user, "PROVINCE_ADMIN", "REGION_ADMIN", "INSTITUTION_ADMIN")) return false; // coordinators only read
  if (user.region && hasRole(user, "REGION_ADMIN")) {
    return user.region.kind === "CITY"
      ? institution.cityId === user.region.id
      : institution.countyId === user.region.id;
  }
  return institution.id === user.institutionId;
}

/** Which roles a caller may grant: nobody grants a role above their own administrative reach. */
export function grantableRoles(user: AuthUser): Set<string> {
  const base = ["DOCTOR", "SPECIALIST", "COORDINATOR", "LECTURER", "TRAINEE", "INSTITUTION_ADMIN"];
  if (hasRole(user, "PROVINCE_ADMIN")) return new Set([...base, "REGION_ADMIN", "PROVINCE_ADMIN"]);
  if (hasRole(user, "REGION_ADMIN")) return new Set([...base, "REGION_ADMIN"]);
  if (hasRole(user, "INSTITUTION_ADMIN")) return new Set(base);
  return new Set();
}

/** Whether `region` lies within the caller's reach: any for the province, a city and its counties for that city's
 * administrator, the county itself for a county's. Region administrators grant only inside their own region. */
export function regionWithinReach(user: AuthUser, region: { id: string; parentId: string | null }): boolean {
  if (hasRole(user, "PROVINCE_ADMIN")) return true;
  if (!hasRole(user, "REGION_ADMIN") || !user.region) return false;
  return region.id === user.region.id || (user.region.kind === "CITY" && region.parentId === user.region.id);
}

/** Nobody changes, deactivates, resets or unlocks a user holding a role they could not grant themselves, nor the
 * administrator of a region beyond their reach. */
export function mayActOnUser(
  user: AuthUser,
  target: { roles: string[]; region: { id: string; parentId: string | null } | null },
): boolean {
  const grantable = grantableRoles(user);
  if (target.roles.some((r) => !grantable.has(r))) return false;
  if (target.roles.includes("REGION_ADMIN") && !hasRole(user, "PROVINCE_ADMIN")) {
    return target.region !== null && regionWithinReach(user, target.region);
  }
  return true;
}

export function notFound(what = "记录"): AppError {
  return new AppError(ErrorCode.NOT_FOUND, `未找到该${what}`);
}

export function requireRole(user: AuthUser, ...roles: Parameters<typeof hasRole>[1][]): void {
  if (!hasRole(user, ...roles)) throw new AppError(ErrorCode.FORBIDDEN);
}
