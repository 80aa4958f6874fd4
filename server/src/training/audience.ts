// Who a training session is for. A session's audience is the union of its rules (whole province, tiers,
// consortia, cities, counties, listed institutions); a user belongs through their institution. The same rules
// run as a Prisma where-clause (catalogue), as a pure check (one session) and as SQL (who to notify).
import type { Prisma, TrainingAudienceKind, Tier } from "@prisma/client";
import type { TrainingAudienceRule } from "@yilian/contract";
import { sqlOf, type Db } from "../db";
import { hasRole, type AuthUser } from "../authz/principal";

/** The parts of a user's position that audience rules look at. */
export interface AudienceMember {
  userId: string;
  institutionId: string;
  tier: Tier;
  cityId: string | null;
  countyId: string | null;
  /** Consortia the institution belongs to, including those that cover the whole province. */
  consortiumIds: string[];
}

export interface RuleRow {
  kind: TrainingAudienceKind;
  tier: Tier | null;
  targetId: string | null;
}

export async function loadAudienceMember(
  db: Db,
  user: Pick<AuthUser, "id" | "institutionId">,
): Promise<AudienceMember> {
  // One statement (every viewer entering a lecture asks this).
  const { rows } = await sqlOf(db).query<Omit<AudienceMember, "userId" | "institutionId">>(
    `SELECT i.tier::text AS tier, i."cityId", i."countyId",
            ARRAY(SELECT m."consortiumId"::text FROM "ConsortiumMember" m WHERE m."institutionId" = i.id
                  UNION SELECT c.id::text FROM "Consortium" c WHERE c."coversAll") AS "consortiumIds"
       FROM "Institution" i WHERE i.id = $1`,
    [user.institutionId],
  );
  if (!rows[0]) throw new Error(`institution ${user.institutionId} not found`);
  return { userId: user.id, institutionId: user.institutionId, ...rows[0] };
}

export function ruleMatches(rule: RuleRow, m: AudienceMember): boolean {
  switch (rule.kind) {
    case "PROVINCE":
      return true;
    case "TIER":
      return rule.tier === m.tier;
    case "CONSORTIUM":
      return rule.targetId !== null && m.consortiumIds.includes(rule.targetId);
    case "CITY":
      return rule.targetId !== null && rule.targetId === m.cityId;
    case "COUNTY":
      return rule.targetId !== null && rule.targetId === m.countyId;
    case "INSTITUTION":
      return rule.targetId === m.institutionId;
  }
}

export const inAudience = (rules: readonly RuleRow[], m: AudienceMember) => rules.some((r) => ruleMatches(r, m));

/** Prisma filter on TrainingAudienceRule for the rules that include `m`. */
export function matchingRuleWhere(m: AudienceMember): Prisma.TrainingAudienceRuleWhereInput {
  const or: Prisma.TrainingAudienceRuleWhereInput[] = [
    { kind: "PROVINCE" },
    { kind: "TIER", tier: m.tier },
    { kind: "INSTITUTION", targetId: m.institutionId },
  ];
  if (m.consortiumIds.length) or.push({ kind: "CONSORTIUM", targetId: { in: m.consortiumIds } });
  if (m.cityId) or.push({ kind: "CITY", targetId: m.cityId });
  if (m.countyId) or.push({ kind: "COUNTY", targetId: m.countyId });
  return { OR: or };
}

/** Who manages a session: its lecturers, its creator, the host institution's admins, province admins. */
export function managesSession(
  user: AuthUser,
  s: { hostInstitutionId: string; createdById: string; lecturers: { userId: string }[] },
): boolean {
  if (hasRole(user, "PROVINCE_ADMIN")) return true;
  if (s.createdById === user.id || s.lecturers.some((l) => l.userId === user.id)) return true;
  return hasRole(user, "INSTITUTION_ADMIN") && user.institutionId === s.hostInstitutionId;
}

/** Prisma filter on TrainingSession for the sessions a user may see: in their audience, or managed by them. */
export function visibleSessionsWhere(user: AuthUser, m: AudienceMember): Prisma.TrainingSessionWhereInput {
  if (hasRole(user, "PROVINCE_ADMIN")) return {};
  return { OR: [{ audience: { some: matchingRuleWhere(m) } }, ...managedOnly(user)] };
}

export function managedSessionsWhere(user: AuthUser): Prisma.TrainingSessionWhereInput {
  if (hasRole(user, "PROVINCE_ADMIN")) return {};
  return { OR: managedOnly(user) };
}

function managedOnly(user: AuthUser): Prisma.TrainingSessionWhereInput[] {
  const or: Prisma.TrainingSessionWhereInput[] = [
    { createdById: user.id },
    { lecturers: { some: { userId: user.id } } },
  ];
  if (hasRole(user, "INSTITUTION_ADMIN")) or.push({ hostInstitutionId: user.institutionId });
  return or;
}

/** Stored rule rows for API rules (ids kept in targetId by kind). */
export function toRuleRows(rules: readonly TrainingAudienceRule[]): RuleRow[] {
  return rules.map((r) => {
    switch (r.kind) {
      case "PROVINCE":
        return { kind: "PROVINCE", tier: null, targetId: null };
      case "TIER":
        return { kind: "TIER", tier: r.tier, targetId: null };
      case "CONSORTIUM":
        return { kind: "CONSORTIUM", tier: null, targetId: r.consortiumId };
      case "CITY":
      case "COUNTY":
        return { kind: r.kind, tier: null, targetId: r.regionId };
      case "INSTITUTION":
        return { kind: "INSTITUTION", tier: null, targetId: r.institutionId };
    }
  });
}

export function fromRuleRow(r: RuleRow): TrainingAudienceRule {
  switch (r.kind) {
    case "PROVINCE":
      return { kind: "PROVINCE" };
    case "TIER":
      return { kind: "TIER", tier: r.tier! };
    case "CONSORTIUM":
      return { kind: "CONSORTIUM", consortiumId: r.targetId! };
    case "CITY":
    case "COUNTY":
      return { kind: r.kind, regionId: r.targetId! };
    case "INSTITUTION":
      return { kind: "INSTITUTION", institutionId: r.targetId! };
  }
}

/** Institutions in a session's audience (for notifications to institution rooms). One SQL statement. */
export async function audienceInstitutionIds(db: Db, sessionId: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT DISTINCT i.id::text AS id
    FROM "Institution" i
    JOIN "TrainingAudienceRule" r ON r."sessionId" = ${sessionId}::uuid
    WHERE r.kind = 'PROVINCE'
       OR (r.kind = 'TIER' AND r.tier = i.tier)
       OR (r.kind = 'CITY' AND r."targetId" = i."cityId")
       OR (r.kind = 'COUNTY' AND r."targetId" = i."countyId")
       OR (r.kind = 'INSTITUTION' AND r."targetId" = i.id)
       OR (r.kind = 'CONSORTIUM' AND (
             EXISTS (SELECT 1 FROM "Consortium" c WHERE c.id = r."targetId" AND c."coversAll")
          OR EXISTS (SELECT 1 FROM "ConsortiumMember" cm WHERE cm."consortiumId" = r."targetId" AND cm."institutionId" = i.id)))`;
  return rows.map((r) => r.id);
}

/** Checks that every referenced consortium, region and institution exists (and regions have the right kind). */
export async function validateRuleTargets(db: Db, rules: readonly RuleRow[]): Promise<string | null> {
  const ids = (kind: TrainingAudienceKind) => [
    ...new Set(rules.filter((r) => r.kind === kind).map((r) => r.targetId!)),
  ];
  const checks: [TrainingAudienceKind, () => Promise<number>, number, string][] = [
    [
      "CONSORTIUM",
      () => db.consortium.count({ where: { id: { in: ids("CONSORTIUM") } } }),
      ids("CONSORTIUM").length,
      "医联体",
    ],
    ["CITY", () => db.region.count({ where: { id: { in: ids("CITY") }, kind: "CITY" } }), ids("CITY").length, "市"],
    [
      "COUNTY",
      () => db.region.count({ where: { id: { in: ids("COUNTY") }, kind: "COUNTY" } }),
      ids("COUNTY").length,
      "县(区)",
    ],
    [
      "INSTITUTION",
      () => db.institution.count({ where: { id: { in: ids("INSTITUTION") } } }),
      ids("INSTITUTION").length,
      "机构",
    ],
  ];
  for (const [, count, expected, label] of checks) {
    if (expected && (await count()) !== expected) return `受众中包含不存在的${label}`;
  }
  return null;
}
