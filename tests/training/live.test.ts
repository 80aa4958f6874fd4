// A live session without media: presence → attendance, Q&A with moderation, raise hand → promote → demote
// (the per-produce permission), ending, and the attendance reports (CSV and XLSX with Chinese headers).
import ExcelJS from "exceljs";
import { io as connect, type Socket } from "socket.io-client";
import type { Ack, ClientToServerEvents, ServerToClientEvents } from "@yilian/contract";
import { TrainingLive } from "@yilian/server";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { provinceLecturers, sessionBody, tokenFor, type TestUser } from "./helpers";

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

let t: TestServer;
let lecturer: TestUser;
let viewerA: TestUser;
let viewerB: TestUser;
let outsider: TestUser;
let sessionId: string;
const sockets: Client[] = [];

function open(u: TestUser): Promise<Client> {
  const s: Client = connect(t.baseUrl, { auth: { token: u.token }, transports: ["websocket"], reconnection: false });
  sockets.push(s);
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("connect_error", reject);
  });
}

function call<T>(s: Client, ev: keyof ClientToServerEvents, payload: unknown): Promise<Ack<T>> {
  return new Promise((resolve) => (s.emit as (...a: unknown[]) => void)(ev, payload, resolve));
}

function next<E extends keyof ServerToClientEvents>(
  s: Client,
  ev: E,
  filter: (p: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
) {
  return new Promise<Parameters<ServerToClientEvents[E]>[0]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${ev}`)), 5000);
    const on = (p: Parameters<ServerToClientEvents[E]>[0]) => {
      if (!filter(p)) return;
      clearTimeout(timer);
      (s.off as (e: string, f: unknown) => void)(ev, on);
      resolve(p);
    };
    (s.on as (e: string, f: unknown) => void)(ev, on);
  });
}

beforeAll(async () => {
  t = await startTestServer();
  const lects = await provinceLecturers();
  lecturer = await tokenFor(t, lects[3]!.username);
  viewerA = await tokenFor(t, "trainee.hadashan");
  viewerB = await tokenFor(t, "doctor.hadashan");
  outsider = await tokenFor(t, "coord.youtian"); // a city-tier institution
  const start = new Date(Date.now() + 60_000);
  const r = await t.api("/api/training/sessions", {
    token: lecturer.token,
    body: sessionBody({
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      registrationRequired: false,
      audience: [{ kind: "TIER", tier: "TOWNSHIP" }],
    }),
  });
  expect(r.status).toBe(201);
  sessionId = r.body.id;
});
afterAll(async () => {
  sockets.forEach((s) => s.disconnect());
  await t.stop();
  await closeTestDb();
});

let lect: Client;
let a: Client;
let b: Client;

it("the lecturer entering goes live; the audience joins directly; outsiders are refused", async () => {
  lect = await open(lecturer);
  const j = await call<{ role: string; session: { status: string } }>(lect, "training:join", { sessionId });
  expect(j).toMatchObject({ ok: true, data: { role: "LECTURER", session: { status: "LIVE" } } });
  a = await open(viewerA);
  b = await open(viewerB);
  expect(await call(a, "training:join", { sessionId })).toMatchObject({ ok: true, data: { role: "VIEWER" } });
  expect(await call(b, "training:join", { sessionId })).toMatchObject({ ok: true });
  const o = await open(outsider);
  expect(await call(o, "training:join", { sessionId })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
  expect(await call(o, "training:join", { sessionId: "not-a-uuid" })).toMatchObject({
    ok: false,
    error: { code: "VALIDATION_FAILED" },
  });
  const att = await testDb().trainingAttendance.findUnique({
    where: { sessionId_userId: { sessionId, userId: viewerA.id } },
  });
  expect(att).toMatchObject({ joins: 1, lastLeaveAt: null });
  // Lecturers are not trainees.
  expect(await testDb().trainingAttendance.count({ where: { sessionId, userId: lecturer.id } })).toBe(0);
});

it("Q&A: everyone sees a question; a hidden one disappears for viewers but not for moderators; answer and pin", async () => {
  const seenByB = next(b, "training:question");
  const asked = await call<{ id: string }>(a, "training:ask", { sessionId, text: "高血压患者首诊需要哪些检查？" });
  expect(asked.ok).toBe(true);
  const qid = (asked as { data: { id: string } }).data.id;
  expect(await seenByB).toMatchObject({ id: qid, text: "高血压患者首诊需要哪些检查？", status: "VISIBLE" });

  // Viewers cannot moderate.
  expect(await call(a, "training:moderate", { questionId: qid, action: "hide" })).toMatchObject({
    ok: false,
    error: { code: "FORBIDDEN" },
  });

  const removed = next(b, "training:question-removed");
  const modSees = next(lect, "training:question", (q) => q.status === "HIDDEN");
  expect(await call(lect, "training:moderate", { questionId: qid, action: "hide" })).toMatchObject({
    ok: true,
    data: { status: "HIDDEN" },
  });
  expect(await removed).toEqual({ sessionId, questionId: qid });
  expect(await modSees).toMatchObject({ id: qid });
  expect((await t.api(`/api/training/sessions/${sessionId}/questions`, { token: viewerB.token })).body.total).toBe(0);
  expect(
    (await t.api(`/api/training/sessions/${sessionId}/questions?includeHidden=true`, { token: lecturer.token })).body
      .total,
  ).toBe(1);

  await call(lect, "training:moderate", { questionId: qid, action: "show" });
  const answered = next(a, "training:question", (q) => q.answer !== null);
  await call(lect, "training:moderate", {
    questionId: qid,
    action: "answer",
    answer: "血压、血糖、血脂、肾功能和心电图。",
  });
  expect(await answered).toMatchObject({ answer: "血压、血糖、血脂、肾功能和心电图。" });
  await call<{ id: string }>(b, "training:ask", { sessionId, text: "第二个问题" });
  await call(lect, "training:moderate", { questionId: qid, action: "pin" });
  const list = await t.api(`/api/training/sessions/${sessionId}/questions`, { token: viewerB.token });
  expect(list.body.items[0]).toMatchObject({ id: qid, pinned: true });
  expect(await call(a, "training:ask", { sessionId, text: "" })).toMatchObject({
    ok: false,
    error: { code: "VALIDATION_FAILED" },
  });
  // A flood of questions is cut off (10 in 10 s per person), not stored, not shown.
  const flood = await Promise.all(
    Array.from({ length: 12 }, (_, i) => call(b, "training:ask", { sessionId, text: `刷屏 ${i}` })),
  );
  const refused = flood.filter((r) => !r.ok);
  expect(refused.length).toBeGreaterThanOrEqual(2);
  for (const r of refused) expect(r).toMatchObject({ error: { code: "RATE_LIMITED" } });
  expect(await testDb().trainingQuestion.count({ where: { sessionId, text: { startsWith: "刷屏" } } })).toBe(
    12 - refused.length,
  );
});

it("raise hand → promote → the viewer may produce → demote → refused again (enforced on the server)", async () => {
  const mayProduce = async (userId: string, source: "microphone" | "screen") => {
    const l = new TrainingLive({
      db: testDb(),
      redis: t.server.services.redis,
      redisPrefix: t.server.services.config.REDIS_PREFIX,
      sink: { to: () => ({ emit: () => true }) },
    });
    return l.assertMayProduce(sessionId, userId, source).then(
      () => "ok",
      (e: { code: string }) => e.code,
    );
  };
  expect(await mayProduce(viewerA.id, "microphone")).toBe("FORBIDDEN");
  expect(await mayProduce(lecturer.id, "screen")).toBe("ok");

  const lectSeesHand = next(lect, "training:hand", (h) => h.status === "RAISED");
  expect(await call(a, "training:hand-raise", { sessionId })).toMatchObject({ ok: true, data: { status: "RAISED" } });
  expect(await lectSeesHand).toMatchObject({ user: { id: viewerA.id } });

  // Another viewer cannot promote, and nobody can promote a viewer without a raised hand.
  expect(await call(b, "training:promote", { sessionId, userId: viewerA.id })).toMatchObject({
    ok: false,
    error: { code: "FORBIDDEN" },
  });
  expect(await call(lect, "training:promote", { sessionId, userId: viewerB.id })).toMatchObject({
    ok: false,
    error: { code: "NOT_FOUND" },
  });

  const bHearsSpeaker = next(b, "training:speaker", (e) => e.speaking);
  expect(await call(lect, "training:promote", { sessionId, userId: viewerA.id })).toMatchObject({ ok: true });
  expect(await bHearsSpeaker).toEqual({ sessionId, userId: viewerA.id, speaking: true });
  expect(await mayProduce(viewerA.id, "microphone")).toBe("ok");
  expect(await mayProduce(viewerA.id, "screen")).toBe("FORBIDDEN");
  expect(await mayProduce(viewerB.id, "microphone")).toBe("FORBIDDEN");

  const bSeesStop = next(b, "training:speaker", (e) => !e.speaking);
  expect(await call(lect, "training:demote", { sessionId, userId: viewerA.id })).toMatchObject({ ok: true });
  expect(await bSeesStop).toEqual({ sessionId, userId: viewerA.id, speaking: false });
  expect(await mayProduce(viewerA.id, "microphone")).toBe("FORBIDDEN");
  const hands = await testDb().trainingHandRaise.findMany({ where: { sessionId, userId: viewerA.id } });
  expect(hands.map((h) => h.status)).toEqual(["DEMOTED"]);
});

it("a viewer who drops and reconnects within seconds keeps one continuous attendance record", async () => {
  a.disconnect();
  await new Promise((r) => setTimeout(r, 300));
  a = await open(viewerA);
  expect(await call(a, "training:join", { sessionId })).toMatchObject({ ok: true });
  const att = await testDb().trainingAttendance.findUniqueOrThrow({
    where: { sessionId_userId: { sessionId, userId: viewerA.id } },
  });
  expect(att.joins).toBe(2);
  expect(att.intervals).toHaveLength(1);
  expect(await testDb().trainingAttendance.count({ where: { sessionId, userId: viewerA.id } })).toBe(1);
  const events = await testDb().trainingPresenceEvent.findMany({
    where: { sessionId, userId: viewerA.id },
    orderBy: { id: "asc" },
  });
  expect(events.map((e) => e.kind)).toEqual(["JOIN", "LEAVE", "JOIN"]);
});

it("ending finalises attendance; reports come as JSON, CSV and XLSX with Chinese headers, scoped to the caller", async () => {
  b.disconnect();
  const ended = await t.api(`/api/training/sessions/${sessionId}/end`, { token: lecturer.token, method: "POST" });
  expect(ended.status).toBe(200);
  expect(ended.body.status).toBe("ENDED");
  expect(await call(a, "training:join", { sessionId })).toMatchObject({ ok: false, error: { code: "INVALID_STATE" } });

  const json = await t.api(`/api/training/sessions/${sessionId}/attendance`, { token: lecturer.token });
  expect(json.status).toBe(200);
  const names = json.body.rows.map((r: { userId: string }) => r.userId).sort();
  expect(names).toEqual([viewerA.id, viewerB.id].sort());

  const csv = await fetch(`${t.baseUrl}/api/training/sessions/${sessionId}/attendance?format=csv`, {
    headers: { authorization: `Bearer ${lecturer.token}` },
  });
  expect(csv.status).toBe(200);
  expect(csv.headers.get("content-type")).toContain("text/csv");
  expect(csv.headers.get("content-disposition")).toContain("filename*=UTF-8''");
  const text = await csv.text();
  expect(text.split("\r\n")[0]).toBe(
    '"序号","姓名","用户名","所在机构","科室","是否报名","首次进入时间","最后离开时间","在线时长(分钟)","进入次数","是否出勤"',
  );
  expect(text).toContain("trainee.hadashan");

  const xlsx = await fetch(`${t.baseUrl}/api/training/sessions/${sessionId}/attendance?format=xlsx`, {
    headers: { authorization: `Bearer ${lecturer.token}` },
  });
  expect(xlsx.status).toBe(200);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await xlsx.arrayBuffer()) as never);
  const ws = wb.worksheets[0]!;
  expect(ws.getRow(1).getCell(2).value).toBe("姓名");
  expect(ws.rowCount).toBe(3);

  // The township centre has no admin; the Songyuan region admin sees its institutions only; a trainee gets 404.
  const region = await tokenFor(t, "region.songyuan");
  const scoped = await t.api(`/api/training/sessions/${sessionId}/attendance`, { token: region.token });
  expect(scoped.status).toBe(200);
  expect(
    scoped.body.rows.every((r: { institution: { id: string } }) => r.institution.id === viewerA.institutionId),
  ).toBe(true);
  expect((await t.api(`/api/training/sessions/${sessionId}/attendance`, { token: viewerA.token })).status).toBe(404);
  expect(
    (await t.api(`/api/training/sessions/${sessionId}/attendance?format=pdf`, { token: lecturer.token })).status,
  ).toBe(400);

  const me = await t.api(`/api/training/sessions/${sessionId}/attendance/me`, { token: viewerA.token });
  expect(me.body).toMatchObject({ joins: 2 });
});
