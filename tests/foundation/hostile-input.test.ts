// Issue 12, item 5: NUL bytes and unpaired surrogates anywhere in REST or Socket.IO input answer 400
// VALIDATION_FAILED (problem+json, zh-CN; a typed ack error), never a 500 or a half-written record.
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { draftBody, openSocket } from "../consultations/helpers";

let t: TestServer;
let token: string;
beforeAll(async () => {
  t = await startTestServer();
  token = (await t.login("province.admin")).accessToken;
});
afterAll(async () => {
  await t.stop();
  await closeTestDb();
});

function expectRefused(r: { status: number; body: any; headers: Headers }) {
  expect(r.status).toBe(400);
  expect(r.headers.get("content-type")).toContain("application/problem+json");
  expect(r.body.code).toBe("VALIDATION_FAILED");
  expect(r.body.detail).toMatch(/[\u4e00-\u9fff]/);
}

const NUL = "a\u0000b";
const LONE_HIGH = "a\ud800b";
const LONE_LOW = "\udc00";

it("login (unauthenticated) with NUL or a lone surrogate in the username", async () => {
  for (const username of [NUL, LONE_HIGH, LONE_LOW]) {
    const r = await t.api("/api/auth/login", { body: { username, password: "whatever-1" } });
    expectRefused(r);
    expect(r.body.errors[0].path).toBe("body.username");
  }
});

it("search queries with %00 anywhere in a value", async () => {
  for (const path of [
    "/api/users",
    "/api/institutions",
    "/api/consortia",
    "/api/training/sessions",
    "/api/consultations",
  ]) {
    expectRefused(await t.api(`${path}?q=%00`, { token }));
    expectRefused(await t.api(`${path}?q=${encodeURIComponent("x")}%00y`, { token }));
  }
  // A path parameter, and an object key.
  expectRefused(await t.api("/api/users/%00", { token }));
  expectRefused(await t.api("/api/auth/login", { body: { [NUL]: 1, username: "x", password: "y" } }));
});

it("consultation and user fields: refused, nothing written", async () => {
  const doctor = (await t.login("doctor.hadashan")).accessToken;
  const before = await testDb().consultation.count();
  for (const bad of [NUL, LONE_HIGH]) {
    expectRefused(
      await t.api("/api/consultations", { token: doctor, body: draftBody({ chiefComplaint: `胸闷${bad}` }) }),
    );
    expectRefused(
      await t.api("/api/consultations", {
        token: doctor,
        body: draftBody({ patient: { ...draftBody().patient, name: bad } }),
      }),
    );
  }
  expect(await testDb().consultation.count()).toBe(before);
  const me = await testDb().user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
  expectRefused(await t.api(`/api/users/${me.id}`, { method: "PATCH", token, body: { displayName: `张${NUL}` } }));
});

it("absurdly deep JSON", async () => {
  const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
  const r = await t.api("/api/auth/login", { body: deep, headers: { "content-type": "application/json" } });
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  expect(r.body.code).toBe("VALIDATION_FAILED");
});

it("Socket.IO events: a typed ack error, the connection stays usable", async () => {
  const s = await openSocket(t.baseUrl, token);
  // Untyped on purpose: hostile clients do not follow the event map.
  const emit = (event: string, ...args: unknown[]) =>
    (s as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<unknown> } })
      .timeout(5000)
      .emitWithAck(event, ...args);
  try {
    const ack = await emit("training:join", { sessionId: NUL });
    expect(ack).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    expect((ack as { error: { message: string } }).error.message).toMatch(/[\u4e00-\u9fff]/);
    const lone = await emit("training:join", { [LONE_HIGH]: "x" });
    expect(lone).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    const whoami = await emit("session:whoami");
    expect(whoami).toMatchObject({ ok: true });
  } finally {
    s.disconnect();
  }
});

it("URL or headers over Node's limit: 431 problem+json, not an empty body", async () => {
  for (const init of [
    { path: `/api/institutions?q=${"x".repeat(20_000)}` },
    { path: "/api/me", headers: { "x-padding": "a".repeat(20_000) } },
  ]) {
    const res = await fetch(t.baseUrl + init.path, { headers: init.headers });
    expect(res.status).toBe(431);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = await res.json();
    expect(body).toMatchObject({ status: 431, code: "HEADERS_TOO_LARGE" });
    expect(body.detail).toMatch(/[\u4e00-\u9fff]/);
  }
  // The server carries on.
  expect((await t.api("/healthz")).status).toBe(200);
});
