// A training broadcast in real Chromium through the SDK bundle: a lecturer and three township viewers. Viewers
// decode the lecture (spread over both mediasoup workers through piped routers); a viewer cannot publish; raise
// hand → promote → the others hear the viewer → demote (the server closes the viewer's producer and refuses the
// next one); a viewer's network drops and comes back and their attendance stays one continuous record.
import type { Browser } from "playwright-core";
import type { BroadcastRoom, MediaService } from "@yilian/media";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import {
  ensureSdkBuilt,
  flowing,
  inbound,
  launchBrowser,
  pageEvents,
  peerIdOf,
  waitFor,
  type Participant,
} from "../browser/helpers";
import { goLive, openLecture, publishMic, request } from "./live-page";

jest.setTimeout(90_000);

describe("training broadcast in Chromium", () => {
  let ts: TestServer;
  let browser: Browser;
  let lecturer: Participant;
  let viewers: Participant[];
  let viewerIds: string[];
  let sessionId: string;
  let lecturerToken: string;

  beforeAll(async () => {
    await ensureSdkBuilt();
    ts = await startTestServer({ MEDIA_WEBRTC_PORT: "0", MEDIA_WORKERS: "2", MEDIA_PEER_GRACE_MS: "20000" });
    browser = await launchBrowser();
    ({ sessionId, lecturerToken, lecturer, viewers, viewerIds } = await openLecture(ts, browser, 5));
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => setTimeout(r, 500));
    await ts?.stop();
    await closeTestDb();
  });

  it("viewers decode the lecture, received through routers on both workers", async () => {
    await goLive({ sessionId, lecturer, viewers });
    const lecturerPeer = await peerIdOf(lecturer);
    const videos = await Promise.all(
      viewers.map((v) => flowing(v, (t) => t.peerId === lecturerPeer && t.source === "camera", 30_000)),
    );
    for (const v of videos) expect(v.framesDecoded).toBeGreaterThan(0);
    await Promise.all(
      viewers.map((v) => flowing(v, (t) => t.peerId === lecturerPeer && t.source === "microphone", 30_000)),
    );

    const media = (await ts.server.media.hub.started!) as MediaService;
    const room = media.roomObject(`training:${sessionId}`) as BroadcastRoom;
    expect(room.edgeRouters()).toHaveLength(2);
    const workers = new Set(await Promise.all(viewers.map(async (v) => room.linkOf(await peerIdOf(v))!.workerIndex)));
    expect(workers.size).toBe(2);
  });

  it("a viewer's attempt to publish is refused by the server", async () => {
    // A tampered client that skips its own permission check: the server refuses the produce.
    const r = await publishMic(viewers[0]!, true);
    expect(r).toMatchObject({ ok: false, code: "FORBIDDEN", message: expect.stringContaining("请先举手") });
  });

  it("raise hand → promote → the others hear the viewer → demote closes the viewer's microphone", async () => {
    const [a, b, c] = viewers as [Participant, Participant, Participant];
    expect(await request(a, "training:hand-raise", { sessionId })).toMatchObject({
      ok: true,
      data: { status: "RAISED" },
    });
    // Viewers cannot promote each other.
    expect(await request(b, "training:promote", { sessionId, userId: viewerIds[0] })).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
    });
    expect(await request(lecturer, "training:promote", { sessionId, userId: viewerIds[0] })).toMatchObject({
      ok: true,
    });
    await waitFor("viewer b to learn that a speaks", async () =>
      (await pageEvents(b)).some((x) => x.ev === "training:speaker" && x.e.speaking),
    );

    expect(await publishMic(a)).toEqual({ ok: true });
    const aPeer = await peerIdOf(a);
    const lecturerPeer = await peerIdOf(lecturer);
    // The others (and the lecturer) hear the promoted viewer.
    await Promise.all(
      [b, c, lecturer].map((p) => flowing(p, (t) => t.peerId === aPeer && t.source === "microphone", 20_000)),
    );

    expect(await request(lecturer, "training:demote", { sessionId, userId: viewerIds[0] })).toMatchObject({ ok: true });
    await waitFor(
      "a's microphone to end at b",
      async () => !(await inbound(b)).some((t) => t.peerId === aPeer),
      10_000,
    );
    await waitFor(
      "a's microphone to end at c",
      async () => !(await inbound(c)).some((t) => t.peerId === aPeer),
      10_000,
    );
    expect(await publishMic(a, true)).toMatchObject({
      ok: false,
      code: "FORBIDDEN",
      message: expect.stringContaining("请先举手"),
    });
    // The lecture itself goes on.
    await flowing(b, (t) => t.peerId === lecturerPeer && t.source === "camera");
  });

  it("audio-only mode: a viewer on a very weak link asks for it; the server pauses their video, then resumes it", async () => {
    const b = viewers[1]!;
    const media = (await ts.server.media.hub.started!) as MediaService;
    const room = media.roomObject(`training:${sessionId}`) as BroadcastRoom;
    const bPeer = await peerIdOf(b);
    const videoPaused = () =>
      [...room.peers.get(bPeer)!.consumers.values()].filter((c) => c.kind === "video").every((c) => c.paused);
    expect(await request(b, "training:audio-only", { sessionId, enabled: true })).toMatchObject({ ok: true });
    expect(room.linkOf(bPeer)).toMatchObject({ audioOnlyRequested: true });
    expect(videoPaused()).toBe(true);
    const lecturerPeer = await peerIdOf(lecturer);
    await flowing(b, (t) => t.peerId === lecturerPeer && t.source === "microphone"); // the lecture is still heard
    expect(await request(b, "training:audio-only", { sessionId, enabled: false })).toMatchObject({ ok: true });
    expect(videoPaused()).toBe(false);
    await flowing(b, (t) => t.peerId === lecturerPeer && t.source === "camera");
  });

  it("a viewer's network drops and comes back: media resumes and attendance stays one continuous record", async () => {
    const c = viewers[2]!;
    await c.context.setOffline(true);
    await waitFor(
      "c to notice the drop",
      async () => (await pageEvents(c)).some((x) => x.ev === "reconnecting"),
      30_000,
    );
    await c.context.setOffline(false);
    await waitFor("c to reconnect", async () => (await pageEvents(c)).some((x) => x.ev === "reconnected"), 30_000);
    const lecturerPeer = await peerIdOf(lecturer);
    await flowing(c, (t) => t.peerId === lecturerPeer && t.source === "camera", 20_000);

    const att = await waitFor(
      "the rejoin to be recorded",
      async () => {
        const row = await testDb().trainingAttendance.findUnique({
          where: { sessionId_userId: { sessionId, userId: viewerIds[2]! } },
        });
        return row && row.joins >= 2 && row.lastLeaveAt === null ? row : undefined;
      },
      20_000,
    );
    expect(att.intervals).toHaveLength(1);
    expect(await testDb().trainingAttendance.count({ where: { sessionId, userId: viewerIds[2]! } })).toBe(1);
    const kinds = (
      await testDb().trainingPresenceEvent.findMany({
        where: { sessionId, userId: viewerIds[2]! },
        orderBy: { id: "asc" },
      })
    ).map((e) => e.kind);
    expect(kinds).toEqual(["JOIN", "LEAVE", "JOIN"]);
  });

  it("the lecturer ends the session: its media room closes for everyone and the running recording stops", async () => {
    const rec = await ts.api("/api/recordings", {
      token: lecturerToken,
      body: { subject: "TRAINING", subjectId: sessionId },
    });
    expect(rec.status).toBe(201);
    const ended = await ts.api(`/api/training/sessions/${sessionId}/end`, { token: lecturerToken, method: "POST" });
    expect(ended.status).toBe(200);
    for (const p of [lecturer, ...viewers]) {
      const closed = await waitFor(
        "the room to close",
        async () => (await pageEvents(p)).find((x) => x.ev === "closed"),
        10_000,
      );
      expect(closed.e).toMatchObject({ reason: "ended" });
    }
    expect(await (await ts.server.media.hub.media()).hasRoom(`training:${sessionId}`)).toBe(false);
    const stopped = await waitFor(
      "the recording to stop",
      async () => {
        const row = await testDb().recording.findUniqueOrThrow({ where: { id: rec.body.id } });
        return row.status !== "RECORDING" ? row : undefined;
      },
      20_000,
    );
    expect(stopped.status).toBe("PROCESSING");
    expect(stopped.stoppedAt).not.toBeNull();
  });
});
