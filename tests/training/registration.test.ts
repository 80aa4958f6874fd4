// Capacity under load: 200 trainees register at the same moment for 50 places.
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { provinceLecturers, sessionBody, tokenFor, windowAt, type TestUser } from "./helpers";

let t: TestServer;
let lecturer: TestUser;
let trainees: TestUser[];

beforeAll(async () => {
  t = await startTestServer();
  const lects = await provinceLecturers();
  lecturer = await tokenFor(t, lects[2]!.username);
  const rows = await testDb().user.findMany({
    where: { roles: { has: "TRAINEE" }, active: true },
    orderBy: { username: "asc" },
    take: 200,
    select: { username: true },
  });
  expect(rows).toHaveLength(200);
  trainees = await Promise.all(rows.map((r) => tokenFor(t, r.username)));
}, 60_000);
afterAll(async () => {
  await t.stop();
  await closeTestDb();
});

it("200 concurrent registrations for 50 places: exactly 50 succeed, the rest get 409, the count is exact", async () => {
  const s = await t.api("/api/training/sessions", {
    token: lecturer.token,
    body: sessionBody({ ...windowAt(12 * 24 * 60), capacity: 50, audience: [{ kind: "TIER", tier: "TOWNSHIP" }] }),
  });
  expect(s.status).toBe(201);
  const results = await Promise.all(
    trainees.map((u) => t.api(`/api/training/sessions/${s.body.id}/registration`, { token: u.token, method: "POST" })),
  );
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((x) => x === 201)).toHaveLength(50);
  expect(statuses.filter((x) => x === 409)).toHaveLength(150);
  expect(statuses.filter((x) => x !== 201 && x !== 409)).toEqual([]);
  const refused = results.find((r) => r.status === 409)!;
  expect(refused.body).toMatchObject({ code: "CONFLICT", reason: "CAPACITY_REACHED", detail: "本次培训名额已满" });

  const db = testDb();
  expect(await db.trainingRegistration.count({ where: { sessionId: s.body.id, status: "REGISTERED" } })).toBe(50);
  expect((await db.trainingSession.findUniqueOrThrow({ where: { id: s.body.id } })).registeredCount).toBe(50);

  // A cancellation frees exactly one place.
  const winner = trainees[statuses.indexOf(201)]!;
  const loser = trainees[statuses.indexOf(409)]!;
  expect(
    (await t.api(`/api/training/sessions/${s.body.id}/registration`, { token: winner.token, method: "DELETE" })).status,
  ).toBe(204);
  expect(
    (await t.api(`/api/training/sessions/${s.body.id}/registration`, { token: loser.token, method: "POST" })).status,
  ).toBe(201);
  expect(
    (await t.api(`/api/training/sessions/${s.body.id}/registration`, { token: winner.token, method: "POST" })).status,
  ).toBe(409);
}, 60_000);

it("the database itself refuses a count above capacity", async () => {
  const s = await t.api("/api/training/sessions", {
    token: lecturer.token,
    body: sessionBody({ ...windowAt(13 * 24 * 60), capacity: 1 }),
  });
  await expect(
    testDb().trainingSession.update({ where: { id: s.body.id }, data: { registeredCount: 2 } }),
  ).rejects.toThrow();
});
