// When the direct path fails the SDK goes through TURN by itself. The sandbox's firewall imitates a hospital
// middlebox that passes ICE connectivity checks (STUN) to the media server but drops DTLS and media: ICE "works",
// the transport never connects, and after the SDK's timeout the room rebuilds its transports relay-only (TURN over
// TLS 443) and the call flows. A hospital that demands relay gets it with `iceTransportPolicy: "relay"`.
import { closeTestDb, testDb } from "../helpers/db";
import { openLinkCall, startLinkLab, TURN_PORT, type LinkCall, type LinkLab } from "../helpers/links";
import {
  ensureSdkBuilt,
  flowing,
  joinInPage,
  pageEvents,
  peerIdOf,
  waitFor,
  type Participant,
} from "../browser/helpers";

jest.setTimeout(120_000);

describe("relay fallback and relay-only policy", () => {
  let lab: LinkLab;
  let call: LinkCall;
  let doctor: Participant;
  let specialist: Participant;
  let roomId: string;

  beforeAll(async () => {
    await ensureSdkBuilt();
    lab = await startLinkLab();
    const { sandbox } = lab;
    lab.sandbox.allow([lab.signalling, lab.tls443]);
    // Add the middlebox: UDP to the media server passes only when it is STUN (first byte 0 or 1), never to TURN;
    // DTLS and SRTP are dropped even on a flow that STUN opened. Rules go to the top of the chain, in reverse.
    const rule = (...r: string[]) => {
      const res = sandbox.exec([
        "nft",
        "insert",
        "rule",
        "inet",
        "sandbox",
        "output",
        "ip",
        "daddr",
        sandbox.hostIp,
        "udp",
        "dport",
        `!= ${TURN_PORT}`,
        ...r,
      ]);
      if (res.status !== 0) throw new Error(`nft: ${res.stderr}`);
    };
    rule("accept");
    rule("@th,64,8", "gt", "1", "drop");
    call = await openLinkCall(lab, testDb());
    ({ roomId, doctor, specialist } = call);
  });

  afterAll(async () => {
    await call?.close();
    await lab?.close();
    await closeTestDb();
  });

  it("a hospital that demands relay: iceTransportPolicy 'relay' sends media through TURN on an open network", async () => {
    const joined = await specialist.page.evaluate(async (roomId) => {
      const yl = (window as any).yl;
      yl.watch(await yl.client.joinRoom(roomId, { iceTransportPolicy: "relay" }));
      await yl.room.publishCamera();
      await yl.room.publishMicrophone();
      return true;
    }, roomId);
    expect(joined).toBe(true);
    const link = await specialist.page.evaluate(async () => {
      for (let i = 0; i < 100; i++) {
        const l = (window as any).yl.room.linkStats();
        if (l.rttMs !== undefined) return l;
        await new Promise((r) => setTimeout(r, 200));
      }
      return (window as any).yl.room.linkStats();
    });
    expect(link.relayed).toBe(true);
  });

  it("ICE checks pass but media is dropped: the doctor's room falls back to TURN/TLS 443 and decodes the specialist", async () => {
    expect(await joinInPage(doctor, roomId)).toEqual({ ok: true });
    await doctor.page.evaluate(() => (window as any).yl.room.publishMicrophone());
    const specPeer = await peerIdOf(specialist);
    const doctorPeer = await peerIdOf(doctor);
    const video = await flowing(doctor, (t) => t.peerId === specPeer && t.source === "camera", 60_000);
    expect(video.framesDecoded).toBeGreaterThan(0);
    await flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "microphone", 30_000);
    const fallbacks = (await pageEvents(doctor)).filter((e) => e.ev === "relayFallback");
    expect(fallbacks.length).toBeGreaterThanOrEqual(1);
    expect(fallbacks[0]!.e).toMatchObject({ policy: "all" });
    // The next quality sample with a selected candidate pair on the rebuilt transports.
    const link = await waitFor(
      "a link sample",
      async () => {
        const l = await doctor.page.evaluate(() => (window as any).yl.room.linkStats());
        return l.rttMs !== undefined && l.relayed ? l : undefined;
      },
      10_000,
      250,
    );
    expect(link).toMatchObject({ relayed: true, relayProtocol: "tls" });
  });
});
