// A drop longer than the server's grace window: the server lets the peer go, and the SDK rejoins as a new peer
// by itself — new transports, its camera and microphone published again — and media flows within 5 s.
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
  pageEvents,
  waitFor,
  type Participant,
} from "./helpers";

jest.setTimeout(60_000);

describe("rejoin after the grace window", () => {
  let ts: TestServer;
  let browser: Browser;
  let doctor: Participant;
  let specialist: Participant;
  let roomId: string;

  beforeAll(async () => {
    await ensureSdkBuilt();
    ts = await startTestServer({ MEDIA_PEER_GRACE_MS: "1000" });
    browser = await launchBrowser();
    ({ consultationId: roomId } = await createConsultationRoom(testDb(), {
      requester: "doctor.nongan",
      specialists: ["spec.jdyy.1"],
    }));
    doctor = await openParticipant(browser, ts.baseUrl, (await ts.login("doctor.nongan")).accessToken);
    specialist = await openParticipant(browser, ts.baseUrl, (await ts.login("spec.jdyy.1")).accessToken);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => setTimeout(r, 500));
    await ts?.stop();
    await closeTestDb();
  });

  it("rebuilds transports and publications, and media flows again within 5 s", async () => {
    for (const p of [doctor, specialist]) {
      expect(await joinInPage(p, roomId)).toEqual({ ok: true });
      await p.page.evaluate(async () => {
        const room = (window as any).yl.room;
        await room.publishCamera();
        await room.publishMicrophone();
      });
    }
    const oldDoctorPeer = await doctor.page.evaluate(() => (window as any).yl.room.peerId);
    await flowing(specialist, (t) => t.peerId === oldDoctorPeer && t.source === "camera");

    await doctor.context.setOffline(true);
    // The grace window (1 s here) runs out: the specialist sees the doctor leave.
    await waitFor(
      "the doctor to be let go",
      async () => (await pageEvents(specialist)).some((x) => x.ev === "peerLeft"),
      15_000,
    );
    await doctor.context.setOffline(false);
    const restoredAt = Date.now();

    const newDoctorPeer = await waitFor(
      "the doctor to rejoin",
      async () => {
        const r = (await pageEvents(doctor)).find((x) => x.ev === "reconnected");
        return r ? ((await doctor.page.evaluate(() => (window as any).yl.room.peerId)) as string) : undefined;
      },
      5_000,
    );
    expect(newDoctorPeer).not.toBe(oldDoctorPeer);
    expect((await pageEvents(doctor)).find((x) => x.ev === "reconnected")?.e).toEqual({ resumed: false });
    const specPeer = await specialist.page.evaluate(() => (window as any).yl.room.peerId);
    const left = 5_000 - (Date.now() - restoredAt);
    await Promise.all([
      flowing(specialist, (t) => t.peerId === newDoctorPeer && t.source === "camera", left),
      flowing(specialist, (t) => t.peerId === newDoctorPeer && t.source === "microphone", left),
      flowing(doctor, (t) => t.peerId === specPeer && t.source === "camera", left),
    ]);
    expect(Date.now() - restoredAt).toBeLessThan(5_000);
  });
});
