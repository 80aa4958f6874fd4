// A peer that sends real media without a browser: an ffmpeg test source (colour bars + 440 Hz) encoding VP8 and
// Opus into two mediasoup PlainTransports of the peer (in-process or on a media node).
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import type { MediaApi } from "@yilian/media/api";

export interface RtpSource {
  /** Stops sending (the producers stay: to the room the peer simply went silent, as after a crash). Idempotent. */
  stop(): void;
}

/**
 * ffmpeg sends RTP and RTCP from two different local ports, while the PlainTransport is rtcp-mux + comedia (it
 * locks onto the first source address): a one-socket relay makes both arrive from one address, as a real RTP
 * endpoint would.
 */
function relayTo(ip: string, port: number, relays: Socket[]): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    relays.push(s);
    s.on("message", (m) => s.send(m, port, ip));
    s.bind(0, "127.0.0.1", () => resolve(s.address().port));
  });
}

/** Produces camera (VP8) and microphone (Opus) for `peerId` and starts the ffmpeg that feeds them. */
export async function produceFromFfmpeg(api: MediaApi, roomKey: string, peerId: string): Promise<RtpSource> {
  const v = await api.createPlainTransport(roomKey, peerId, { direction: "send" });
  const a = await api.createPlainTransport(roomKey, peerId, { direction: "send" });
  await api.produce(roomKey, peerId, {
    transportId: v.id,
    kind: "video",
    source: "camera",
    paused: false,
    rtpParameters: {
      codecs: [
        {
          mimeType: "video/VP8",
          payloadType: 101,
          clockRate: 90000,
          rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }, { type: "ccm", parameter: "fir" }],
        },
      ],
      encodings: [{ ssrc: 22222222 }],
    },
  });
  await api.produce(roomKey, peerId, {
    transportId: a.id,
    kind: "audio",
    source: "microphone",
    paused: false,
    rtpParameters: {
      codecs: [{ mimeType: "audio/opus", payloadType: 100, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: 11111111 }],
    },
  });
  const relays: Socket[] = [];
  const vPort = await relayTo(v.ip, v.port, relays);
  const aPort = await relayTo(a.ip, a.port, relays);
  const sender: ChildProcess = spawn(
    "ffmpeg",
    [
      "-hide_banner",
      "-loglevel",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=640x360:rate=25",
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440:sample_rate=48000",
      "-map",
      "0:v",
      "-c:v",
      "libvpx",
      "-deadline",
      "realtime",
      "-cpu-used",
      "8",
      "-b:v",
      "600k",
      "-g",
      "25",
      "-ssrc",
      "22222222",
      "-payload_type",
      "101",
      "-f",
      "rtp",
      `rtp://127.0.0.1:${vPort}?rtcpport=${vPort}&pkt_size=1200`,
      "-map",
      "1:a",
      "-c:a",
      "libopus",
      "-ac",
      "2",
      "-ar",
      "48000",
      "-ssrc",
      "11111111",
      "-payload_type",
      "100",
      "-f",
      "rtp",
      `rtp://127.0.0.1:${aPort}?rtcpport=${aPort}&pkt_size=1200`,
    ],
    { stdio: "ignore" },
  );
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      sender.kill("SIGKILL");
      for (const r of relays) r.close();
    },
  };
}
