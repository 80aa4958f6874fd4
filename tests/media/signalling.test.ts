// Live-room signalling over a real Socket.IO connection: admission rules, typed refusals, permissions per
// produce, persisted chat, the join hook, and the grace window that keeps a dropped peer.
import { io as connect, type Socket } from "socket.io-client";
import { createHmac, randomUUID } from "node:crypto";
import type {
  Ack,
  ClientToServerEvents,
  MediaJoinResult,
  MediaResetTransportsResult,
  MediaRestartIceResult,
  ServerToClientEvents,
} from "@yilian/contract";
import { setConfig } from "@yilian/server";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { createConsultationRoom, userId } from "./fixtures";

type S = Socket<ServerToClientEvents, ClientToServerEvents>;
let t: TestServer;
const sockets: S[] = [];

beforeAll(async () => {
  t = await startTestServer({ MEDIA_WEBRTC_PORT: "0", MEDIA_WORKERS: "1", MEDIA_PEER_GRACE_MS: "3000" });
});
afterAll(async () => {
  sockets.forEach((s) => s.disconnect());
  await t.stop();
  await closeTestDb();
});

async function open(username: string, opts: { reconnection?: boolean } = {}): Promise<S> {
  const { accessToken } = await t.login(username);
  const s: S = connect(t.baseUrl, {
    auth: { token: accessToken },
    transports: ["websocket"],
    reconnection: opts.reconnection ?? false,
    reconnectionDelay: 100,
  });
  sockets.push(s);
  await new Promise<void>((r) => s.once("connect", () => r()));
  return s;
}

function req<T>(s: S, event: string, ...payload: unknown[]): Promise<Ack<T>> {
  return new Promise((resolve) => (s.emit as (...a: unknown[]) => void)(event, ...payload, resolve));
}

const next = <E extends keyof ServerToClientEvents>(s: S, event: E, timeoutMs = 5000) =>
  new Promise<Parameters<ServerToClientEvents[E]>[0]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event}`)), timeoutMs);
    (s as unknown as { once(e: string, f: (p: unknown) => void): void }).once(event, (p) => {
      clearTimeout(timer);
      resolve(p as never);
    });
  });

describe("admission", () => {
  it("admits participants of an open consultation and tells them what they may send", async () => {
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    const doctor = await open("doctor.hadashan");
    const ack = await req<MediaJoinResult>(doctor, "media:join", { kind: "consultation", roomId: consultationId });
    expect(ack).toMatchObject({
      ok: true,
      data: {
        role: "REQUESTER",
        resumed: false,
        peers: [],
        producers: [],
        permissions: { camera: true, microphone: true, screen: true, chat: true },
      },
    });
    const caps = await req<{ codecs: { mimeType: string }[] }>(doctor, "media:getRouterRtpCapabilities");
    expect(caps.ok && caps.data.codecs.map((c) => c.mimeType)).toEqual(
      expect.arrayContaining(["audio/opus", "video/VP8", "video/H264"]),
    );
    await req(doctor, "media:leave");
  });

  it("answers NOT_FOUND to non-participants and to unknown rooms, so existence does not leak", async () => {
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    const outsider = await open("spec.jdyy.1");
    const a = await req(outsider, "media:join", { kind: "consultation", roomId: consultationId });
    const b = await req(outsider, "media:join", {
      kind: "consultation",
      roomId: "6f1c1d9e-0000-4000-8000-000000000000",
    });
    expect(a).toEqual({ ok: false, error: expect.objectContaining({ code: "NOT_FOUND" }) });
    expect(b).toEqual({
      ok: false,
      error: { code: "NOT_FOUND", message: (a as { error: { message: string } }).error.message },
    });
    const audit = await testDb().auditLog.findFirst({
      where: { action: "media.join", entityId: consultationId },
      orderBy: { id: "desc" },
    });
    expect(audit).toMatchObject({ outcome: "NOT_FOUND", actorId: (await userId(testDb(), "spec.jdyy.1")).id });
  });

  it("keeps the room closed until 15 minutes before the booked start; emergencies skip booking", async () => {
    const db = testDb();
    const later = await createConsultationRoom(db, {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
      scheduledStart: new Date(Date.now() + 60 * 60 * 1000),
    });
    const soon = await createConsultationRoom(db, {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
      scheduledStart: new Date(Date.now() + 10 * 60 * 1000),
    });
    const emergency = await createConsultationRoom(db, {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
      status: "ACCEPTED",
      urgency: "EMERGENCY",
      scheduledStart: null,
    });
    const routineAccepted = await createConsultationRoom(db, {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
      status: "ACCEPTED",
      scheduledStart: null,
    });
    const closed = await createConsultationRoom(db, {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
      status: "CLOSED",
    });
    const doctor = await open("doctor.hadashan");
    const early = await req(doctor, "media:join", { kind: "consultation", roomId: later.consultationId });
    expect(early).toMatchObject({
      ok: false,
      error: { code: "INVALID_STATE", details: { status: "SCHEDULED", opensAt: expect.any(String) } },
    });
    expect(
      await req(doctor, "media:join", { kind: "consultation", roomId: routineAccepted.consultationId }),
    ).toMatchObject({ ok: false, error: { code: "INVALID_STATE" } });
    expect(await req(doctor, "media:join", { kind: "consultation", roomId: closed.consultationId })).toMatchObject({
      ok: false,
      error: { code: "INVALID_STATE" },
    });
    expect(await req(doctor, "media:join", { kind: "consultation", roomId: soon.consultationId })).toMatchObject({
      ok: true,
    });
    expect(await req(doctor, "media:join", { kind: "consultation", roomId: emergency.consultationId })).toMatchObject({
      ok: true,
    });
    await req(doctor, "media:leave");
  });

  it("admits the receiving institution's coordinator without screen sharing, and refuses that produce", async () => {
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    const coord = await open("coord.youtian");
    const ack = await req<MediaJoinResult>(coord, "media:join", { kind: "consultation", roomId: consultationId });
    expect(ack).toMatchObject({
      ok: true,
      data: { role: "COORDINATOR", permissions: { screen: false, camera: true } },
    });
    const t1 = await req<{ id: string }>(coord, "media:createTransport", { direction: "send" });
    const produce = await req(coord, "media:produce", {
      transportId: t1.ok ? t1.data.id : "",
      kind: "video",
      source: "screen",
      rtpParameters: {
        codecs: [{ mimeType: "video/VP8", payloadType: 96, clockRate: 90000 }],
        encodings: [{ ssrc: 1 }],
      },
    });
    expect(produce).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    // Another institution's coordinator is an outsider.
    const other = await open("coord.jdyy");
    expect(await req(other, "media:join", { kind: "consultation", roomId: consultationId })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    await req(coord, "media:leave");
  });

  it("lets another domain register its room kind", async () => {
    const hub = t.server.media.hub;
    const doctor = await open("doctor.hadashan");
    const roomId = "7d3f7a52-1111-4222-8333-944455556666";
    expect(await req(doctor, "media:join", { kind: "training", roomId })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    hub.access.registerRoomKind("training", async ({ user }) => ({
      role: user.roles.includes("DOCTOR") ? "TRAINEE" : "LECTURER",
      permissions: { camera: false, microphone: false, screen: false, chat: true },
    }));
    const ok = await req<MediaJoinResult>(doctor, "media:join", { kind: "training", roomId });
    expect(ok).toMatchObject({ ok: true, data: { role: "TRAINEE", permissions: { camera: false } } });
    // (Producing in training rooms is decided by the training domain's own produce check.)
    await req(doctor, "media:leave");
  });
});

describe("one-round-trip join", () => {
  const opus = {
    mid: "0",
    codecs: [{ mimeType: "audio/opus", payloadType: 111, clockRate: 48000, channels: 2 }],
    encodings: [{ ssrc: 4242 }],
    rtcp: { cname: "t" },
  };

  it("answers transports, and consumers when the join carries the device's capabilities, before any other request", async () => {
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    const doctor = await open("doctor.hadashan");
    const spec = await open("spec.youtian.1");
    // Known before any room exists: a client loads its device while it connects.
    const caps = await req<{ codecs: { mimeType: string }[] }>(spec, "media:capabilities");
    expect(caps.ok && caps.data.codecs.map((c) => c.mimeType)).toEqual(
      expect.arrayContaining(["audio/opus", "video/VP8"]),
    );

    const first = await req<MediaJoinResult>(doctor, "media:join", { kind: "consultation", roomId: consultationId });
    if (!first.ok) throw new Error(first.error.message);
    expect(first.data.consumers).toEqual([]);
    const { send, recv } = first.data.transports!;
    // The server takes the DTLS client role when sending is the browser's: its first flight waits on nothing.
    expect(send!.dtlsParameters).toMatchObject({ role: "client" });
    expect(recv.dtlsParameters).toMatchObject({ role: "auto" });
    expect(first.data.routerRtpCapabilities).toEqual(caps.ok && caps.data);
    const mic = await req<{ id: string }>(doctor, "media:produce", {
      transportId: send!.id,
      kind: "audio",
      source: "microphone",
      rtpParameters: opus,
    });
    expect(mic).toMatchObject({ ok: true });

    const join = await req<MediaJoinResult>(spec, "media:join", {
      kind: "consultation",
      roomId: consultationId,
      rtpCapabilities: caps.ok && caps.data,
    });
    if (!join.ok || !mic.ok) throw new Error("join failed");
    expect(join.data.consumers).toEqual([
      expect.objectContaining({
        producerId: mic.data.id,
        kind: "audio",
        source: "microphone",
        peerId: first.data.peerId,
      }),
    ]);
    expect(join.data.transports!.send).toBeDefined();
    const [consumer] = join.data.consumers;
    // The consumer lives on the answer's receive transport and is resumed by id; asking again gives the same one.
    const again = await req<{ id: string }[]>(spec, "media:ready", {
      transportId: join.data.transports!.recv.id,
      rtpCapabilities: caps.ok && caps.data,
    });
    expect(again).toEqual({ ok: true, data: [expect.objectContaining({ id: consumer!.id })] });
    expect(await req(spec, "media:resumeConsumer", { consumerId: consumer!.id })).toEqual({ ok: true, data: null });
    expect(await req(spec, "media:ready", { transportId: "nope", rtpCapabilities: {} })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    expect(await req(spec, "media:ready", { rtpCapabilities: "x" })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED" },
    });
    await req(doctor, "media:leave");
    await req(spec, "media:leave");
  });
});

describe("requests", () => {
  it("validates every payload and needs a join first", async () => {
    const s = await open("doctor.hadashan");
    expect(await req(s, "media:join", { kind: "webinar", roomId: "x" })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED" },
    });
    expect(await req(s, "media:join", null)).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    expect(await req(s, "media:createTransport", { direction: "send" })).toMatchObject({
      ok: false,
      error: { code: "INVALID_STATE" },
    });
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    await req(s, "media:join", { kind: "consultation", roomId: consultationId });
    expect(await req(s, "media:createTransport", { direction: "sideways" })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED" },
    });
    expect(
      await req(s, "media:connectTransport", { transportId: "nope", dtlsParameters: { fingerprints: [] } }),
    ).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    expect(await req(s, "media:resumeConsumer", { consumerId: "nope" })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    expect(await req(s, "media:setPreferredLayers", { consumerId: "c", spatialLayer: 7 })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED" },
    });
    expect(await req(s, "media:chat:send", { text: "   " })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED" },
    });
    await req(s, "media:leave");
  });

  /** A fresh consultation room with its requesting doctor in it. */
  async function roomWithDoctor() {
    const db = testDb();
    const { consultationId } = await createConsultationRoom(db, {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    const doctor = await open("doctor.hadashan");
    await req(doctor, "media:join", { kind: "consultation", roomId: consultationId });
    return { db, consultationId, doctor };
  }

  it("persists chat with an audit row and delivers it to the room", async () => {
    const { db, consultationId, doctor } = await roomWithDoctor();
    const spec = await open("spec.youtian.1");
    const joined = next(doctor, "media:peerJoined");
    await req(spec, "media:join", { kind: "consultation", roomId: consultationId });
    expect(await joined).toMatchObject({ role: "SPECIALIST" });
    const received = next(spec, "media:chat");
    const sent = await req<{ id: string }>(doctor, "media:chat:send", { text: "患者心电图已上传，请查看" });
    expect(sent).toMatchObject({
      ok: true,
      data: { text: "患者心电图已上传，请查看", senderName: expect.any(String) },
    });
    expect(await received).toMatchObject({ text: "患者心电图已上传，请查看" });
    const id = sent.ok ? sent.data.id : "";
    expect(await db.roomChatMessage.findUnique({ where: { id } })).toMatchObject({
      roomKind: "CONSULTATION",
      roomId: consultationId,
    });
    expect(await db.auditLog.count({ where: { action: "media.chat.send", entityId: consultationId } })).toBe(1);
    const history = await req<{ id: string }[]>(spec, "media:chat:history");
    expect(history.ok && history.data.map((m) => m.id)).toEqual([id]);
    // The specialist joining started the consultation (consultations' markStarted through the join hook).
    await new Promise((r) => setTimeout(r, 300));
    expect((await db.consultation.findUniqueOrThrow({ where: { id: consultationId } })).status).toBe("IN_PROGRESS");
    await req(doctor, "media:leave");
    await req(spec, "media:leave");
  });

  it("stores a message sent again under the same clientRef once, answering with the first copy; another sender's same clientRef is their own message", async () => {
    const { db, consultationId, doctor } = await roomWithDoctor();
    const spec = await open("spec.youtian.1");
    await req(spec, "media:join", { kind: "consultation", roomId: consultationId });
    const clientRef = randomUUID();
    const first = await req<{ id: string; sentAt: string }>(doctor, "media:chat:send", { text: "请看胸片", clientRef });
    // The acknowledgement was lost on the way (say): the console sends the same draft again.
    const again = await req<{ id: string; sentAt: string }>(doctor, "media:chat:send", { text: "请看胸片", clientRef });
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(again.data).toEqual(first.data);
    // A specialist who learnt the doctor's clientRef still only names a message of their own.
    const spoof = await req<{ id: string }>(spec, "media:chat:send", { text: "伪造", clientRef });
    expect(spoof.ok && spoof.data.id).not.toBe(first.data.id);
    const stored = await db.roomChatMessage.findMany({ where: { roomId: consultationId }, orderBy: { sentAt: "asc" } });
    expect(stored.map((m) => m.text)).toEqual(["请看胸片", "伪造"]);
    expect(await req(doctor, "media:chat:send", { text: "x", clientRef: "not-a-uuid" })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION_FAILED" },
    });
    await req(doctor, "media:leave");
    await req(spec, "media:leave");
  });

  it("cuts off a chat flood at 10 messages in 10 s: the rest is refused with RATE_LIMITED, never shown to the room, and not stored", async () => {
    const { db, consultationId, doctor } = await roomWithDoctor();
    const spec = await open("spec.youtian.1");
    await req(spec, "media:join", { kind: "consultation", roomId: consultationId });
    const shown: string[] = [];
    const withdrawn: string[] = [];
    spec.on("media:chat", (m: { text: string }) => shown.push(m.text));
    spec.on("media:chat:withdrawn", (m: { id: string }) => withdrawn.push(m.id));
    const acks = await Promise.all(
      Array.from({ length: 14 }, (_, i) => req(doctor, "media:chat:send", { text: `消息 ${i}` })),
    );
    expect(acks.filter((a) => a.ok)).toHaveLength(10);
    const refused = acks.filter((a) => !a.ok);
    expect(refused).toHaveLength(4);
    expect(refused[0]).toMatchObject({
      ok: false,
      error: { code: "RATE_LIMITED", message: "发送过于频繁，请稍后再试" },
    });
    expect(await db.roomChatMessage.count({ where: { roomId: consultationId } })).toBe(10);
    await req(spec, "media:chat:history"); // a round trip after the sends: everything emitted has arrived
    expect(shown).toHaveLength(10);
    expect(withdrawn).toEqual([]);
    await req(spec, "media:leave");
    await req(doctor, "media:leave");
  });

  it("stores a burst from two people, written together, each message with its audit row and in each sender's order", async () => {
    const { db, consultationId, doctor } = await roomWithDoctor();
    const spec = await open("spec.youtian.1");
    await req(spec, "media:join", { kind: "consultation", roomId: consultationId });
    const acks = await Promise.all(
      ["doctor", "spec"].flatMap((who) =>
        Array.from({ length: 5 }, (_, i) =>
          req<{ id: string }>(who === "doctor" ? doctor : spec, "media:chat:send", { text: `${who} ${i}` }),
        ),
      ),
    );
    expect(acks.every((a) => a.ok)).toBe(true);
    const stored = await db.roomChatMessage.findMany({ where: { roomId: consultationId }, orderBy: { sentAt: "asc" } });
    expect(stored).toHaveLength(10);
    for (const who of ["doctor", "spec"])
      expect(stored.filter((m) => m.text.startsWith(who)).map((m) => m.text)).toEqual(
        Array.from({ length: 5 }, (_, i) => `${who} ${i}`),
      );
    const audited = await db.auditLog.findMany({ where: { action: "media.chat.send", entityId: consultationId } });
    expect(new Set(audited.map((a) => (a.detail as { messageId: string }).messageId))).toEqual(
      new Set(stored.map((m) => m.id)),
    );
    expect(new Set(audited.map((a) => a.actorId)).size).toBe(2);
    await req(doctor, "media:leave");
    await req(spec, "media:leave");
  });
});

describe("network drops", () => {
  it("keeps a dropped peer through the grace window and resumes it with its key", async () => {
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    const spec = await open("spec.youtian.1");
    await req(spec, "media:join", { kind: "consultation", roomId: consultationId });
    const doctor = await open("doctor.hadashan", { reconnection: true });
    const first = await req<MediaJoinResult>(doctor, "media:join", { kind: "consultation", roomId: consultationId });
    if (!first.ok) throw new Error("join failed");
    let left = false;
    spec.on("media:peerLeft", () => (left = true));

    const back = new Promise<void>((r) => doctor.io.once("reconnect", () => r()));
    doctor.io.engine.close(); // the transport drops, as with a network failure
    await back;
    const again = await req<MediaJoinResult>(doctor, "media:join", {
      kind: "consultation",
      roomId: consultationId,
      resumeKey: first.data.resumeKey,
    });
    expect(again).toMatchObject({ ok: true, data: { resumed: true, peerId: first.data.peerId } });
    expect(left).toBe(false);

    // A drop longer than the grace window (3 s here) lets the peer go.
    doctor.io.reconnection(false);
    const gone = next(spec, "media:peerLeft", 8000);
    doctor.io.engine.close();
    expect(await gone).toEqual({ peerId: first.data.peerId });
    await req(spec, "media:leave");
  });

  it("a second connection of the same user replaces the first", async () => {
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    const tab1 = await open("doctor.hadashan");
    const tab2 = await open("doctor.hadashan");
    await req(tab1, "media:join", { kind: "consultation", roomId: consultationId });
    const replaced = next(tab1, "media:roomClosed");
    expect(await req(tab2, "media:join", { kind: "consultation", roomId: consultationId })).toMatchObject({ ok: true });
    expect(await replaced).toEqual({ reason: "replaced" });
    expect(await req(tab1, "media:createTransport", { direction: "recv" })).toMatchObject({
      ok: false,
      error: { code: "INVALID_STATE" },
    });
    await req(tab2, "media:leave");
  });

  it("closing a room (consultation ended) tells everyone in it", async () => {
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    const s = await open("doctor.hadashan");
    await req(s, "media:join", { kind: "consultation", roomId: consultationId });
    const closed = next(s, "media:roomClosed");
    await t.server.media.hub.closeRoom("consultation", consultationId);
    expect(await closed).toEqual({ reason: "ended" });
    expect(await req(s, "media:getRouterRtpCapabilities")).toMatchObject({
      ok: false,
      error: { code: "INVALID_STATE" },
    });
  });

  it("the consultation's session ending (request withdrawn) closes its room for everyone inside", async () => {
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    // The doctor waits in the booked room (a specialist joining would start it, and a started one cannot be withdrawn).
    const s = await open("doctor.hadashan");
    expect(await req(s, "media:join", { kind: "consultation", roomId: consultationId })).toMatchObject({ ok: true });
    const closed = next(s, "media:roomClosed");
    const { accessToken } = await t.login("doctor.hadashan");
    const r = await t.api(`/api/consultations/${consultationId}/cancel`, {
      token: accessToken,
      body: { reason: "患者已转院，撤回申请" },
    });
    expect(r.status).toBe(200);
    expect(await closed).toEqual({ reason: "ended" });
  });
});

describe("TURN credentials in the signalling answers", () => {
  it("join, ICE restart and transport reset each carry fresh per-user TURN REST API credentials", async () => {
    const secret = "signalling-test-turn-secret-of-40-characters";
    setConfig({
      TURN_ENABLED: true,
      TURN_SECRET: secret,
      TURN_HOST: "turn.example-hospital.cn",
      TURN_CREDENTIAL_TTL_S: 600,
    });
    try {
      const { consultationId } = await createConsultationRoom(testDb(), {
        requester: "doctor.hadashan",
        specialists: ["spec.youtian.1"],
      });
      const doctor = await open("doctor.hadashan");
      const me = await userId(testDb(), "doctor.hadashan");
      const join = await req<MediaJoinResult>(doctor, "media:join", { kind: "consultation", roomId: consultationId });
      if (!join.ok) throw new Error(join.error.message);
      const [server] = join.data.iceServers;
      expect(server!.urls).toContain("turns:turn.example-hospital.cn:443?transport=tcp");
      const [expiry, user] = server!.username!.split(":");
      expect(user).toBe(me.id);
      expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(590);
      expect(server!.credential).toBe(createHmac("sha1", secret).update(server!.username!).digest("base64"));

      const transport = await req<{ id: string }>(doctor, "media:createTransport", { direction: "recv" });
      if (!transport.ok) throw new Error(transport.error.message);
      const restart = await req<MediaRestartIceResult>(doctor, "media:restartIce", { transportId: transport.data.id });
      expect(restart).toMatchObject({
        ok: true,
        data: {
          iceParameters: expect.any(Object),
          iceServers: [expect.objectContaining({ username: expect.stringMatching(`:${me.id}$`) })],
        },
      });
      // Falling back to TURN-only: the old transports go, the room's producers come back to be consumed again.
      const reset = await req<MediaResetTransportsResult>(doctor, "media:resetTransports", {});
      expect(reset).toMatchObject({
        ok: true,
        data: {
          producers: [],
          consumers: [],
          transports: { recv: expect.any(Object) },
          iceServers: [expect.any(Object)],
        },
      });
      const stale = await req(doctor, "media:restartIce", { transportId: transport.data.id });
      expect(stale).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
      await req(doctor, "media:leave");
    } finally {
      setConfig({ TURN_ENABLED: false });
    }
  });
});
