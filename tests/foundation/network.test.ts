// The four-tier network as users browse it.
import { startTestServer, type TestServer } from "../helpers/server";

let t: TestServer;
let token: string;
beforeAll(async () => {
  t = await startTestServer();
  token = (await t.login("doctor.hadashan")).accessToken;
});
afterAll(() => t.stop());

const get = (path: string) => t.api(path, { token });

it("finds institutions by name, tier and city", async () => {
  const r = await get(`/api/institutions?q=${encodeURIComponent("吉林大学")}&tier=PROVINCE`);
  expect(r.status).toBe(200);
  const names = r.body.items.map((i: { name: string }) => i.name);
  expect(names).toEqual(expect.arrayContaining(["吉林大学第一医院", "吉林大学第二医院", "吉林大学中日联谊医院"]));
  expect(r.body.items.every((i: { tier: string }) => i.tier === "PROVINCE")).toBe(true);

  const regions = (await get("/api/regions")).body as { id: string; name: string; counties: unknown[] }[];
  expect(regions.map((c) => c.name)).toEqual(
    expect.arrayContaining([
      "长春市",
      "吉林市",
      "四平市",
      "辽源市",
      "通化市",
      "白山市",
      "松原市",
      "白城市",
      "延边朝鲜族自治州",
    ]),
  );
  const songyuan = regions.find((c) => c.name === "松原市")!;
  const inCity = await get(`/api/institutions?cityId=${songyuan.id}&limit=200`);
  expect(inCity.body.items.every((i: { city: { name: string } }) => i.city.name === "松原市")).toBe(true);
  expect(inCity.body.items.map((i: { name: string }) => i.name)).toContain("哈达山卫生院");
});

it("takes a typed % or _ literally, filters by consortium and still counts a page past the end", async () => {
  // A LIKE wildcard typed into the picker must not match every hospital of the province.
  for (const q of ["%", "_", "\\"]) {
    const r = await get(`/api/institutions?q=${encodeURIComponent(q)}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ items: [], total: 0 });
  }
  const group = (await get(`/api/consortia?q=${encodeURIComponent("松原吉林油田医院城市医疗集团")}`)).body.items[0];
  const members = await get(`/api/institutions?consortiumId=${group.id}&limit=10`);
  expect(members.body.total).toBe(33); // the lead and its 32 member units
  expect(members.body.items).toHaveLength(10);
  const pastEnd = await get(`/api/institutions?consortiumId=${group.id}&limit=10&offset=40`);
  expect(pastEnd.body).toMatchObject({ items: [], total: 33, offset: 40 });
});

it("shows the Songyuan city medical group with its lead and 32 member units", async () => {
  const r = await get(`/api/consortia?q=${encodeURIComponent("松原吉林油田医院城市医疗集团")}`);
  const group = r.body.items[0];
  expect(group).toMatchObject({ type: "CITY_MEDICAL_GROUP", leadInstitution: { name: "松原吉林油田医院" } });
  const members = await get(`/api/consortia/${group.id}/members?limit=100`);
  const memberUnits = members.body.items.filter((m: { role: string }) => m.role === "MEMBER");
  expect(memberUnits).toHaveLength(32);
  expect(memberUnits.map((m: { name: string }) => m.name)).toEqual(
    expect.arrayContaining(["哈达山卫生院", "吉林油田职工卫生所（长采）"]),
  );
});

it("lists specialty alliances with their lead department", async () => {
  const r = await get("/api/consortia?type=SPECIALTY_ALLIANCE&limit=200");
  expect(r.body.total).toBe(83);
  const thyroid = r.body.items.find((c: { name: string }) => c.name === "吉林省甲状腺外科专科联盟");
  expect(thyroid).toMatchObject({
    allianceLevel: "PROVINCIAL",
    leadInstitution: { name: "吉林大学中日联谊医院" },
    leadDepartment: { name: "甲状腺外科" },
  });
});

it("walks the telemedicine network tree from the province down", async () => {
  const roots = (await get("/api/institutions/tree?depth=2")).body;
  expect(roots.length).toBeGreaterThan(0);
  expect(roots.every((r: { tier: string }) => r.tier === "PROVINCE")).toBe(true);
  const withChildren = roots.find((r: { children?: unknown[] }) => r.children && r.children.length);
  expect(
    withChildren.children.every(
      (c: { tier: string; parentId: string }) => c.tier !== "PROVINCE" && c.parentId === withChildren.id,
    ),
  ).toBe(true);

  const me = (await get("/api/me")).body;
  const inst = (await get(`/api/institutions/${me.institution.id}`)).body;
  expect(inst.parent).not.toBeNull();
  expect(inst.consortia.map((c: { type: string }) => c.type)).toContain("CITY_MEDICAL_GROUP");
  const depts = (await get(`/api/institutions/${inst.parent.id}/departments`)).body;
  expect(depts.length).toBeGreaterThan(0);
});
