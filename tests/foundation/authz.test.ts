// Authorisation matrix: role × tier × institution. Outside scope answers 404, never the record.
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";

let t: TestServer;
const tokens: Record<string, string> = {};
async function as(username: string) {
  tokens[username] ??= (await t.login(username)).accessToken;
  return tokens[username]!;
}

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
  await closeTestDb();
});

async function someUserWhere(where: Parameters<ReturnType<typeof testDb>["user"]["findFirst"]>[0]) {
  const u = await testDb().user.findFirst(where);
  if (!u) throw new Error("test data missing");
  return u;
}

describe("township doctor", () => {
  it("sees only themself in the user directory", async () => {
    const r = await t.api("/api/users", { token: await as("doctor.hadashan") });
    expect(r.status).toBe(200);
    expect(r.body.items.map((u: { username: string }) => u.username)).toEqual(["doctor.hadashan"]);
  });

  it("gets 404 for a user of another institution, and for a colleague", async () => {
    const me = await someUserWhere({ where: { username: "doctor.hadashan" } });
    const other = await someUserWhere({ where: { institutionId: { not: me.institutionId } } });
    const r = await t.api(`/api/users/${other.id}`, { token: await as("doctor.hadashan") });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("NOT_FOUND");
    expect(JSON.stringify(r.body)).not.toContain(other.username);
  });

  it("cannot create users", async () => {
    const me = await someUserWhere({ where: { username: "doctor.hadashan" } });
    const r = await t.api("/api/users", {
      token: await as("doctor.hadashan"),
      body: {
        username: "x.doctor.new",
        displayName: "新医生",
        password: "a-long-password",
        roles: ["DOCTOR"],
        institutionId: me.institutionId,
      },
    });
    expect(r.status).toBe(404);
    expect(await testDb().user.count({ where: { username: "x.doctor.new" } })).toBe(0);
  });
});

describe("region admin (city scope)", () => {
  it("sees exactly the users of institutions in their city", async () => {
    const admin = await testDb().user.findUniqueOrThrow({
      where: { username: "region.songyuan" },
      include: { region: true },
    });
    expect(admin.region?.name).toBe("松原市");
    const expected = await testDb().user.count({ where: { institution: { cityId: admin.regionId } } });
    const r = await t.api("/api/users?limit=1", { token: await as("region.songyuan") });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(expected);
  });

  it("gets 404 for a user in another city", async () => {
    const songyuan = await testDb().region.findFirstOrThrow({ where: { name: "松原市", kind: "CITY" } });
    const outside = await someUserWhere({ where: { institution: { cityId: { not: songyuan.id } } } });
    expect((await t.api(`/api/users/${outside.id}`, { token: await as("region.songyuan") })).status).toBe(404);
    const inside = await someUserWhere({ where: { institution: { cityId: songyuan.id } } });
    expect((await t.api(`/api/users/${inside.id}`, { token: await as("region.songyuan") })).status).toBe(200);
  });

  it("creates a user in their city (audited) but not in another city, and cannot grant PROVINCE_ADMIN", async () => {
    const songyuan = await testDb().region.findFirstOrThrow({ where: { name: "松原市", kind: "CITY" } });
    const inCity = await testDb().institution.findFirstOrThrow({ where: { cityId: songyuan.id, tier: "TOWNSHIP" } });
    const outCity = await testDb().institution.findFirstOrThrow({
      where: { cityId: { not: songyuan.id }, tier: "TOWNSHIP" },
    });
    const token = await as("region.songyuan");
    const body = (institutionId: string, username: string, roles = ["DOCTOR"]) => ({
      username,
      displayName: "测试医生",
      password: "a-long-password-1",
      roles,
      institutionId,
      title: "RESIDENT_PHYSICIAN",
    });
    const created = await t.api("/api/users", { token, body: body(inCity.id, "t.authz.created") });
    expect(created.status).toBe(201);
    expect(await testDb().auditLog.count({ where: { action: "user.create", entityId: created.body.id } })).toBe(1);

    expect((await t.api("/api/users", { token, body: body(outCity.id, "t.authz.outside") })).status).toBe(404);
    const escalate = await t.api("/api/users", {
      token,
      body: body(inCity.id, "t.authz.escalate", ["PROVINCE_ADMIN"]),
    });
    expect(escalate.status).toBe(403);
    expect(await testDb().user.count({ where: { username: { in: ["t.authz.outside", "t.authz.escalate"] } } })).toBe(0);

    // The new account works.
    const login = await t.api("/api/auth/login", {
      body: { username: "t.authz.created", password: "a-long-password-1" },
    });
    expect(login.status).toBe(200);
  });
});

describe("institution admin and coordinator", () => {
  it("see their own institution's users only", async () => {
    const admin = await testDb().user.findFirstOrThrow({
      where: { roles: { has: "INSTITUTION_ADMIN" }, institution: { tier: "CITY" } },
    });
    const token = (await t.login(admin.username)).accessToken;
    const r = await t.api("/api/users?limit=200", { token });
    expect(r.body.total).toBe(await testDb().user.count({ where: { institutionId: admin.institutionId } }));
    expect(r.body.items.every((u: { institution: { id: string } }) => u.institution.id === admin.institutionId)).toBe(
      true,
    );

    const coordinator = await testDb().user.findFirstOrThrow({
      where: { roles: { has: "COORDINATOR" }, institutionId: { not: admin.institutionId } },
    });
    expect((await t.api(`/api/users/${coordinator.id}`, { token })).status).toBe(404);
  });

  it("disabling a user ends their sessions at once", async () => {
    const admin = await testDb().user.findFirstOrThrow({
      where: { roles: { has: "INSTITUTION_ADMIN" }, institution: { tier: "COUNTY" } },
    });
    const victim = await testDb().user.findFirstOrThrow({
      where: { institutionId: admin.institutionId, roles: { has: "DOCTOR" }, id: { not: admin.id } },
    });
    const adminToken = (await t.login(admin.username)).accessToken;
    const victimToken = (await t.login(victim.username)).accessToken;
    expect((await t.api("/api/me", { token: victimToken })).status).toBe(200);
    const r = await t.api(`/api/users/${victim.id}`, { method: "PATCH", token: adminToken, body: { active: false } });
    expect(r.status).toBe(200);
    expect(r.body.active).toBe(false);
    expect((await t.api("/api/me", { token: victimToken })).body.code).toBe("TOKEN_REVOKED");
    const login = await t.api("/api/auth/login", { body: { username: victim.username, password: "Yilian@2024" } });
    expect(login.body.code).toBe("ACCOUNT_DISABLED");
    await testDb().user.update({ where: { id: victim.id }, data: { active: true } });
  });
});

describe("province admin", () => {
  it("reads any user", async () => {
    const anyone = await someUserWhere({ where: { institution: { tier: "TOWNSHIP" } } });
    expect((await t.api(`/api/users/${anyone.id}`, { token: await as("province.admin") })).status).toBe(200);
    const r = await t.api("/api/users?limit=1", { token: await as("province.admin") });
    expect(r.body.total).toBe(await testDb().user.count());
  });
});
