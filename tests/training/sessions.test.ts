// Scheduling and audience rules against the real server and database.
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { provinceLecturers, sessionBody, tokenFor, windowAt, type TestUser } from "./helpers";

let t: TestServer;
let lecturer: TestUser;
let lecturer2: TestUser;
let hadashan: TestUser; // township trainee in 松原市
let nongan: TestUser; // township doctor in 长春市
let songyuanCityId: string;

beforeAll(async () => {
  t = await startTestServer();
  const lects = await provinceLecturers();
  lecturer = await tokenFor(t, lects[0]!.username);
  lecturer2 = await tokenFor(t, lects[1]!.username);
  hadashan = await tokenFor(t, "trainee.hadashan");
  nongan = await tokenFor(t, "doctor.nongan");
  const inst = await testDb().institution.findUniqueOrThrow({ where: { id: hadashan.institutionId } });
  songyuanCityId = inst.cityId!;
});
afterAll(async () => {
  await t.stop();
  await closeTestDb();
});

const schedule = (u: TestUser, body: Record<string, unknown>) =>
  t.api("/api/training/sessions", { token: u.token, body });

it("a lecturer schedules a session; it gets a number, the lecturer, and the lecturer's time is blocked", async () => {
  const r = await schedule(
    lecturer,
    sessionBody({ ...windowAt(2 * 24 * 60), capacity: 300, specialtyCode: undefined }),
  );
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({
    number: expect.stringMatching(/^PX\d{8}-\d{4}$/),
    status: "SCHEDULED",
    capacity: 300,
    registeredCount: 0,
    lecturers: [expect.objectContaining({ id: lecturer.id })],
    me: { canManage: true, lecturer: true },
  });
  const busy = await testDb().specialistBusyTime.findMany({ where: { sourceId: r.body.id } });
  expect(busy).toEqual([expect.objectContaining({ specialistId: lecturer.id, source: "TRAINING" })]);
});

it("refuses a lecturer's overlapping lecture or consultation time with 409 and a clear message (PostgreSQL decides)", async () => {
  const w = windowAt(4 * 24 * 60, 90);
  expect((await schedule(lecturer, sessionBody(w))).status).toBe(201);
  const overlapping = {
    startsAt: new Date(Date.parse(w.startsAt) + 30 * 60_000).toISOString(),
    endsAt: new Date(Date.parse(w.endsAt) + 30 * 60_000).toISOString(),
  };
  const clash = await schedule(lecturer, sessionBody(overlapping));
  expect(clash.status).toBe(409);
  expect(clash.body).toMatchObject({
    code: "CONFLICT",
    reason: "LECTURER_BUSY",
    detail: expect.stringContaining("已有会诊或其他培训安排"),
  });

  // A consultation booking of the second lecturer (same table the consultation scheduler writes).
  const w2 = windowAt(5 * 24 * 60, 60);
  await testDb().specialistBusyTime.create({
    data: {
      specialistId: lecturer2.id,
      startsAt: new Date(w2.startsAt),
      endsAt: new Date(w2.endsAt),
      source: "CONSULTATION",
      sourceId: "00000000-0000-4000-8000-000000000001",
    },
  });
  expect((await schedule(lecturer2, sessionBody(w2))).status).toBe(409);

  // Back to back is fine ([start, end) ranges).
  expect(
    (
      await schedule(
        lecturer,
        sessionBody({ startsAt: w.endsAt, endsAt: new Date(Date.parse(w.endsAt) + 3600_000).toISOString() }),
      )
    ).status,
  ).toBe(201);
});

it("concurrent overlapping schedules of one lecturer: exactly one wins", async () => {
  const w = windowAt(6 * 24 * 60, 60);
  const results = await Promise.all(Array.from({ length: 8 }, () => schedule(lecturer2, sessionBody(w))));
  expect(results.filter((r) => r.status === 201)).toHaveLength(1);
  expect(results.filter((r) => r.status === 409)).toHaveLength(7);
});

it("cancelling frees the lecturer's time", async () => {
  const w = windowAt(7 * 24 * 60, 60);
  const s = await schedule(lecturer, sessionBody(w));
  const c = await t.api(`/api/training/sessions/${s.body.id}/cancel`, {
    token: lecturer.token,
    body: { reason: "专家临时出诊" },
  });
  expect(c.status).toBe(200);
  expect(c.body.status).toBe("CANCELLED");
  expect((await schedule(lecturer, sessionBody(w))).status).toBe(201);
});

it("township staff, trainees and doctors cannot host", async () => {
  expect((await schedule(hadashan, sessionBody())).status).toBe(403);
  // Even an institution admin of a township centre: training flows down the network.
  const townshipAdmin = await tokenFor(t, "doctor.nongan", ["INSTITUTION_ADMIN"]);
  const r = await schedule(townshipAdmin, sessionBody());
  expect(r.status).toBe(403);
  expect(r.body.detail).toContain("乡镇");
});

it("validates input with field-level problems and never writes half a session", async () => {
  const before = await testDb().trainingSession.count();
  const bad = [
    sessionBody({ title: "" }),
    sessionBody({ startsAt: "2030-01-01T10:00:00Z", endsAt: "2030-01-01T09:00:00Z" }),
    sessionBody({ ...windowAt(-120) }),
    sessionBody({ audience: [] }),
    sessionBody({ audience: [{ kind: "GALAXY" }] }),
    sessionBody({ audience: [{ kind: "CITY", regionId: "00000000-0000-4000-8000-000000000000" }] }),
    sessionBody({ capacity: 0 }),
    sessionBody({ lecturerIds: [hadashan.id] }),
    sessionBody({ specialtyCode: "NOPE" }),
  ];
  for (const body of bad) {
    const r = await schedule(lecturer, body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
  }
  expect(await testDb().trainingSession.count()).toBe(before);
});

describe("audience", () => {
  let songyuanOnly: string;
  let listed: string;
  beforeAll(async () => {
    songyuanOnly = (
      await schedule(
        lecturer,
        sessionBody({
          ...windowAt(8 * 24 * 60),
          title: "松原市基层培训",
          audience: [{ kind: "CITY", regionId: songyuanCityId }],
        }),
      )
    ).body.id;
    listed = (
      await schedule(
        lecturer,
        sessionBody({
          ...windowAt(9 * 24 * 60),
          title: "指定机构培训",
          audience: [{ kind: "INSTITUTION", institutionId: nongan.institutionId }],
        }),
      )
    ).body.id;
  });

  it("someone inside the audience sees the session; outside it answers 404 for every endpoint", async () => {
    expect((await t.api(`/api/training/sessions/${songyuanOnly}`, { token: hadashan.token })).status).toBe(200);
    for (const [path, method] of [
      [`/api/training/sessions/${songyuanOnly}`, "GET"],
      [`/api/training/sessions/${songyuanOnly}/registration`, "POST"],
      [`/api/training/sessions/${songyuanOnly}/questions`, "GET"],
      [`/api/training/sessions/${songyuanOnly}/attendance`, "GET"],
    ] as const) {
      const r = await t.api(path, { token: nongan.token, method });
      expect(r.status).toBe(404);
      expect(r.body.code).toBe("NOT_FOUND");
    }
    expect((await t.api(`/api/training/sessions/${listed}`, { token: nongan.token })).status).toBe(200);
    expect((await t.api(`/api/training/sessions/${listed}`, { token: hadashan.token })).status).toBe(404);
  });

  it("the catalogue lists only sessions whose audience includes the caller", async () => {
    const mine = await t.api("/api/training/sessions?limit=200", { token: hadashan.token });
    const ids = mine.body.items.map((s: { id: string }) => s.id);
    expect(ids).toContain(songyuanOnly);
    expect(ids).not.toContain(listed);
    const other = await t.api("/api/training/sessions?limit=200", { token: nongan.token });
    expect(other.body.items.map((s: { id: string }) => s.id)).not.toContain(songyuanOnly);
    expect(other.body.items.map((s: { id: string }) => s.id)).toContain(listed);
  });

  it("tier and consortium rules match through the user's institution", async () => {
    const tier = await schedule(
      lecturer,
      sessionBody({ ...windowAt(10 * 24 * 60), audience: [{ kind: "TIER", tier: "TOWNSHIP" }] }),
    );
    expect((await t.api(`/api/training/sessions/${tier.body.id}`, { token: hadashan.token })).status).toBe(200);
    const cityDoctor = await tokenFor(t, "coord.youtian");
    expect((await t.api(`/api/training/sessions/${tier.body.id}`, { token: cityDoctor.token })).status).toBe(404);

    const membership = await testDb().consortiumMember.findFirstOrThrow({
      where: { institutionId: hadashan.institutionId, consortium: { coversAll: false } },
    });
    const cons = await schedule(
      lecturer,
      sessionBody({
        ...windowAt(11 * 24 * 60),
        audience: [{ kind: "CONSORTIUM", consortiumId: membership.consortiumId }],
      }),
    );
    expect(cons.status).toBe(201);
    expect((await t.api(`/api/training/sessions/${cons.body.id}`, { token: hadashan.token })).status).toBe(200);
    expect((await t.api(`/api/training/sessions/${cons.body.id}`, { token: nongan.token })).status).toBe(404);
  });

  it("registration opens for the audience; registering twice is idempotent; cancel works", async () => {
    const r1 = await t.api(`/api/training/sessions/${songyuanOnly}/registration`, {
      token: hadashan.token,
      method: "POST",
    });
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({ status: "REGISTERED", registeredCount: 1 });
    const r2 = await t.api(`/api/training/sessions/${songyuanOnly}/registration`, {
      token: hadashan.token,
      method: "POST",
    });
    expect(r2.status).toBe(200);
    expect(r2.body.registeredCount).toBe(1);
    const view = await t.api(`/api/training/sessions/${songyuanOnly}`, { token: hadashan.token });
    expect(view.body.me).toMatchObject({ registered: true });
    expect(
      (await t.api(`/api/training/sessions/${songyuanOnly}/registration`, { token: hadashan.token, method: "DELETE" }))
        .status,
    ).toBe(204);
    expect((await t.api(`/api/training/sessions/${songyuanOnly}`, { token: hadashan.token })).body).toMatchObject({
      registeredCount: 0,
      me: { registered: false },
    });
    expect(
      (await t.api(`/api/training/sessions/${songyuanOnly}/registration`, { token: hadashan.token, method: "DELETE" }))
        .status,
    ).toBe(404);
  });
});
