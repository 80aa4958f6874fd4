import { SignJWT } from "jose";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
  await closeTestDb();
});

describe("login", () => {
  it("returns tokens and the caller, and audits the login", async () => {
    const pair = await t.login("doctor.hadashan");
    expect(pair.accessToken).toEqual(expect.any(String));
    expect(pair.refreshToken).toEqual(expect.any(String));
    expect(pair.user.username).toBe("doctor.hadashan");
    expect(pair.user.roles).toContain("DOCTOR");
    expect(pair.user.institution.name).toBe("哈达山卫生院");
    expect(pair.user.institution.tier).toBe("TOWNSHIP");

    const me = await t.api("/api/me", { token: pair.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(pair.user.id);

    const audit = await testDb().auditLog.findFirst({
      where: { action: "auth.login", actorId: pair.user.id, outcome: "SUCCESS" },
    });
    expect(audit).not.toBeNull();
    expect(audit!.ip).toBeTruthy();
  });

  it("refuses a wrong password with a problem+json INVALID_CREDENTIALS and audits it", async () => {
    const r = await t.api("/api/auth/login", { body: { username: "doctor.hadashan", password: "wrong-password" } });
    expect(r.status).toBe(401);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body.code).toBe("INVALID_CREDENTIALS");
    expect(r.body.detail).toBe("用户名或密码错误");
    const denied = await testDb().auditLog.count({ where: { action: "auth.login", outcome: "DENIED" } });
    expect(denied).toBeGreaterThan(0);
  });

  it("answers an unknown user exactly like a wrong password", async () => {
    const r = await t.api("/api/auth/login", { body: { username: "nobody.here", password: "whatever" } });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("INVALID_CREDENTIALS");
  });

  it("requires a token for the API", async () => {
    const r = await t.api("/api/me");
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("UNAUTHENTICATED");
  });
});

describe("refresh and revoke", () => {
  it("rotates the refresh token; reusing a rotated one ends the whole session", async () => {
    const first = await t.login("province.admin");
    const second = await t.api("/api/auth/refresh", { body: { refreshToken: first.refreshToken } });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    expect((await t.api("/api/me", { token: second.body.accessToken })).status).toBe(200);

    // The old token again: theft is assumed, so the new one dies too.
    const replay = await t.api("/api/auth/refresh", { body: { refreshToken: first.refreshToken } });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe("TOKEN_REVOKED");
    const after = await t.api("/api/auth/refresh", { body: { refreshToken: second.body.refreshToken } });
    expect(after.status).toBe(401);
    expect((await t.api("/api/me", { token: second.body.accessToken })).body.code).toBe("TOKEN_REVOKED");
  });

  it("logout revokes the access token at once and the refresh token", async () => {
    const pair = await t.login("doctor.hadashan");
    const out = await t.api("/api/auth/logout", { token: pair.accessToken, body: {} });
    expect(out.status).toBe(204);
    const me = await t.api("/api/me", { token: pair.accessToken });
    expect(me.status).toBe(401);
    expect(me.body.code).toBe("TOKEN_REVOKED");
    const refresh = await t.api("/api/auth/refresh", { body: { refreshToken: pair.refreshToken } });
    expect(refresh.status).toBe(401);
  });

  it("logout everywhere ends every session of the user, and only theirs", async () => {
    const a = await t.login("region.songyuan");
    const b = await t.login("region.songyuan");
    const other = await t.login("province.admin");
    expect((await t.api("/api/auth/logout", { token: a.accessToken, body: { everywhere: true } })).status).toBe(204);
    expect((await t.api("/api/me", { token: b.accessToken })).status).toBe(401);
    expect((await t.api("/api/me", { token: other.accessToken })).status).toBe(200);
  });

  it("tells an expired access token apart from a forged one", async () => {
    const pair = await t.login("doctor.hadashan");
    const secret = new TextEncoder().encode(t.server.services.config.JWT_SECRET);
    const expired = await new SignJWT({
      usr: "doctor.hadashan",
      roles: ["DOCTOR"],
      inst: pair.user.institution.id,
      tier: "TOWNSHIP",
      dept: null,
      reg: null,
      sid: "00000000-0000-4000-8000-000000000000",
    })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(pair.user.id)
      .setIssuer("yilian")
      .setAudience("yilian-api")
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secret);
    expect((await t.api("/api/me", { token: expired })).body.code).toBe("TOKEN_EXPIRED");
    const forged = pair.accessToken.slice(0, -4) + "AAAA";
    expect((await t.api("/api/me", { token: forged })).body.code).toBe("TOKEN_INVALID");
  });
});

describe("login rate limit", () => {
  it("limits repeated attempts on one account from one address", async () => {
    const limited = await startTestServer({ LOGIN_RATE_LIMIT: "3", REDIS_PREFIX: `yilian-test-rl-${Date.now()}` });
    try {
      const attempt = () =>
        limited.api("/api/auth/login", { body: { username: "doctor.hadashan", password: "nope-nope" } });
      for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
      const blocked = await attempt();
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe("RATE_LIMITED");
      // Another account from the same address is not locked out.
      expect(
        (await limited.api("/api/auth/login", { body: { username: "province.admin", password: "Yilian@2024" } }))
          .status,
      ).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
