// Bad input on every route answers 4xx problem+json with a machine-readable code — never 500.
import { startTestServer, type TestServer } from "../helpers/server";

let t: TestServer;
let token: string;
beforeAll(async () => {
  t = await startTestServer();
  token = (await t.login("province.admin")).accessToken;
});
afterAll(() => t.stop());

function expectProblem(r: { status: number; body: any; headers: Headers }, status: number, code: string) {
  expect(r.headers.get("content-type")).toContain("application/problem+json");
  expect(r.status).toBe(status);
  expect(r.body).toMatchObject({
    status,
    code,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
}

const UNKNOWN_ID = "6f1c2b1e-9d7a-4c1e-8b2a-0f5e3d9c7a11";

it("every documented route answers garbage with 4xx, never 500", async () => {
  const doc = (await t.api("/openapi.json")).body;
  const garbage = [
    { q: 123, tier: "MOON", limit: "-5", offset: "x", everywhere: "yes", username: ["a"], password: { x: 1 } },
    [],
    "null",
    { roles: "DOCTOR", institutionId: "not-a-uuid", displayName: "x".repeat(10_000) },
  ];
  let checked = 0;
  for (const [path, ops] of Object.entries<Record<string, unknown>>(doc.paths)) {
    if (path === "/api/auth/logout") continue; // a valid logout would end this test's session
    for (const method of Object.keys(ops)) {
      for (const idValue of [UNKNOWN_ID, "not-a-uuid", "%00"]) {
        const url = path.replace(/\{(\w+)\}/g, idValue);
        for (const body of garbage) {
          const query = "?tier=MOON&limit=-1&depth=99&named=perhaps&q=" + "x".repeat(300);
          const r = await t.api(url + query, {
            method: method.toUpperCase(),
            token,
            body: method === "get" ? undefined : body,
          });
          expect({ route: `${method} ${url}`, status: r.status < 500 }).toEqual({
            route: `${method} ${url}`,
            status: true,
          });
          if (r.status >= 400) expect(r.headers.get("content-type")).toContain("application/problem+json");
          checked++;
        }
      }
    }
  }
  expect(checked).toBeGreaterThan(50);
});

it("reports each bad field", async () => {
  const r = await t.api("/api/users", {
    token,
    body: { username: "AB", roles: [], institutionId: "nope", password: "short" },
  });
  expectProblem(r, 400, "VALIDATION_FAILED");
  const paths = r.body.errors.map((e: { path: string }) => e.path);
  expect(paths).toEqual(
    expect.arrayContaining(["body.username", "body.roles", "body.institutionId", "body.password", "body.displayName"]),
  );
});

it("rejects malformed JSON, oversize bodies and wrong content", async () => {
  expectProblem(
    await t.api("/api/auth/login", { body: '{"username": "a",', headers: { "content-type": "application/json" } }),
    400,
    "MALFORMED_JSON",
  );
  const huge = JSON.stringify({ username: "a", password: "x".repeat(400 * 1024) });
  expectProblem(
    await t.api("/api/auth/login", { body: huge, headers: { "content-type": "application/json" } }),
    413,
    "PAYLOAD_TOO_LARGE",
  );
  expectProblem(await t.api("/api/auth/login", { body: { username: 5, password: null } }), 400, "VALIDATION_FAILED");
});

it("answers unknown ids 404 and malformed ids 400", async () => {
  expectProblem(await t.api(`/api/institutions/${UNKNOWN_ID}`, { token }), 404, "NOT_FOUND");
  expectProblem(await t.api(`/api/consortia/${UNKNOWN_ID}/members`, { token }), 404, "NOT_FOUND");
  expectProblem(await t.api(`/api/users/${UNKNOWN_ID}`, { token }), 404, "NOT_FOUND");
  expectProblem(await t.api("/api/institutions/12345", { token }), 400, "VALIDATION_FAILED");
  expectProblem(await t.api("/api/no-such-route", { token }), 404, "ROUTE_NOT_FOUND");
});

it("does not write anything for a rejected request", async () => {
  const before = (await t.api("/api/users?limit=1", { token })).body.total;
  await t.api("/api/users", {
    token,
    body: {
      username: "valid.name",
      displayName: "名",
      password: "long-enough-pw",
      roles: ["DOCTOR"],
      institutionId: UNKNOWN_ID,
    },
  });
  expect((await t.api("/api/users?limit=1", { token })).body.total).toBe(before);
});
