// Bull Board is for province administrators only; the browser gets in through a one-time ticket and a cookie
// scoped to the console path.
import { startTestServer, type TestServer } from "../helpers/server";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts?.stop();
});

test("ticket → cookie → console; tickets are single-use; other roles are refused", async () => {
  expect((await fetch(`${ts.baseUrl}/admin/queues`)).status).toBe(401);
  expect((await fetch(`${ts.baseUrl}/admin/queues/api/queues`)).status).toBe(401);
  const doctor = (await ts.login("doctor.hadashan")).accessToken;
  expect((await ts.api("/api/admin/queues/ticket", { token: doctor, method: "POST" })).status).toBe(403);
  expect(
    (await fetch(`${ts.baseUrl}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${doctor}` } })).status,
  ).toBe(403);
  const city = (await ts.login("region.changchun")).accessToken;
  expect((await ts.api("/api/admin/queues/ticket", { token: city, method: "POST" })).status).toBe(403);

  const admin = (await ts.login("province.admin")).accessToken;
  const t = await ts.api("/api/admin/queues/ticket", { token: admin, method: "POST" });
  expect(t.status).toBe(200);
  expect(t.body.url).toMatch(/^\/admin\/queues\?ticket=[\w-]{40,}$/);
  const open = await fetch(ts.baseUrl + t.body.url, { redirect: "manual" });
  expect(open.status).toBe(303);
  expect(open.headers.get("location")).toBe("/admin/queues");
  const setCookie = open.headers.get("set-cookie")!;
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Strict/i);
  expect(setCookie).toMatch(/Path=\/admin\/queues/);
  const cookie = setCookie.split(";")[0]!;
  const page = await fetch(`${ts.baseUrl}/admin/queues`, { headers: { cookie } });
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<html/i);
  const api = await fetch(`${ts.baseUrl}/admin/queues/api/queues`, { headers: { cookie } });
  expect(api.status).toBe(200);
  const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name);
  expect(names).toEqual(expect.arrayContaining(["uploads", "statistics", "recording"]));
  // The ticket worked once only.
  expect((await fetch(ts.baseUrl + t.body.url, { redirect: "manual" })).status).toBe(401);
  // A logged-out session loses the console at once.
  await ts.api("/api/auth/logout", { token: admin, method: "POST", body: {} });
  expect((await fetch(`${ts.baseUrl}/admin/queues/api/queues`, { headers: { cookie } })).status).toBe(401);
});
