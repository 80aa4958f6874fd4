// Media service settings (the server maps its env config onto these; a media node parses its own env).
import os from "node:os";
import type { types } from "mediasoup";

export interface MediaSettings {
  /** mediasoup workers (one per core by default); each is one process on one core. */
  numWorkers: number;
  /** Address the WebRtcServers listen on. */
  listenIp: string;
  /** Address announced to browsers in ICE candidates (the hospital-reachable address behind NAT). */
  announcedIp?: string;
  /** Worker i listens on UDP and TCP port base + i (firewall-friendly); 0 = ephemeral ports (tests). */
  webRtcPortBase: number;
  logLevel: types.WorkerLogLevel;
  /** Per-transport cap for incoming media (bps): a misbehaving sender cannot flood a worker. */
  maxIncomingBitrate: number;
  /** Video producers: at most one key-frame request per window (ms), answered for all who asked in it. */
  keyFrameRequestDelayMs: number;
  /**
   * Spatial layer a new simulcast consumer starts on. "lowest": every joiner asks the same encoder layer for a
   * key frame, so requests share one delay window; the wanted layer is applied after the first frame.
   */
  consumerStartLayer: "lowest" | "highest";
}

export function defaultMediaSettings(overrides: Partial<MediaSettings> = {}): MediaSettings {
  return {
    numWorkers: Math.max(1, os.cpus().length),
    listenIp: "127.0.0.1",
    webRtcPortBase: 0,
    logLevel: "warn",
    maxIncomingBitrate: 5_000_000,
    // libwebrtc ignores key-frame requests closer than 300 ms to the previous one and mediasoup re-asks only
    // after 1 s; 350 ms keeps every request outside that gate (see shared/notes/time-to-first-frame.md).
    keyFrameRequestDelayMs: 350,
    consumerStartLayer: "lowest",
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
}

export const mediaCodecs: types.RtpCodecCapability[] = [
  { kind: "audio", mimeType: "audio/opus", clockRate: 48000, channels: 2 },
  { kind: "video", mimeType: "video/VP8", clockRate: 90000, parameters: { "x-google-start-bitrate": 1000 } },
  {
    kind: "video",
    mimeType: "video/H264",
    clockRate: 90000,
    parameters: { "packetization-mode": 1, "profile-level-id": "42e01f", "level-asymmetry-allowed": 1 },
  },
];
