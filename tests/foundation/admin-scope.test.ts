// Issue 12, items 2-4: region administrators grant only inside their region; nobody acts on a user above their
// rank; the login limiter keys on the normalised name; a per-account lock-out that rotating addresses cannot
// dodge, that ends by time and that an administrator can lift.
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";

const run = Date.now().toString(36);
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
  await closeTestDb();
});

const as = async (username: string) => (await t.login(username)).accessToken;
const region = (name: string, kind: "CITY" | "COUNTY" = "CITY") =>
  testDb().region.findFirstOrThrow({ where: { name, kind } });

/** A doctor created by admin.youtian in its own institution (松原吉林油田医院). */
async function youtianDoctor(api: TestServer["api"], adminToken: string, name: string) {
  const admin = await testDb().user.findUniqueOrThrow({ where: { username: "admin.youtian" } });
  const r = await api("/api/users", {
    token: adminToken,
    body: {
      username: `t.sec.${name}.${run}`,
      displayName: "测试医生",
      password: "first-password-1",
      roles: ["DOCTOR"],
      institutionId: admin.institutionId,
    },
  });
  expect(r.status).toBe(201);
  return r.body as { id: string; username: string };
}

describe("region administrators grant inside their region only", () => {
  it("长春 cannot make a 松原 region administrator, but can make one of a county in 长春", async () => {
    const changchun = await region("长春市");
    const songyuan = await region("松原市");
    const county = await testDb().region.findFirstOrThrow({ where: { parentId: changchun.id, kind: "COUNTY" } });
    const home = await testDb().institution.findFirstOrThrow({ where: { cityId: changchun.id, tier: "CITY" } });
    const token = await as("region.changchun");
    const body = (username: string, regionId: string) => ({
      username,
      displayName: "区域管理员",
      password: "a-long-password-1",
      roles: ["REGION_ADMIN"],
      institutionId: home.id,
      regionId,
    });
    const escalate = await t.api("/api/users", { token, body: body(`t.sec.esc.${run}`, songyuan.id) });
    expect(escalate.status).toBe(403);
    expect(escalate.body.code).toBe("FORBIDDEN");
    expect(await testDb().user.count({ where: { username: `t.sec.esc.${run}` } })).toBe(0);

    const ok = await t.api("/api/users", { token, body: body(`t.sec.county.${run}`, county.id) });
    expect(ok.status).toBe(201);
    // The new county administrator sees nothing of 松原.
    const countyToken = (await t.login(`t.sec.county.${run}`, "a-long-password-1")).accessToken;
    const songyuanUser = await testDb().user.findFirstOrThrow({ where: { institution: { cityId: songyuan.id } } });
    expect((await t.api(`/api/users/${songyuanUser.id}`, { token: countyToken })).status).toBe(404);
    // A county administrator cannot grant its parent city either.
    const up = await t.api("/api/users", { token: countyToken, body: body(`t.sec.up.${run}`, changchun.id) });
    expect([403, 404]).toContain(up.status);
    expect(await testDb().user.count({ where: { username: `t.sec.up.${run}` } })).toBe(0);
  });
});

describe("nobody acts on a user above their rank", () => {
  it("an institution admin cannot deactivate, re-role, reset or unlock the region admin homed in its institution", async () => {
    const target = await testDb().user.findUniqueOrThrow({ where: { username: "region.songyuan" } });
    const before = { roles: target.roles, active: target.active, passwordHash: target.passwordHash };
    const token = await as("admin.youtian");
    const home = await testDb().user.findUniqueOrThrow({ where: { username: "admin.youtian" } });
    expect(target.institutionId).toBe(home.institutionId);
    for (const body of [
      { active: false },
      { roles: ["DOCTOR"] },
      { password: "attacker-chosen-1" },
      { displayName: "改名" },
    ]) {
      const r = await t.api(`/api/users/${target.id}`, { method: "PATCH", token, body });
      expect(r.status).toBe(403);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    expect((await t.api(`/api/users/${target.id}/unlock`, { method: "POST", token })).status).toBe(403);
    const after = await testDb().user.findUniqueOrThrow({ where: { id: target.id } });
    expect({ roles: after.roles, active: after.active, passwordHash: after.passwordHash }).toEqual(before);
    expect(after.displayName).toBe(target.displayName);
    // Its sessions were not touched.
    expect((await t.api("/api/me", { token: await as("region.songyuan") })).status).toBe(200);
  });

  it("an institution admin resets a doctor's password: old password and sessions end, the new one works", async () => {
    const token = await as("admin.youtian");
    const doctor = await youtianDoctor(t.api, token, "reset");
    const session = (await t.login(doctor.username, "first-password-1")).accessToken;
    const r = await t.api(`/api/users/${doctor.id}`, {
      method: "PATCH",
      token,
      body: { password: "second-password-2" },
    });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).not.toContain("second-password-2");
    expect((await t.api("/api/me", { token: session })).body.code).toBe("TOKEN_REVOKED");
    expect(
      (await t.api("/api/auth/login", { body: { username: doctor.username, password: "first-password-1" } })).status,
    ).toBe(401);
    expect(
      (await t.api("/api/auth/login", { body: { username: doctor.username, password: "second-password-2" } })).status,
    ).toBe(200);
    // Nobody resets their own password through the administration route.
    const self = await testDb().user.findUniqueOrThrow({ where: { username: "admin.youtian" } });
    expect(
      (await t.api(`/api/users/${self.id}`, { method: "PATCH", token, body: { password: "whatever-long-1" } })).status,
    ).toBe(403);
  });
});

describe("login limits", () => {
  it("spaces and case do not buy a fresh budget", async () => {
    const limited = await startTestServer({ LOGIN_RATE_LIMIT: "3", REDIS_PREFIX: `yilian-test-rl-norm-${run}` });
    try {
      const attempt = (username: string, password = "wrong-password") =>
        limited.api("/api/auth/login", { body: { username, password } });
      for (let i = 0; i < 3; i++) expect((await attempt("spec.jdyy.2")).status).toBe(401);
      for (const variant of ["  spec.jdyy.2", "spec.jdyy.2  ", "SPEC.JDYY.2", "ｓｐｅｃ.jdyy.2"]) {
        const r = await attempt(variant, "Yilian@2024");
        expect(r.status).toBe(429);
        expect(r.body.code).toBe("RATE_LIMITED");
      }
    } finally {
      await limited.stop();
    }
    // Without a limit in the way, the padded name is the same account.
    expect(
      (await t.api("/api/auth/login", { body: { username: "  SPEC.jdyy.2 ", password: "Yilian@2024" } })).status,
    ).toBe(200);
  });

  it("locks an account after failures from rotating addresses, with back-off, until time or an admin lifts it", async () => {
    const s = await startTestServer({
      REDIS_PREFIX: `yilian-test-lockout-${run}`,
      TRUST_PROXY: "true",
      LOGIN_LOCKOUT_AFTER: "3",
      LOGIN_LOCKOUT_BASE_S: "2",
      LOGIN_LOCKOUT_MAX_S: "4",
    });
    try {
      const adminToken = (await s.login("admin.youtian")).accessToken;
      const doctor = await youtianDoctor(s.api, adminToken, "lock");
      let ip = 10;
      const attempt = (password: string) =>
        s.api("/api/auth/login", {
          body: { username: doctor.username, password },
          headers: { "x-forwarded-for": `203.0.113.${ip++}` },
        });
      expect((await attempt("wrong-1")).status).toBe(401);
      expect((await attempt("wrong-2")).status).toBe(401);
      const locking = await attempt("wrong-3");
      expect(locking.status).toBe(429);
      expect(locking.body.code).toBe("ACCOUNT_LOCKED");
      expect(locking.headers.get("retry-after")).toBe("2");
      // The right password from yet another address is refused while locked.
      const during = await attempt("first-password-1");
      expect(during.body.code).toBe("ACCOUNT_LOCKED");
      expect(
        await testDb().auditLog.count({ where: { action: "auth.login", entityId: doctor.id, outcome: "DENIED" } }),
      ).toBe(4);

      // An administrator lifts it (audited).
      const unlock = await s.api(`/api/users/${doctor.id}/unlock`, { method: "POST", token: adminToken });
      expect(unlock.status).toBe(200);
      expect(unlock.body).toEqual({ wasLocked: true });
      expect(await testDb().auditLog.count({ where: { action: "user.unlock", entityId: doctor.id } })).toBe(1);
      expect((await attempt("first-password-1")).status).toBe(200);

      // Locked again; this time it ends by itself, and each further failure doubles the lock (up to the maximum).
      for (let i = 0; i < 3; i++) await attempt("wrong");
      expect((await attempt("first-password-1")).body.code).toBe("ACCOUNT_LOCKED");
      await new Promise((r) => setTimeout(r, 2100));
      const backoff = await attempt("wrong-again");
      expect(backoff.body.code).toBe("ACCOUNT_LOCKED");
      expect(backoff.headers.get("retry-after")).toBe("4");
      await new Promise((r) => setTimeout(r, 4100));
      expect((await attempt("first-password-1")).status).toBe(200);
      // A success resets the count: one failure is just a failure again.
      expect((await attempt("wrong")).status).toBe(401);
    } finally {
      await s.stop();
    }
  });
});
