// The seeded province: the named network from the source documents plus the generated remainder, at the
// province's published scale (prisma/data/jilin/reference-figures.json).
import { closeTestDb, testDb } from "../helpers/db";
import institutions from "../../prisma/data/jilin/institutions.json";
import consortia from "../../prisma/data/jilin/consortia.json";
import figures from "../../prisma/data/jilin/reference-figures.json";
import { DEMO_ACCOUNTS } from "../../prisma/seed/demo-accounts";

afterAll(() => closeTestDb());

it("has every named institution with its real name, tier and city", async () => {
  const db = testDb();
  for (const named of institutions.institutions) {
    const row = await db.institution.findUnique({ where: { name: named.name }, include: { city: true } });
    expect({ name: named.name, tier: row?.tier, named: row?.named }).toEqual({
      name: named.name,
      tier: named.tier,
      named: true,
    });
    if (named.city && named.city !== "梅河新区") expect(row?.city?.name).toBe(named.city);
  }
});

it("has every named consortium with its type and lead", async () => {
  const db = testDb();
  for (const c of consortia.consortia) {
    const row = await db.consortium.findUnique({
      where: { name: c.name },
      include: { leadInstitution: true, leadDepartment: true },
    });
    expect({ name: c.name, type: row?.type }).toEqual({ name: c.name, type: c.type });
    if (c.lead) expect(row?.leadInstitution?.name).toBe(c.lead);
    if ("leadDepartment" in c && c.leadDepartment) expect(row?.leadDepartment?.name).toBe(c.leadDepartment);
  }
  const alliances = consortia.consortia.filter((c) => c.type === "SPECIALTY_ALLIANCE");
  expect(alliances).toHaveLength(24);
  const songyuan = await db.consortium.findUniqueOrThrow({
    where: { name: "松原吉林油田医院城市医疗集团" },
    include: { members: { include: { institution: true } } },
  });
  const members = songyuan.members
    .filter((m) => m.role === "MEMBER")
    .map((m) => m.institution.name)
    .sort();
  expect(members).toHaveLength(32);
  expect(members).toEqual([...(consortia.consortia.find((c) => c.name === songyuan.name)!.members as string[])].sort());
});

it("fills out the province to exactly the published counts", async () => {
  const db = testDb();
  expect(await db.institution.count()).toBe(figures.platform.institutionsLinked);
  expect(await db.region.count({ where: { kind: "CITY" } })).toBe(9);
  const byType = Object.fromEntries(
    (await db.consortium.groupBy({ by: ["type"], _count: { _all: true } })).map((g) => [g.type, g._count._all]),
  );
  const c = figures.consortiumCounts;
  expect(byType).toEqual({
    GOV_HOSPITAL_COOPERATION: c.GOV_HOSPITAL_COOPERATION,
    EXTERNAL_GUIDANCE: c.EXTERNAL_GUIDANCE,
    CITY_MEDICAL_GROUP: c.CITY_MEDICAL_GROUP,
    COUNTY_MEDICAL_COMMUNITY: c.COUNTY_MEDICAL_COMMUNITY,
    SPECIALTY_ALLIANCE: c.SPECIALTY_ALLIANCE_PROVINCIAL + c.SPECIALTY_ALLIANCE_PROVINCE_MANAGED_HOSPITAL,
    TELEMEDICINE_NETWORK: c.TELEMEDICINE_NETWORK,
  });
  const covered = async (kind: "TOWNSHIP_HEALTH_CENTRE" | "COMMUNITY_HEALTH_CENTRE") =>
    db.institution.count({
      where: { kind, memberships: { some: { consortium: { type: "COUNTY_MEDICAL_COMMUNITY" } } } },
    });
  expect(await covered("TOWNSHIP_HEALTH_CENTRE")).toBe(figures.countyCommunitiesCover.townshipHealthCentres);
  expect(await covered("COMMUNITY_HEALTH_CENTRE")).toBe(figures.countyCommunitiesCover.communityHealthCentres);
  // Every institution belongs to the provincial telemedicine network.
  const network = await db.consortium.findFirstOrThrow({
    where: { type: "TELEMEDICINE_NETWORK" },
    include: { _count: { select: { members: true } } },
  });
  expect(network._count.members).toBe(figures.platform.institutionsLinked);
});

it("links every non-province institution upward in the telemedicine network", async () => {
  const db = testDb();
  expect(await db.institution.count({ where: { parentId: null, tier: { not: "PROVINCE" } } })).toBe(0);
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM "Institution" c JOIN "Institution" p ON p.id = c."parentId"
    WHERE array_position(ARRAY['PROVINCE','CITY','COUNTY','TOWNSHIP']::text[], p.tier::text)
       >= array_position(ARRAY['PROVINCE','CITY','COUNTY','TOWNSHIP']::text[], c.tier::text)`;
  expect(Number(rows[0]!.n)).toBe(0);
});

it("has users of every role and the documented demo accounts", async () => {
  const db = testDb();
  for (const role of [
    "DOCTOR",
    "SPECIALIST",
    "COORDINATOR",
    "INSTITUTION_ADMIN",
    "REGION_ADMIN",
    "PROVINCE_ADMIN",
    "LECTURER",
    "TRAINEE",
  ] as const) {
    expect({ role, present: (await db.user.count({ where: { roles: { has: role } } })) > 0 }).toEqual({
      role,
      present: true,
    });
  }
  for (const a of DEMO_ACCOUNTS) {
    const u = await db.user.findUnique({ where: { username: a.username }, include: { institution: true } });
    expect({ username: a.username, role: u?.roles.includes(a.role), institution: u?.institution.name }).toEqual({
      username: a.username,
      role: true,
      institution: a.institution,
    });
  }
});
