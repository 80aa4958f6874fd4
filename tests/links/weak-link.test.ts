// A township doctor on a weak line (5 % loss, 150 ms RTT, 600 kb/s each way): Chromium in a network namespace whose
// only way to media is TURN over UDP through an impairing relay (helpers/impair.ts). The link-quality monitor sees
// the weak link, the specialist's camera drops to the lowest simulcast layer while audio keeps playing (Opus FEC),
// the specialist keeps sending its upper layers (its own line is fine), and the camera comes back to the layer it
// had once the line recovers.
import { closeTestDb, testDb } from "../helpers/db";
import { startImpairingRelay, TOWNSHIP_4G, type ImpairingRelay } from "../helpers/impair";
import {
  audioContinuityPct,
  openLinkCall,
  receivedFrom,
  speakingMicrophone,
  startLinkLab,
  TURN_PORT,
  type LinkCall,
  type LinkLab,
} from "../helpers/links";
import {
  ensureSdkBuilt,
  flowing,
  joinInPage,
  pageEvents,
  peerIdOf,
  waitFor,
  type Participant,
} from "../browser/helpers";

jest.setTimeout(180_000);

const RELAY_PORT = TURN_PORT + 1;

/** Bytes sent so far of each layer (rid) of a participant's camera. */
const cameraBytesSentByLayer = (p: Participant) =>
  p.page.evaluate(async () => {
    const report: RTCStatsReport = await (window as any).yl.room.transports.send.getStats();
    const sent: Record<string, number> = {};
    report.forEach((s: any) => {
      if (s.type === "outbound-rtp" && s.kind === "video" && s.rid) sent[s.rid] = s.bytesSent ?? 0;
    });
    return sent;
  });

describe("weak township link", () => {
  let lab: LinkLab;
  let relay: ImpairingRelay;
  let call: LinkCall;
  let doctor: Participant;
  let specialist: Participant;
  let specPeer: string;

  beforeAll(async () => {
    await ensureSdkBuilt();
    // Everyone is given TURN over UDP through the relay; only the sandboxed doctor has no other way.
    lab = await startLinkLab({ turnUrls: (ip) => [`turn:${ip}:${RELAY_PORT}?transport=udp`] });
    relay = await startImpairingRelay({
      listenIp: lab.sandbox.hostIp,
      listenPort: RELAY_PORT,
      targetIp: lab.sandbox.hostIp,
      targetPort: TURN_PORT,
    });
    lab.sandbox.allow([lab.signalling, { proto: "udp", ip: lab.sandbox.hostIp, port: RELAY_PORT }]);
    call = await openLinkCall(lab, testDb(), { specialistArgs: speakingMicrophone() });
    ({ doctor, specialist } = call);
    const consultationId = call.roomId;
    expect(await joinInPage(specialist, consultationId)).toEqual({ ok: true });
    await specialist.page.evaluate(async () => {
      const room = (window as any).yl.room;
      await room.publishCamera();
      await room.publishMicrophone();
    });
    expect(await joinInPage(doctor, consultationId)).toEqual({ ok: true });
    await doctor.page.evaluate(() => (window as any).yl.room.publishMicrophone());
    specPeer = await peerIdOf(specialist);
    await flowing(doctor, (t) => t.peerId === specPeer && t.source === "camera", 30_000);
  });

  afterAll(async () => {
    await call?.close();
    await relay?.close();
    await lab?.close();
    await closeTestDb();
  });

  it("drops the camera to the lowest layer on the weak link, keeps audio playing, and comes back on recovery", async () => {
    // A clean start (also when CI retries this test after an attempt that failed while impaired): the camera
    // climbs above the lowest layer (as far as this machine's encoder allows).
    relay.impair(null);
    const clean = await waitFor(
      "the camera above the lowest layer",
      async () => {
        const r = await receivedFrom(doctor, specPeer);
        return (r.spatialLayer ?? 0) >= 1 && r.relayed ? r : undefined;
      },
      40_000,
      500,
    );
    const cleanLayer = clean.spatialLayer!;

    relay.impair(TOWNSHIP_4G);
    const weakAt = Date.now();
    const poor = await waitFor(
      "the doctor's link to be seen as weak",
      async () => {
        const r = await receivedFrom(doctor, specPeer);
        return r.localQuality !== "good" ? r : undefined;
      },
      30_000,
      250,
    );
    const weakSeenAfter = Date.now() - weakAt;
    // The impaired line's round trip (a collapse of the line may be seen before it is measured).
    if ((poor.rttMs ?? 0) < 120)
      await waitFor(
        "the impaired line's round trip",
        async () => ((await receivedFrom(doctor, specPeer)).rttMs ?? 0) >= 120,
        15_000,
        250,
      );
    await waitFor(
      "the lowest layer",
      async () => (await receivedFrom(doctor, specPeer)).spatialLayer === 0,
      20_000,
      500,
    );
    const lowAt = await receivedFrom(doctor, specPeer);
    const specialistSentBefore = await cameraBytesSentByLayer(specialist);
    await new Promise((r) => setTimeout(r, 15_000));
    const weakEnd = await receivedFrom(doctor, specPeer);
    // Only the doctor's line is weak: the specialist (whose only incoming media, the doctor's, arrives lossy) still
    // sends the upper layer it sent before, for everyone else in the room.
    const specialistSent = await cameraBytesSentByLayer(specialist);
    const top = `r${cleanLayer}`;
    expect((specialistSent[top] ?? 0) - (specialistSentBefore[top] ?? 0)).toBeGreaterThan(100_000);
    const specialistOwn = await specialist.page.evaluate(() => {
      const room = (window as any).yl.room;
      return room.connectionQualities().find((q: any) => q.local);
    });
    expect(specialistOwn.sending).toBe("good");
    // Audio stays continuous through 5 % loss; video keeps decoding at the low layer.
    const sender = await specialist.page.evaluate(async () => {
      const report: RTCStatsReport = await (window as any).yl.room.transports.send.getStats();
      const out: any[] = [];
      report.forEach(
        (s: any) =>
          (s.type === "remote-inbound-rtp" || (s.type === "outbound-rtp" && s.kind === "audio")) && out.push(s),
      );
      return out.map((s) => ({
        type: s.type,
        kind: s.kind,
        fractionLost: s.fractionLost,
        targetBitrate: s.targetBitrate,
        packetsSent: s.packetsSent,
      }));
    });
    console.log("relay", JSON.stringify(relay.stats()), "sender", JSON.stringify(sender));
    // The bench (npm run bench -- links) reports the exact figure; here: no audible drop-outs.
    expect(audioContinuityPct(lowAt, weakEnd)).toBeGreaterThanOrEqual(90);
    expect(weakEnd.framesDecoded).toBeGreaterThan(lowAt.framesDecoded + 100);
    expect(weakEnd.spatialLayer).toBe(0);
    expect(relay.stats().down.dropped).toBeGreaterThan(0);
    console.log(
      `weak link: seen after ${weakSeenAfter} ms; audio continuity ${audioContinuityPct(lowAt, weakEnd).toFixed(2)} %;` +
        ` freezes ${weakEnd.freezeCount - lowAt.freezeCount} in 15 s; audio NACKs ${weakEnd.audioNacks - lowAt.audioNacks}`,
    );

    relay.impair(null);
    const recoveredAt = Date.now();
    await waitFor(
      "the camera back to its layer",
      async () => ((await receivedFrom(doctor, specPeer)).spatialLayer ?? -1) >= cleanLayer,
      60_000,
      500,
    );
    console.log(`recovered to layer ${cleanLayer} in ${Date.now() - recoveredAt} ms`);
    // The camera comes back once what arrives is clean; the indicator, the worse of both directions, once what the
    // doctor sends is reported clean as well (the media server's receiver reports come every few seconds).
    const localChanges = await waitFor(
      "the doctor's link shown good again",
      async () => {
        const changes = (await pageEvents(doctor))
          .filter((e) => e.ev === "connectionQuality" && e.e.local)
          .map((e) => e.e as { quality: string; receiving: string; sending: string });
        return changes.at(-1)?.quality === "good" ? changes : undefined;
      },
      30_000,
      500,
    );
    console.log(`local link quality: ${localChanges.map((c) => `${c.receiving}/${c.sending}`).join(" → ")}`);
    expect(localChanges.map((c) => c.receiving)).toEqual(expect.arrayContaining(["poor", "good"]));
  });
});
