// The fast join must not silently decay: between joinRoom() and the remote camera's track, the SDK waits on one
// signalling answer (media:join, carrying transports and consumers); the only other message is the receive
// transport's DTLS fingerprint, which nothing waits on. The camera then decodes.
import type { Browser } from "playwright-core";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { createConsultationRoom } from "../media/fixtures";
import {
  ensureSdkBuilt,
  flowing,
  joinInPage,
  launchBrowser,
  openParticipant,
  peerIdOf,
  type Participant,
} from "./helpers";

jest.setTimeout(60_000);

describe("joining a room with a camera in it", () => {
  let ts: TestServer;
  let browser: Browser;
  let doctor: Participant;
  let specialist: Participant;
  let roomId: string;

  beforeAll(async () => {
    await ensureSdkBuilt();
    ts = await startTestServer({ MEDIA_WEBRTC_PORT: "0", MEDIA_WORKERS: "1" });
    browser = await launchBrowser();
    ({ consultationId: roomId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    }));
    doctor = await openParticipant(browser, ts.baseUrl, (await ts.login("doctor.hadashan")).accessToken);
    specialist = await openParticipant(browser, ts.baseUrl, (await ts.login("spec.youtian.1")).accessToken);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => setTimeout(r, 500));
    await ts?.stop();
    await closeTestDb();
  });

  it("takes a single signalling round trip before consuming", async () => {
    expect(await joinInPage(doctor, roomId)).toEqual({ ok: true });
    await doctor.page.evaluate(() => (window as any).yl.room.publishCamera());
    const sent = await specialist.page.evaluate(async (roomId) => {
      const yl = (window as any).yl;
      await yl.client.mediaDevice(); // loaded while the socket connected
      const log: string[] = [];
      const socket = yl.client.socket;
      const emit = socket.emit.bind(socket);
      socket.emit = (ev: string, ...args: unknown[]) => (log.push(ev), emit(ev, ...args));
      const room = await yl.client.joinRoom(roomId);
      yl.watch(room);
      const camera = () => [...room.tracks.values()].find((t: any) => t.source === "camera");
      if (!camera()) await new Promise<void>((r) => room.on("track", () => camera() && r()));
      const before = [...log];
      socket.emit = emit;
      return before;
    }, roomId);
    // media:resumeConsumer follows the track; nothing before it may be a request the join waits on.
    expect(sent.filter((ev) => ev !== "media:resumeConsumer")).toEqual(["media:join", "media:connectTransport"]);
    const doctorPeer = await peerIdOf(doctor);
    expect(
      (await flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "camera")).framesDecoded,
    ).toBeGreaterThan(0);
  });
});
