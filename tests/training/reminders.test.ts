// Reminder jobs: planned at scheduling with deterministic ids, delivered by the real BullMQ worker through the
// Socket.IO Redis emitter, skipped when the session was cancelled; the close job finalises a forgotten session.
import { Queue } from "bullmq";
import { io as connect, type Socket } from "socket.io-client";
import type { Notification, ServerToClientEvents, ClientToServerEvents } from "@yilian/contract";
import { TRAINING_REMINDERS_QUEUE, trainingJobId, type TrainingJobData } from "@yilian/jobs";
import { execTrainingJob, initTrainingReminders } from "../../worker/src/queues/training-reminders";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { provinceLecturers, sessionBody, tokenFor, windowAt, type TestUser } from "./helpers";

let t: TestServer;
let lecturer: TestUser;
let trainee: TestUser;
let queue: Queue<TrainingJobData>;
let queueConn: ReturnType<TestServer["server"]["services"]["redis"]["duplicate"]>;
const prefix = () => `${t.server.services.config.REDIS_PREFIX}:bull`;

beforeAll(async () => {
  t = await startTestServer();
  lecturer = await tokenFor(t, (await provinceLecturers())[4]!.username);
  trainee = await tokenFor(t, "trainee.hadashan");
  queueConn = t.server.services.redis.duplicate({ maxRetriesPerRequest: null });
  queue = new Queue(TRAINING_REMINDERS_QUEUE, { connection: queueConn, prefix: prefix() });
});
afterAll(async () => {
  await queue.close();
  queueConn.disconnect();
  await t.stop();
  await closeTestDb();
});

it("scheduling plans a reminder 1 day and 15 minutes before, and a close job after the end", async () => {
  const body = sessionBody({ ...windowAt(3 * 24 * 60 + 17) });
  const s = await t.api("/api/training/sessions", { token: lecturer.token, body });
  expect(s.status).toBe(201);
  const start = Date.parse(s.body.startsAt);
  for (const [kind, at] of [
    ["1d", start - 24 * 3600_000],
    ["15m", start - 15 * 60_000],
    ["close", Date.parse(s.body.endsAt) + 2 * 3600_000],
  ] as const) {
    const job = await queue.getJob(trainingJobId({ sessionId: s.body.id, startsAt: s.body.startsAt, kind }));
    expect(job).toBeDefined();
    expect(job!.data).toMatchObject({ sessionId: s.body.id, kind });
    expect(Math.abs(job!.timestamp + job!.opts.delay! - at)).toBeLessThan(5000);
  }
});

function openSocket(u: TestUser): Promise<Socket<ServerToClientEvents, ClientToServerEvents>> {
  const s: Socket<ServerToClientEvents, ClientToServerEvents> = connect(t.baseUrl, {
    auth: { token: u.token },
    transports: ["websocket"],
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

it("the worker delivers the 15-minute reminder to registered trainees through Socket.IO", async () => {
  // Starts in 15 min + 3 s: the "15m" job is due in about 3 s.
  const start = new Date(Date.now() + 15 * 60_000 + 3000);
  const s = await t.api("/api/training/sessions", {
    token: lecturer.token,
    body: sessionBody({
      title: "急诊胸痛识别",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      audience: [{ kind: "TIER", tier: "TOWNSHIP" }],
    }),
  });
  expect(s.status).toBe(201);
  expect(
    (await t.api(`/api/training/sessions/${s.body.id}/registration`, { token: trainee.token, method: "POST" })).status,
  ).toBe(201);
  const socket = await openSocket(trainee);
  const got = new Promise<Notification>((resolve) =>
    socket.on(
      "notification",
      (n) => n.type === "training.reminder.15m" && n.data?.sessionId === s.body.id && resolve(n),
    ),
  );

  const conn = t.server.services.redis.duplicate({ maxRetriesPerRequest: null });
  const running = await initTrainingReminders(testDb(), conn, prefix(), t.server.services.config.REDIS_PREFIX);
  try {
    const n = await got;
    expect(n).toMatchObject({ title: "远程教学提醒：急诊胸痛识别", body: expect.stringContaining("15 分钟后") });
  } finally {
    socket.disconnect();
    await running.worker.close();
    await running.queue.close();
    conn.disconnect();
  }
}, 30_000);

it("a reminder for a cancelled or rescheduled session does nothing; the close job ends a forgotten session", async () => {
  const sink = { to: () => ({ emit: () => true }) };
  const deps = {
    db: testDb(),
    redis: t.server.services.redis,
    redisPrefix: t.server.services.config.REDIS_PREFIX,
    sink,
  };
  const s = await t.api("/api/training/sessions", {
    token: lecturer.token,
    body: sessionBody({ ...windowAt(20 * 24 * 60) }),
  });
  await t.api(`/api/training/sessions/${s.body.id}/cancel`, { token: lecturer.token, body: { reason: "取消" } });
  expect(
    await execTrainingJob(deps, "remind", { sessionId: s.body.id, startsAt: s.body.startsAt, kind: "1d" }),
  ).toEqual({ skipped: "cancelled" });

  const s2 = await t.api("/api/training/sessions", {
    token: lecturer.token,
    body: sessionBody({ ...windowAt(21 * 24 * 60) }),
  });
  expect(
    await execTrainingJob(deps, "remind", { sessionId: s2.body.id, startsAt: new Date(0).toISOString(), kind: "1d" }),
  ).toEqual({ skipped: "rescheduled" });
  expect(
    await execTrainingJob(deps, "remind", { sessionId: s2.body.id, startsAt: s2.body.startsAt, kind: "1d" }),
  ).toEqual({ notifiedRooms: 1 });

  const closed = await execTrainingJob(deps, "close", {
    sessionId: s2.body.id,
    startsAt: s2.body.startsAt,
    kind: "close",
  });
  expect(closed).toMatchObject({ closed: true });
  expect((await testDb().trainingSession.findUniqueOrThrow({ where: { id: s2.body.id } })).status).toBe("ENDED");
  expect(
    await execTrainingJob(deps, "close", { sessionId: s2.body.id, startsAt: s2.body.startsAt, kind: "close" }),
  ).toEqual({ skipped: "ended" });
});
