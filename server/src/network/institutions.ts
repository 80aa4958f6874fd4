// The four-tier network directory. Institutions, departments and consortia are not patient data: every
// authenticated user of the network may look them up (a township doctor must find the hospitals above).
import type { Prisma } from "@prisma/client";
import type {
  ConsortiumSearchQuery,
  ConsortiumSummary,
  DepartmentSummary,
  InstitutionSearchQuery,
  InstitutionSummary,
  InstitutionTreeNode,
  Page,
} from "@yilian/contract";
import { sqlOf, type Db } from "../db";
import { notFound } from "../authz/policy";

const regionRef = { select: { id: true, name: true, kind: true } } as const;
const institutionSelect = {
  id: true,
  code: true,
  name: true,
  tier: true,
  kind: true,
  parentId: true,
  named: true,
  city: regionRef,
  county: regionRef,
} as const satisfies Prisma.InstitutionSelect;

const TIER_ORDER = ["PROVINCE", "CITY", "COUNTY", "TOWNSHIP"] as const;

/** A LIKE pattern that matches `text` anywhere, its own % _ \\ taken literally. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, "\\$&")}%`;
}

/** The search's filters on `i` ("Institution"), $1–$7 (a null filter is off): shared by the page and its count. */
const INSTITUTION_FILTERS = `
  WHERE ($1::text IS NULL OR i.name ILIKE $1)
    AND ($2::"Tier" IS NULL OR i.tier = $2)
    AND ($3::"InstitutionKind" IS NULL OR i.kind = $3)
    AND ($4::uuid IS NULL OR i."cityId" = $4)
    AND ($5::uuid IS NULL OR i."countyId" = $5)
    AND ($6::boolean IS NULL OR i.named = $6)
    AND ($7::uuid IS NULL OR EXISTS (
      SELECT 1 FROM "ConsortiumMember" m WHERE m."consortiumId" = $7 AND m."institutionId" = i.id))`;

// The directory search is the busiest read of the network (every request form and picker types into it): one
// statement, its page and the total together (count(*) OVER is taken before LIMIT), the regions as JSON.
const SEARCH_INSTITUTIONS = `
  SELECT i.id, i.code, i.name, i.tier, i.kind, i."parentId", i.named,
         CASE WHEN c.id IS NULL THEN NULL ELSE json_build_object('id', c.id, 'name', c.name, 'kind', c.kind) END AS city,
         CASE WHEN k.id IS NULL THEN NULL ELSE json_build_object('id', k.id, 'name', k.name, 'kind', k.kind) END AS county,
         count(*) OVER ()::int AS total
  FROM "Institution" i
  LEFT JOIN "Region" c ON c.id = i."cityId"
  LEFT JOIN "Region" k ON k.id = i."countyId"
  ${INSTITUTION_FILTERS}
  ORDER BY i.tier ASC, i.code ASC
  LIMIT $8 OFFSET $9`;
const COUNT_INSTITUTIONS = `
  SELECT count(*)::int AS total FROM "Institution" i
  ${INSTITUTION_FILTERS}`;

export async function searchInstitutions(db: Db, q: InstitutionSearchQuery): Promise<Page<InstitutionSummary>> {
  const filters = [
    q.q ? containsPattern(q.q) : null,
    q.tier ?? null,
    q.kind ?? null,
    q.cityId ?? null,
    q.countyId ?? null,
    q.named ?? null,
    q.consortiumId ?? null,
  ];
  const sql = sqlOf(db);
  const { rows } = await sql.query<InstitutionSummary & { total: number }>(SEARCH_INSTITUTIONS, [
    ...filters,
    q.limit,
    q.offset,
  ]);
  // A page past the end has no row to carry the total.
  const total =
    rows[0]?.total ??
    (q.offset > 0 ? (await sql.query<{ total: number }>(COUNT_INSTITUTIONS, filters)).rows[0]!.total : 0);
  return { items: rows.map(({ total: _, ...item }) => item), total, limit: q.limit, offset: q.offset };
}

export async function getInstitution(db: Db, id: string) {
  const inst = await db.institution.findUnique({
    where: { id },
    select: {
      ...institutionSelect,
      note: true,
      parent: { select: { id: true, name: true, tier: true } },
      _count: { select: { children: true, departments: true, users: true } },
      memberships: {
        select: { role: true, consortium: { select: { id: true, name: true, type: true } } },
        where: { consortium: { coversAll: false } },
      },
    },
  });
  if (!inst) throw notFound("医疗机构");
  const { _count, memberships, ...rest } = inst;
  return {
    ...rest,
    childCount: _count.children,
    departmentCount: _count.departments,
    userCount: _count.users,
    consortia: memberships.map((m) => ({ ...m.consortium, role: m.role })),
  };
}

/** The telemedicine network tree: the province-tier roots (or one institution) down `depth` levels. */
export async function institutionTree(
  db: Db,
  rootId: string | undefined,
  depth: number,
): Promise<InstitutionTreeNode[]> {
  const roots = rootId
    ? await db.institution.findMany({ where: { id: rootId }, select: institutionSelect })
    : await db.institution.findMany({
        where: { parentId: null, tier: "PROVINCE" },
        select: institutionSelect,
        orderBy: { code: "asc" },
      });
  if (rootId && !roots.length) throw notFound("医疗机构");

  const counts = async (ids: string[]) => {
    const rows = await db.institution.groupBy({
      by: ["parentId"],
      where: { parentId: { in: ids } },
      _count: { _all: true },
    });
    return new Map(rows.map((r) => [r.parentId!, r._count._all]));
  };

  let level: InstitutionTreeNode[] = roots.map((r) => ({ ...r, childCount: 0 }));
  const top = level;
  for (let d = 0; d < depth && level.length; d++) {
    const ids = level.map((n) => n.id);
    const childCounts = await counts(ids);
    for (const n of level) n.childCount = childCounts.get(n.id) ?? 0;
    if (d === depth - 1) break;
    const children = await db.institution.findMany({
      where: { parentId: { in: ids } },
      select: institutionSelect,
      orderBy: [{ tier: "asc" }, { code: "asc" }],
    });
    const byParent = new Map<string, InstitutionTreeNode[]>();
    for (const c of children) {
      const node: InstitutionTreeNode = { ...c, childCount: 0 };
      byParent.set(c.parentId!, [...(byParent.get(c.parentId!) ?? []), node]);
    }
    for (const n of level) n.children = byParent.get(n.id) ?? [];
    level = children.map((c) => byParent.get(c.parentId!)!.find((n) => n.id === c.id)!);
  }
  return top;
}

export async function listDepartments(db: Db, institutionId: string): Promise<DepartmentSummary[]> {
  const inst = await db.institution.findUnique({ where: { id: institutionId }, select: { id: true } });
  if (!inst) throw notFound("医疗机构");
  return db.department.findMany({
    where: { institutionId },
    select: { id: true, name: true, specialty: { select: { code: true, name: true } } },
    orderBy: { name: "asc" },
  });
}

const consortiumSelect = {
  id: true,
  code: true,
  name: true,
  type: true,
  allianceLevel: true,
  coversAll: true,
  leadInstitution: { select: { id: true, name: true } },
  leadDepartment: { select: { id: true, name: true } },
  specialty: { select: { code: true, name: true } },
  _count: { select: { members: true } },
} as const satisfies Prisma.ConsortiumSelect;

function toConsortiumSummary(c: Prisma.ConsortiumGetPayload<{ select: typeof consortiumSelect }>): ConsortiumSummary {
  const { _count, ...rest } = c;
  return { ...rest, memberCount: _count.members };
}

export async function searchConsortia(db: Db, q: ConsortiumSearchQuery): Promise<Page<ConsortiumSummary>> {
  const where: Prisma.ConsortiumWhereInput = {
    ...(q.q ? { name: { contains: q.q, mode: "insensitive" } } : {}),
    ...(q.type ? { type: q.type } : {}),
    ...(q.specialtyCode ? { specialtyCode: q.specialtyCode } : {}),
    ...(q.institutionId ? { members: { some: { institutionId: q.institutionId } } } : {}),
  };
  const [items, total] = await Promise.all([
    db.consortium.findMany({
      where,
      select: consortiumSelect,
      orderBy: [{ type: "asc" }, { code: "asc" }],
      take: q.limit,
      skip: q.offset,
    }),
    db.consortium.count({ where }),
  ]);
  return { items: items.map(toConsortiumSummary), total, limit: q.limit, offset: q.offset };
}

export async function getConsortium(db: Db, id: string): Promise<ConsortiumSummary> {
  const c = await db.consortium.findUnique({ where: { id }, select: consortiumSelect });
  if (!c) throw notFound("医联体");
  return toConsortiumSummary(c);
}

export async function consortiumMembers(db: Db, id: string, limit: number, offset: number) {
  const c = await db.consortium.findUnique({ where: { id }, select: { id: true } });
  if (!c) throw notFound("医联体");
  const where = { consortiumId: id };
  const [rows, total] = await Promise.all([
    db.consortiumMember.findMany({
      where,
      select: { role: true, institution: { select: institutionSelect } },
      orderBy: [{ role: "asc" }, { institution: { code: "asc" } }],
      take: limit,
      skip: offset,
    }),
    db.consortiumMember.count({ where }),
  ]);
  return { items: rows.map((r) => ({ ...r.institution, role: r.role })), total, limit, offset };
}

export async function listRegions(db: Db) {
  const cities = await db.region.findMany({
    where: { kind: "CITY" },
    select: {
      id: true,
      code: true,
      name: true,
      children: { select: { id: true, code: true, name: true }, orderBy: { code: "asc" } },
    },
    orderBy: { code: "asc" },
  });
  return cities.map(({ children, ...c }) => ({ ...c, counties: children }));
}

export function listSpecialties(db: Db) {
  return db.specialty.findMany({ select: { code: true, name: true, nameEn: true }, orderBy: { code: "asc" } });
}

export { TIER_ORDER };
