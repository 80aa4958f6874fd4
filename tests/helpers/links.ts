// The township-link lab shared by tests/links and bench/links: a network sandbox for one browser (helpers/netns.ts),
// a real coturn on the sandbox's host address (UDP/TCP 3478, TLS 443), and a Yilian server whose media listens on
// that address too, so the sandboxed browser could reach it directly if its firewall let it. A second browser on
// the host (a specialist on a good network) talks to the media server directly.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { startCoturn, type CoturnProcess } from "../../server/src/turn/coturn";
import { launchBrowser } from "./chromium";
import { createSandbox, type Allowed, type NetSandbox } from "./netns";
import { startTestServer, type TestServer } from "./server";
import type { Db } from "@yilian/server";
import { openParticipant, type Participant } from "../browser/helpers";
import { createConsultationRoom } from "../media/fixtures";

export const TURN_PORT = 3478;
export const TURN_TLS_PORT = 443;

/**
 * A microphone that speaks (Mandarin, espeak-ng), for Chromium's --use-file-for-fake-audio-capture: the default fake
 * microphone is a beep, which Opus codes in its music mode, where in-band FEC does not exist. Made once per machine.
 */
export function speechWav(): string {
  const dir = path.join(os.tmpdir(), "yilian-links-speech");
  const wav = path.join(dir, "speech-48k.wav");
  if (existsSync(wav)) return wav;
  mkdirSync(dir, { recursive: true });
  const raw = path.join(dir, `speech-${process.pid}.wav`);
  const text =
    "患者女，六十三岁，胸闷两周，活动后加重。心电图提示前壁导联ST段压低，请专家会诊，协助诊断并指导下一步治疗。乡镇卫生院目前可以做血常规、心电图和胸片。";
  execFileSync("espeak-ng", ["-v", "cmn", "-s", "150", "-w", raw, text]);
  const tmp = `${wav}.${process.pid}.wav`;
  execFileSync("ffmpeg", ["-loglevel", "error", "-y", "-i", raw, "-ar", "48000", "-ac", "1", "-c:a", "pcm_s16le", tmp]);
  execFileSync("mv", [tmp, wav]);
  rmSync(raw, { force: true });
  return wav;
}

/** Chromium flags for a participant whose microphone speaks (see speechWav). */
export const speakingMicrophone = () => [`--use-file-for-fake-audio-capture=${speechWav()}`];

export interface LinkLab {
  sandbox: NetSandbox;
  turn: CoturnProcess;
  turnSecret: string;
  server: TestServer;
  /** The server as the sandbox reaches it. */
  sandboxUrl: string;
  /** Firewall rule: TURN over TLS on 443, the one port the hospital network lets out. */
  tls443: Allowed;
  /** Firewall rule: signalling (HTTPS to the Yilian server in production). */
  signalling: Allowed;
  /** Chromium inside the sandbox. */
  launchSandboxed(): Promise<Browser>;
  close(): Promise<void>;
}

/**
 * One lab at a time on a machine: coturn takes the fixed ports 3478 and 443 on the sandbox address. Parallel jest
 * workers (or a bench beside the tests) wait here; a lock whose holder died is taken over.
 */
async function labLock(): Promise<() => void> {
  const dir = path.join(os.tmpdir(), "yilian-links-lab.lock");
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const until = Date.now() + 15 * 60_000; ; ) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, "pid"), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch {
      const holder = Number(existsSync(path.join(dir, "pid")) ? readFileSync(path.join(dir, "pid"), "utf8") : NaN);
      if (Number.isInteger(holder) && !alive(holder)) rmSync(dir, { recursive: true, force: true });
      else if (Date.now() > until) throw new Error(`the links lab is held by process ${holder}`);
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function startLinkLab(
  opts: { serverEnv?: NodeJS.ProcessEnv; turnUrls?: (hostIp: string) => string[] } = {},
): Promise<LinkLab> {
  const unlock = await labLock();
  let sandbox: NetSandbox;
  try {
    sandbox = createSandbox();
  } catch (e) {
    unlock();
    throw e;
  }
  const stateDir = mkdtempSync(path.join(os.tmpdir(), `${sandbox.name}-turn-`));
  const turnSecret = `lab-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-turn-secret`;
  let turn: CoturnProcess | undefined;
  let server: TestServer | undefined;
  try {
    const relayBase = 50_000 + Math.floor(Math.random() * 140) * 100;
    turn = await startCoturn({
      stateDir,
      secret: turnSecret,
      listenIps: [sandbox.hostIp],
      relayIp: sandbox.hostIp,
      port: TURN_PORT,
      tlsPort: TURN_TLS_PORT,
      minPort: relayBase,
      maxPort: relayBase + 99,
      allowedPeerIps: [sandbox.hostIp],
    });
    server = await startTestServer({
      // Reachable from the sandbox (its veth peer address) and from the host browser (127.0.0.1, a secure origin).
      HOST: "0.0.0.0",
      TURN_ENABLED: "true",
      MEDIA_WEBRTC_PORT: "0",
      MEDIA_WORKERS: "1",
      MEDIA_LISTEN_IP: sandbox.hostIp,
      TURN_SECRET: turnSecret,
      TURN_HOST: sandbox.hostIp,
      TURN_PORT: String(TURN_PORT),
      TURN_TLS_PORT: String(TURN_TLS_PORT),
      ...(opts.turnUrls ? { TURN_URLS: opts.turnUrls(sandbox.hostIp).join(",") } : {}),
      ...opts.serverEnv,
    });
  } catch (e) {
    await turn?.stop();
    sandbox.close();
    rmSync(stateDir, { recursive: true, force: true });
    unlock();
    throw e;
  }
  const port = Number(new URL(server.baseUrl).port);
  const sandboxUrl = `http://${sandbox.hostIp}:${port}`;
  const signalling: Allowed = { proto: "tcp", ip: sandbox.hostIp, port };
  const tls443: Allowed = { proto: "tcp", ip: sandbox.hostIp, port: TURN_TLS_PORT };
  // Until a test says otherwise the sandbox reaches nothing but the server's signalling.
  sandbox.allow([signalling]);
  const t = turn;
  const s = server;
  return {
    sandbox,
    turn: t,
    turnSecret,
    server: s,
    sandboxUrl,
    tls443,
    signalling,
    launchSandboxed: () =>
      launchBrowser({
        executablePath: sandbox.chromium,
        args: [
          // The sandbox reaches the server by its veth address: plain http there is not a secure origin.
          `--unsafely-treat-insecure-origin-as-secure=${sandboxUrl}`,
          // Trust the development TURN certificate (self-signed); production has a real one.
          "--ignore-certificate-errors",
        ],
      }),
    async close() {
      await s.stop().catch(() => undefined);
      await t.stop();
      sandbox.close();
      rmSync(stateDir, { recursive: true, force: true });
      unlock();
    },
  };
}

/** What a participant's page receives from one remote peer (SDK trackStats/linkStats; see client-sdk/src/quality.ts). */
export interface ReceivedFrom {
  /** Forwarded spatial layer of the remote camera (media server's view). */
  spatialLayer: number | null | undefined;
  frameWidth?: number;
  framesDecoded: number;
  freezeCount: number;
  audioSamples: number;
  /** Audio samples concealed for lost packets, DTX silence excluded. */
  audioConcealed: number;
  /** NACKs this receiver sent for the audio (lost packets asked for again). */
  audioNacks: number;
  localQuality?: string;
  peerQuality?: string;
  relayed: boolean;
  rttMs?: number;
  /** The camera's receive statistics as Chromium counts them (running totals), for the bench's onset log. */
  video: { jitterBufferMs: number; emitted: number; keyFrames: number; plis: number; nacks: number; freezesS: number };
}

export async function receivedFrom(p: Participant, peerId: string): Promise<ReceivedFrom> {
  return p.page.evaluate(async (peerId) => {
    const room = (window as any).yl.room;
    const report: RTCStatsReport = await room.getStats();
    const byTrack = new Map<string, any>();
    report.forEach((s: any) => s.type === "inbound-rtp" && byTrack.set(s.trackIdentifier, s));
    const tracks = [...room.tracks.values()].filter((t: any) => t.peerId === peerId);
    const cam = tracks.find((t: any) => t.source === "camera");
    const mic = tracks.find((t: any) => t.source === "microphone");
    const v = cam ? (byTrack.get(cam.track.id) ?? {}) : {};
    const a = mic ? (byTrack.get(mic.track.id) ?? {}) : {};
    const q = new Map(room.connectionQualities().map((c: any) => [c.peerId, c.quality]));
    const link = room.linkStats();
    return {
      spatialLayer: cam?.spatialLayer,
      frameWidth: v.frameWidth,
      framesDecoded: v.framesDecoded ?? 0,
      freezeCount: v.freezeCount ?? 0,
      audioSamples: a.totalSamplesReceived ?? 0,
      audioConcealed: (a.concealedSamples ?? 0) - (a.silentConcealedSamples ?? 0),
      audioNacks: a.nackCount ?? 0,
      localQuality: q.get(room.peerId) as string | undefined,
      peerQuality: q.get(peerId) as string | undefined,
      relayed: link.relayed,
      rttMs: link.rttMs,
      video: {
        jitterBufferMs: 1000 * (v.jitterBufferDelay ?? 0),
        emitted: v.jitterBufferEmittedCount ?? 0,
        keyFrames: v.keyFramesDecoded ?? 0,
        plis: v.pliCount ?? 0,
        nacks: v.nackCount ?? 0,
        freezesS: v.totalFreezesDuration ?? 0,
      },
    };
  }, peerId);
}

/** % of audio played as received (not concealed) between two readings. */
export const audioContinuityPct = (a: ReceivedFrom, b: ReceivedFrom) =>
  b.audioSamples > a.audioSamples
    ? 100 * (1 - (b.audioConcealed - a.audioConcealed) / (b.audioSamples - a.audioSamples))
    : 0;

/** A consultation call in the lab: the township doctor's Chromium in the sandbox, the specialist's on the host. */
export interface LinkCall {
  roomId: string;
  doctor: Participant;
  specialist: Participant;
  close(): Promise<void>;
}

export async function openLinkCall(lab: LinkLab, db: Db, opts: { specialistArgs?: string[] } = {}): Promise<LinkCall> {
  const { consultationId: roomId } = await createConsultationRoom(db, {
    requester: "doctor.hadashan",
    specialists: ["spec.youtian.1"],
  });
  const [d, s] = await Promise.all([lab.server.login("doctor.hadashan"), lab.server.login("spec.youtian.1")]);
  const [sandboxed, host] = await Promise.all([lab.launchSandboxed(), launchBrowser({ args: opts.specialistArgs })]);
  const close = async () => {
    await Promise.all([sandboxed.close().catch(() => undefined), host.close().catch(() => undefined)]);
    // Let the server finish the sockets' disconnects before it stops.
    await new Promise((r) => setTimeout(r, 500));
  };
  try {
    const doctor = await openParticipant(sandboxed, lab.sandboxUrl, d.accessToken);
    const specialist = await openParticipant(host, lab.server.baseUrl, s.accessToken);
    return { roomId, doctor, specialist, close };
  } catch (e) {
    await close();
    throw e;
  }
}
