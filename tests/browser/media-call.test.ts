// A consultation call in real Chromium through the SDK bundle: the township doctor and the specialist see and
// hear each other, share a screen, mute; an outsider is refused; a dropped network and a killed mediasoup
// worker both recover by themselves.
import type { Browser } from "playwright-core";
import type { MediaService } from "@yilian/media";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { createConsultationRoom } from "../media/fixtures";
import {
  ensureSdkBuilt,
  flowing,
  inbound,
  joinInPage,
  launchBrowser,
  openParticipant,
  pageEvents,
  waitFor,
  type Participant,
} from "./helpers";

jest.setTimeout(60_000);

describe("consultation call in Chromium", () => {
  let ts: TestServer;
  let browser: Browser;
  let doctor: Participant;
  let specialist: Participant;
  let roomId: string;

  beforeAll(async () => {
    await ensureSdkBuilt();
    ts = await startTestServer({ MEDIA_WEBRTC_PORT: "0", MEDIA_WORKERS: "2", MEDIA_PEER_GRACE_MS: "20000" });
    browser = await launchBrowser();
    ({ consultationId: roomId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    }));
    const [d, s] = await Promise.all([ts.login("doctor.hadashan"), ts.login("spec.youtian.1")]);
    doctor = await openParticipant(browser, ts.baseUrl, d.accessToken);
    specialist = await openParticipant(browser, ts.baseUrl, s.accessToken);
  });

  afterAll(async () => {
    await browser?.close();
    // Let the server finish handling the sockets' disconnects (presence writes) before it closes Redis.
    await new Promise((r) => setTimeout(r, 500));
    await ts?.stop();
    await closeTestDb();
  });

  const publish = (p: Participant) =>
    p.page.evaluate(async () => {
      const room = (window as any).yl.room;
      await room.publishCamera();
      await room.publishMicrophone();
    });

  it("the doctor and the specialist each decode the other's video and audio", async () => {
    expect(await joinInPage(doctor, roomId)).toEqual({ ok: true });
    expect(await joinInPage(specialist, roomId)).toEqual({ ok: true });
    await Promise.all([publish(doctor), publish(specialist)]);

    const doctorPeer = await doctor.page.evaluate(() => (window as any).yl.room.peerId);
    const specPeer = await specialist.page.evaluate(() => (window as any).yl.room.peerId);
    const [dv, da, sv, sa] = await Promise.all([
      flowing(doctor, (t) => t.peerId === specPeer && t.source === "camera"),
      flowing(doctor, (t) => t.peerId === specPeer && t.source === "microphone"),
      flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "camera"),
      flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "microphone"),
    ]);
    expect(dv.framesDecoded).toBeGreaterThan(0);
    expect(sv.framesDecoded).toBeGreaterThan(0);
    expect(da.packetsReceived).toBeGreaterThan(0);
    expect(sa.packetsReceived).toBeGreaterThan(0);
    // The fake microphones beep: the server's active-speaker observer names someone.
    await waitFor("an active speaker", async () =>
      [...(await pageEvents(doctor)), ...(await pageEvents(specialist))].some(
        (x) => x.ev === "activeSpeaker" && [doctorPeer, specPeer].includes(x.e.peerId),
      ),
    );
    // Each sees the other in the room.
    expect(
      await doctor.page.evaluate(() => [...(window as any).yl.room.peers.values()].map((p: any) => p.role)),
    ).toEqual(["SPECIALIST"]);
  });

  it("a screen share arrives as its own track, and mute is seen by the other side", async () => {
    await specialist.page.evaluate(() => (window as any).yl.room.shareScreen());
    const screen = await flowing(doctor, (t) => t.source === "screen");
    expect(screen.framesDecoded).toBeGreaterThan(0);
    // The camera keeps flowing next to it.
    expect((await inbound(doctor)).filter((t) => t.kind === "video")).toHaveLength(2);

    await doctor.page.evaluate(() => (window as any).yl.room.mute("microphone"));
    await waitFor("the specialist to see the mute", async () =>
      (await pageEvents(specialist)).some((x) => x.ev === "mute" && x.e.source === "microphone" && x.e.muted === true),
    );
    expect((await inbound(specialist)).find((t) => t.source === "microphone")!.muted).toBe(true);
    await doctor.page.evaluate(() => (window as any).yl.room.unmute("microphone"));
    await waitFor("the specialist to see the unmute", async () =>
      (await pageEvents(specialist)).some((x) => x.ev === "mute" && x.e.source === "microphone" && x.e.muted === false),
    );

    await specialist.page.evaluate(() => (window as any).yl.room.stopScreenShare());
    await waitFor("the screen track to end", async () => !(await inbound(doctor)).some((t) => t.source === "screen"));
  });

  it("refuses a user who is not a participant", async () => {
    const outsider = await openParticipant(browser, ts.baseUrl, (await ts.login("spec.jdyy.1")).accessToken);
    try {
      expect(await joinInPage(outsider, roomId)).toMatchObject({ ok: false, code: "NOT_FOUND" });
      // Nobody in the room saw them.
      expect((await pageEvents(doctor)).filter((x) => x.ev === "peerJoined")).toHaveLength(1);
    } finally {
      await outsider.context.close();
    }
  });

  it("recovers media within 5 s after the doctor's network drops and comes back", async () => {
    await doctor.context.setOffline(true);
    await waitFor(
      "the doctor's client to notice the drop",
      async () => (await pageEvents(doctor)).some((x) => x.ev === "reconnecting"),
      20_000,
    );
    const before = await inbound(doctor);
    await doctor.context.setOffline(false);
    const restoredAt = Date.now();
    const specPeer = await specialist.page.evaluate(() => (window as any).yl.room.peerId);
    const cam = before.find((t) => t.source === "camera");
    // Frames keep coming on the doctor's side and the specialist's side both.
    await waitFor(
      "video to flow again at the doctor",
      async () => {
        const now = (await inbound(doctor)).find((t) => t.peerId === specPeer && t.source === "camera");
        return now && now.framesDecoded > (cam?.framesDecoded ?? 0) + 5;
      },
      5_000,
    );
    const doctorPeer = await doctor.page.evaluate(() => (window as any).yl.room.peerId);
    const sBefore = (await inbound(specialist)).find((t) => t.peerId === doctorPeer && t.source === "camera");
    await waitFor(
      "video to flow again at the specialist",
      async () => {
        const now = (await inbound(specialist)).find((t) => t.peerId === doctorPeer && t.source === "camera");
        return now && now.framesDecoded > (sBefore?.framesDecoded ?? 0) + 5;
      },
      Math.max(500, 5_000 - (Date.now() - restoredAt)),
    );
    expect(Date.now() - restoredAt).toBeLessThan(5_000);
    // The server kept the peer through the drop: same peer, transports restarted rather than rebuilt.
    expect((await pageEvents(doctor)).find((x) => x.ev === "reconnected")?.e).toEqual({ resumed: true });
  });

  it("replaces a killed mediasoup worker and the call resumes", async () => {
    const media = (await ts.server.media.hub.started!) as MediaService;
    const worker = media.workerOf(`consultation:${roomId}`)!;
    const deadPid = worker.worker.pid;
    process.kill(deadPid, "SIGKILL");
    await waitFor(
      "a replacement worker",
      async () => media.workerOf(`consultation:${roomId}`)?.worker.pid !== deadPid,
      10_000,
    );
    const specPeer = await specialist.page.evaluate(() => (window as any).yl.room.peerId);
    const doctorPeer = await doctor.page.evaluate(() => (window as any).yl.room.peerId);
    await Promise.all([
      flowing(doctor, (t) => t.peerId === specPeer && t.source === "camera", 15_000),
      flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "camera", 15_000),
      flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "microphone", 15_000),
    ]);
    expect(media.pool.workers).toHaveLength(2);
  });
});
