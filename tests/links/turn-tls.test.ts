// A township doctor behind a hospital firewall that only lets TCP 443 out: Chromium in a network namespace whose
// nftables rules drop everything but signalling and TURN over TLS on 443. The call still works, through coturn,
// and coturn refuses TURN credentials that are forged or expired.
import { turnCredential } from "../../server/src/turn/credentials";
import { closeTestDb, testDb } from "../helpers/db";
import { sandboxSupported } from "../helpers/netns";
import { openLinkCall, startLinkLab, TURN_PORT, TURN_TLS_PORT, type LinkCall, type LinkLab } from "../helpers/links";
import { ensureSdkBuilt, flowing, joinInPage, peerIdOf, type Participant } from "../browser/helpers";

jest.setTimeout(90_000);

const unsupported = sandboxSupported();
if (unsupported) throw new Error(`tests/links need network namespaces: ${unsupported}`);

/** Gathers ICE candidates in the page against one TURN server; returns relay candidates and candidate errors. */
async function gather(p: Participant, server: { urls: string; username: string; credential: string }) {
  return p.page.evaluate(async (server) => {
    const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: "relay" });
    const relays: string[] = [];
    const errors: { errorCode: number; errorText: string; url: string }[] = [];
    pc.onicecandidate = (e) => e.candidate?.candidate && relays.push(e.candidate.candidate);
    pc.onicecandidateerror = (e: any) => errors.push({ errorCode: e.errorCode, errorText: e.errorText, url: e.url });
    pc.createDataChannel("probe");
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 15_000);
      pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && (clearTimeout(timer), resolve());
    });
    pc.close();
    return { relays, errors };
  }, server);
}

describe("TURN over TLS 443 from a network that blocks UDP", () => {
  let lab: LinkLab;
  let call: LinkCall;
  let doctor: Participant;
  let specialist: Participant;
  let roomId: string;

  beforeAll(async () => {
    await ensureSdkBuilt();
    lab = await startLinkLab();
    lab.sandbox.allow([lab.signalling, lab.tls443]);
    call = await openLinkCall(lab, testDb());
    ({ roomId, doctor, specialist } = call);
  });

  afterAll(async () => {
    await call?.close();
    await lab?.close();
    await closeTestDb();
  });

  it("the sandbox lets nothing but signalling and TCP 443 out", () => {
    // STUN to coturn over UDP works from the host, not from the sandbox; TLS 443 is open from both.
    const stun = (where: "host" | "sandbox") =>
      (where === "sandbox"
        ? lab.sandbox.exec
        : (cmd: string[]) => require("node:child_process").spawnSync(cmd[0], cmd.slice(1), { encoding: "utf8" }))([
        "timeout",
        "3",
        "turnutils_stunclient",
        "-p",
        String(TURN_PORT),
        lab.sandbox.hostIp,
      ]).status;
    expect(stun("host")).toBe(0);
    expect(stun("sandbox")).not.toBe(0);
    const tls = lab.sandbox.exec([
      "timeout",
      "5",
      "openssl",
      "s_client",
      "-connect",
      `${lab.sandbox.hostIp}:${TURN_TLS_PORT}`,
      "-brief",
    ]);
    expect(tls.stderr + tls.stdout).toMatch(/CONNECTION ESTABLISHED|Protocol version/);
  });

  it("the doctor in the sandbox and the specialist each decode the other, the doctor through TURN/TLS on 443", async () => {
    expect(await joinInPage(doctor, roomId)).toEqual({ ok: true });
    expect(await joinInPage(specialist, roomId)).toEqual({ ok: true });
    const publish = (p: Participant) =>
      p.page.evaluate(async () => {
        const room = (window as any).yl.room;
        await room.publishCamera();
        await room.publishMicrophone();
      });
    await Promise.all([publish(doctor), publish(specialist)]);
    const [doctorPeer, specPeer] = await Promise.all([peerIdOf(doctor), peerIdOf(specialist)]);
    const [video, audio, back] = await Promise.all([
      flowing(doctor, (t) => t.peerId === specPeer && t.source === "camera", 30_000),
      flowing(doctor, (t) => t.peerId === specPeer && t.source === "microphone", 30_000),
      flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "camera", 30_000),
    ]);
    expect(video.framesDecoded).toBeGreaterThan(0);
    expect(audio.packetsReceived).toBeGreaterThan(0);
    expect(back.framesDecoded).toBeGreaterThan(0);
    const link = await doctor.page.evaluate(async () => {
      const room = (window as any).yl.room;
      await new Promise((r) => setTimeout(r, 1500)); // one quality sample after media flows
      return room.linkStats();
    });
    expect(link).toMatchObject({ relayed: true, relayProtocol: "tls" });
  });

  it("coturn refuses forged and expired credentials (401) and grants valid ones", async () => {
    const urls = `turns:${lab.sandbox.hostIp}:${TURN_TLS_PORT}?transport=tcp`;
    const valid = turnCredential(lab.turnSecret, "user-1", 600);
    const expired = turnCredential(lab.turnSecret, "user-1", 600, Date.now() - 3_600_000);
    const forged = turnCredential("not-the-secret-of-this-deployment-at-all", "user-1", 600);

    const ok = await gather(doctor, { urls, username: valid.username, credential: valid.credential });
    expect(ok.relays.some((c) => c.includes(" typ relay "))).toBe(true);
    for (const bad of [expired, forged]) {
      const r = await gather(doctor, { urls, username: bad.username, credential: bad.credential });
      expect(r.relays).toEqual([]);
      expect(r.errors.map((e) => e.errorCode)).toContain(401);
    }
  });
});
