// Issue 12, item 1: no built-in secret anywhere; generated ones kept in the state directory (0600); the patient
// data key independent of the JWT secret; tokens of sessions that are not live refused within a second.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { loadOrCreateSecrets } from "../../server/src/platform/secrets";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb } from "../helpers/db";
import { draftBody, idNumber } from "../consultations/helpers";

const repo = path.resolve(__dirname, "../..");
const stateDirs: string[] = [];
function freshStateDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "yilian-state-"));
  stateDirs.push(dir);
  return path.join(dir, "state");
}
afterAll(async () => {
  for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
  await closeTestDb();
});

type Secrets = { JWT_SECRET: string; PATIENT_DATA_KEY: string; TURN_SECRET: string };

/** Runs loadConfig in a fresh process with exactly `env` (plus PATH) and prints the secrets it ended up with. */
function configIn(env: Record<string, string>): { status: number | null; stderr: string; cfg?: Secrets } {
  const script = `import { loadConfig } from "./server/src/config";
const c = loadConfig();
console.log(JSON.stringify({ JWT_SECRET: c.JWT_SECRET, PATIENT_DATA_KEY: c.PATIENT_DATA_KEY, TURN_SECRET: c.TURN_SECRET }));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: repo,
    env: { PATH: process.env.PATH!, ...env },
    encoding: "utf8",
  });
  const line = r.stdout.trim().split("\n").pop();
  return { status: r.status, stderr: r.stderr, cfg: r.status === 0 && line ? JSON.parse(line) : undefined };
}

describe("secrets", () => {
  it("a first start without secrets generates strong ones once, 0600, and every process reads the same", () => {
    const stateDir = freshStateDir();
    const first = configIn({ YILIAN_STATE_DIR: stateDir });
    expect(first.status).toBe(0);
    expect(first.stderr).toContain("generated JWT_SECRET, PATIENT_DATA_KEY, TURN_SECRET");
    const file = path.join(stateDir, "secrets.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const cfg = first.cfg!;
    expect(cfg.JWT_SECRET.length).toBeGreaterThanOrEqual(64);
    expect(Buffer.from(cfg.PATIENT_DATA_KEY, "base64")).toHaveLength(32);
    expect(cfg.TURN_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(new Set([cfg.JWT_SECRET, cfg.PATIENT_DATA_KEY, cfg.TURN_SECRET]).size).toBe(3);
    // A second process (the worker, coturn) gets the same values and generates nothing.
    const second = configIn({ YILIAN_STATE_DIR: stateDir });
    expect(second.cfg).toEqual(cfg);
    expect(second.stderr).not.toContain("generated");
    // Another checkout gets other secrets: nothing is built in.
    expect(configIn({ YILIAN_STATE_DIR: freshStateDir() }).cfg!.JWT_SECRET).not.toBe(cfg.JWT_SECRET);
    // Settings in the environment win over the file.
    const jwt = "x".repeat(40);
    expect(configIn({ YILIAN_STATE_DIR: stateDir, JWT_SECRET: jwt }).cfg).toEqual({ ...cfg, JWT_SECRET: jwt });
  });

  it("concurrent first starts agree on one set", () => {
    const stateDir = freshStateDir();
    const results = Array.from({ length: 5 }, () => loadOrCreateSecrets(stateDir));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(r.secrets))).size).toBe(1);
  });

  it("production refuses to start without each secret, and never writes one", () => {
    const stateDir = freshStateDir();
    const r = configIn({ NODE_ENV: "production", YILIAN_STATE_DIR: stateDir });
    expect(r.status).toBe(78);
    for (const k of ["JWT_SECRET", "PATIENT_DATA_KEY", "TURN_SECRET"])
      expect(r.stderr).toContain(`config: ${k}: required in production`);
    expect(() => statSync(stateDir)).toThrow();
  });

  it("the source, the example settings and docker compose carry no secret value", () => {
    const config = readFileSync(path.join(repo, "server/src/config.ts"), "utf8");
    expect(config).not.toMatch(/do-not-use|development-secret|createHash/);
    const compose = readFileSync(path.join(repo, "docker-compose.yml"), "utf8");
    for (const k of ["JWT_SECRET", "PATIENT_DATA_KEY", "TURN_SECRET"])
      expect(compose).toMatch(new RegExp(`${k}: \\$\\{${k}:\\?`));
    const example = readFileSync(path.join(repo, ".env.example"), "utf8");
    expect(example).toMatch(/^# JWT_SECRET=$/m);
    expect(example).toMatch(/^# PATIENT_DATA_KEY=$/m);
    expect(example).toMatch(/^# TURN_SECRET=$/m);
  });
});

describe("rotating JWT_SECRET", () => {
  it("ends every login but keeps encrypted patient data readable", async () => {
    const a = await startTestServer({ JWT_SECRET: `rotation-old-${randomUUID()}` });
    let b: TestServer | undefined;
    try {
      const doctor = await a.login("doctor.hadashan");
      const id18 = idNumber("22070219770312404");
      const draft = await a.api("/api/consultations", {
        token: doctor.accessToken,
        body: draftBody({ patient: { ...draftBody().patient, idNumber: id18 } }),
      });
      expect(draft.status).toBe(201);
      await a.stop();
      b = await startTestServer({ JWT_SECRET: `rotation-new-${randomUUID()}` });
      expect((await b.api("/api/me", { token: doctor.accessToken })).body.code).toBe("TOKEN_INVALID");
      const again = await b.login("doctor.hadashan");
      const revealed = await b.api(`/api/consultations/${draft.body.id}/reveal-id`, {
        token: again.accessToken,
        body: {},
      });
      expect(revealed.status).toBe(200);
      expect(revealed.body.idNumber).toBe(id18);
    } finally {
      await (b ?? a).stop().catch(() => undefined);
    }
  });
});

describe("session check", () => {
  let s1: TestServer;
  let s2: TestServer;
  beforeAll(async () => {
    [s1, s2] = await Promise.all([startTestServer(), startTestServer()]);
  });
  afterAll(async () => {
    await Promise.all([s1.stop(), s2.stop()]);
  });

  it("refuses a correctly signed token whose sid is no live session (401 TOKEN_REVOKED)", async () => {
    const admin = await s1.login("province.admin");
    const key = new TextEncoder().encode(s1.server.services.config.JWT_SECRET);
    const forged = await new SignJWT({
      usr: "province.admin",
      roles: ["PROVINCE_ADMIN"],
      inst: admin.user.institution.id,
      tier: "PROVINCE",
      dept: null,
      reg: null,
      sid: randomUUID(),
    })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(admin.user.id)
      .setIssuer("yilian")
      .setAudience("yilian-api")
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(key);
    const r = await s1.api("/api/users", { token: forged });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("TOKEN_REVOKED");
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    // Another user's live session does not lend itself to a token of someone else.
    const doctor = await s1.login("doctor.hadashan");
    const doctorSid = JSON.parse(Buffer.from(doctor.accessToken.split(".")[1]!, "base64url").toString()).sid as string;
    const borrowed = await new SignJWT({
      usr: "province.admin",
      roles: ["PROVINCE_ADMIN"],
      inst: admin.user.institution.id,
      tier: "PROVINCE",
      dept: null,
      reg: null,
      sid: doctorSid,
    })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(admin.user.id)
      .setIssuer("yilian")
      .setAudience("yilian-api")
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(key);
    expect((await s1.api("/api/users", { token: borrowed })).body.code).toBe("TOKEN_REVOKED");
  });

  it("a logout on one server process ends the session on another within a second", async () => {
    const pair = await s1.login("doctor.hadashan");
    // Both processes have the live session cached.
    expect((await s1.api("/api/me", { token: pair.accessToken })).status).toBe(200);
    expect((await s2.api("/api/me", { token: pair.accessToken })).status).toBe(200);
    expect((await s1.api("/api/auth/logout", { token: pair.accessToken, body: {} })).status).toBe(204);
    const loggedOutAt = Date.now();
    expect((await s1.api("/api/me", { token: pair.accessToken })).body.code).toBe("TOKEN_REVOKED");
    let status = 200;
    while (status === 200 && Date.now() - loggedOutAt < 3000) {
      status = (await s2.api("/api/me", { token: pair.accessToken })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
    expect(Date.now() - loggedOutAt).toBeLessThanOrEqual(1200);
  });

  it("a live session survives a Redis marker loss (the database is the truth)", async () => {
    const pair = await s1.login("doctor.hadashan");
    const sid = JSON.parse(Buffer.from(pair.accessToken.split(".")[1]!, "base64url").toString()).sid as string;
    const { redis, config } = s2.server.services;
    await redis.del(`${config.REDIS_PREFIX}:auth:session:${sid}`);
    expect((await s2.api("/api/me", { token: pair.accessToken })).status).toBe(200);
  });
});
