// Routing (分级诊疗): which upper-tier institutions a requester may consult, through which link, and how the
// suggestions rank. Links, nearest first: the county medical community lead, the city medical group lead,
// external-guidance partners (of the requester or of its leads), the specialty alliance of the requested
// specialty, then the provincial telemedicine network (the requester's network parents and province-tier
// hospitals). Ranking (分级诊疗: nearest level first): institutions that have the specialty before those that do not;
// among them the consortium link is the first key, then the soonest free slot, then current load. The link stays
// first whether or not anyone has published slots: a township's own medical-group lead comes before a provincial
// hospital with an earlier slot.
import { targetLinkLabel, tierRank, type TargetLink, type TargetSuggestion, type Tier } from "@yilian/contract";
import type { Db } from "../db";
import { loadSlots } from "../scheduling/slots";
import { OPEN_STATUSES } from "./state-machine";

type LinkKind = TargetLink;
const LINK_RANK: Record<LinkKind, number> = {
  COUNTY_MEDICAL_COMMUNITY: 1,
  CITY_MEDICAL_GROUP: 2,
  EXTERNAL_GUIDANCE: 3,
  GOV_HOSPITAL_COOPERATION: 3,
  SPECIALTY_ALLIANCE: 4,
  TELEMEDICINE_NETWORK: 5,
};

export interface Link {
  institutionId: string;
  link: LinkKind;
  consortiumId: string | null;
}

/** Upper-tier institutions reachable from `institutionId`, each with its nearest link. */
export async function allowedTargets(
  db: Db,
  institutionId: string,
  specialtyCode?: string | null,
): Promise<Map<string, Link>> {
  const me = await db.institution.findUnique({
    where: { id: institutionId },
    select: { id: true, tier: true, parentId: true },
  });
  if (!me) return new Map();
  const links = new Map<string, Link>();
  const add = (id: string | null | undefined, link: LinkKind, consortiumId: string | null) => {
    if (!id || id === institutionId) return;
    const cur = links.get(id);
    if (!cur || LINK_RANK[link] < LINK_RANK[cur.link]) links.set(id, { institutionId: id, link, consortiumId });
  };
  const leadsOf = (c: { leadInstitutionId: string | null; members: { institutionId: string; role: string }[] }) =>
    [c.leadInstitutionId, ...c.members.filter((m) => m.role === "LEAD").map((m) => m.institutionId)].filter(
      (x): x is string => !!x,
    );

  const mine = await db.consortium.findMany({
    where: { members: { some: { institutionId } } },
    include: { members: { where: { role: "LEAD" }, select: { institutionId: true, role: true } } },
  });
  const leads: string[] = [];
  for (const c of mine) {
    if (
      c.type === "COUNTY_MEDICAL_COMMUNITY" ||
      c.type === "CITY_MEDICAL_GROUP" ||
      c.type === "GOV_HOSPITAL_COOPERATION"
    ) {
      for (const l of leadsOf(c)) {
        add(l, c.type, c.id);
        leads.push(l);
      }
    } else if (c.type === "SPECIALTY_ALLIANCE" && specialtyCode && c.specialtyCode === specialtyCode) {
      leadsOf(c).forEach((l) => add(l, "SPECIALTY_ALLIANCE", c.id));
    } else if (c.type === "EXTERNAL_GUIDANCE") {
      leadsOf(c).forEach((l) => add(l, "EXTERNAL_GUIDANCE", c.id));
    }
  }
  // External guidance reaches the township through its county / city lead hospital.
  if (leads.length) {
    const guidance = await db.consortium.findMany({
      where: { type: "EXTERNAL_GUIDANCE", members: { some: { institutionId: { in: leads } } } },
      include: { members: { where: { role: "LEAD" }, select: { institutionId: true, role: true } } },
    });
    guidance.forEach((c) => leadsOf(c).forEach((l) => add(l, "EXTERNAL_GUIDANCE", c.id)));
  }
  const network = await db.consortium.findFirst({
    where: { type: "TELEMEDICINE_NETWORK", OR: [{ coversAll: true }, { members: { some: { institutionId } } }] },
    select: { id: true },
  });
  if (network) {
    // Network parents up the tree, then every province-tier hospital.
    let parentId = me.parentId;
    for (let depth = 0; parentId && depth < 4; depth++) {
      add(parentId, "TELEMEDICINE_NETWORK", network.id);
      parentId =
        (await db.institution.findUnique({ where: { id: parentId }, select: { parentId: true } }))?.parentId ?? null;
    }
    const province = await db.institution.findMany({ where: { tier: "PROVINCE" }, select: { id: true } });
    province.forEach((p) => add(p.id, "TELEMEDICINE_NETWORK", network.id));
  }
  // Only upward: a request never goes to the same or a lower tier.
  const tiers = await db.institution.findMany({
    where: { id: { in: [...links.keys()] } },
    select: { id: true, tier: true },
  });
  const upper = new Set(tiers.filter((t) => tierRank[t.tier as Tier] > tierRank[me.tier as Tier]).map((t) => t.id));
  for (const id of links.keys()) if (!upper.has(id)) links.delete(id);
  return links;
}

/** Suggested targets, best first. */
export async function suggestTargets(
  db: Db,
  institutionId: string,
  specialtyCode: string,
  limit: number,
): Promise<TargetSuggestion[]> {
  const links = await allowedTargets(db, institutionId, specialtyCode);
  const ids = [...links.keys()];
  if (!ids.length) return [];
  const horizon = new Date(Date.now() + 14 * 86_400_000);
  const [institutions, departments, specialists, load] = await Promise.all([
    db.institution.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, tier: true } }),
    db.department.findMany({
      where: { institutionId: { in: ids }, specialtyCode },
      select: { id: true, institutionId: true },
    }),
    db.user.findMany({
      where: { institutionId: { in: ids }, active: true, roles: { has: "SPECIALIST" }, department: { specialtyCode } },
      select: { id: true, institutionId: true },
    }),
    db.consultation.groupBy({
      by: ["targetInstitutionId"],
      where: { targetInstitutionId: { in: ids }, status: { in: [...OPEN_STATUSES] } },
      _count: { _all: true },
    }),
  ]);
  const slots = await loadSlots(
    db,
    specialists.map((s) => s.id),
    new Date(),
    horizon,
  );
  const next = new Map<string, Date>();
  for (const s of slots) if (!s.reserved && !next.has(s.institutionId)) next.set(s.institutionId, s.startsAt);
  const loadOf = new Map(load.map((l) => [l.targetInstitutionId, l._count._all]));
  const dept = new Map(departments.map((d) => [d.institutionId, d.id]));
  const out = institutions.map((i): TargetSuggestion => {
    const l = links.get(i.id)!;
    return {
      institution: { id: i.id, name: i.name, tier: i.tier as Tier },
      link: l.link,
      linkLabel: targetLinkLabel[l.link],
      consortiumId: l.consortiumId,
      specialtyMatch: dept.has(i.id),
      departmentId: dept.get(i.id) ?? null,
      nextSlot: next.get(i.id)?.toISOString() ?? null,
      openLoad: loadOf.get(i.id) ?? 0,
    };
  });
  return rankTargets(out).slice(0, limit);
}

/** Best first: has the specialty, then the nearest consortium link, then the soonest free slot, then the lightest load. */
export function rankTargets(list: TargetSuggestion[]): TargetSuggestion[] {
  const far = Number.MAX_SAFE_INTEGER;
  return [...list].sort(
    (a, b) =>
      Number(b.specialtyMatch) - Number(a.specialtyMatch) ||
      LINK_RANK[a.link] - LINK_RANK[b.link] ||
      (a.nextSlot ? Date.parse(a.nextSlot) : far) - (b.nextSlot ? Date.parse(b.nextSlot) : far) ||
      a.openLoad - b.openLoad ||
      a.institution.name.localeCompare(b.institution.name, "zh-CN"),
  );
}
