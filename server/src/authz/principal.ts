import type { Role, Tier } from "@yilian/contract";

/** The authenticated caller, loaded once per request (and per socket) from the database. */
export interface AuthUser {
  id: string;
  username: string;
  roles: Role[];
  institutionId: string;
  institutionTier: Tier;
  departmentId: string | null;
  /** For REGION_ADMIN: the administered city or county. */
  region: { id: string; kind: "CITY" | "COUNTY" } | null;
  /** The refresh-token family (one login) this access token belongs to; revoking it ends the session. */
  sessionId: string;
}

export const hasRole = (u: AuthUser, ...roles: Role[]) => roles.some((r) => u.roles.includes(r));
