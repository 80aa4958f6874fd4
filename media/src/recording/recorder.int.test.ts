import { spawn, execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sdpFor, sendBye } from "./recorder";

describe("sdpFor", () => {
  it("describes one consumer's stream for ffmpeg (rtcp-mux, receive only)", () => {
    const sdp = sdpFor("audio", 40000, {
      mimeType: "audio/opus",
      payloadType: 100,
      clockRate: 48000,
      channels: 2,
      parameters: { useinbandfec: 1 },
    });
    expect(sdp).toContain("m=audio 40000 RTP/AVP 100\r\n");
    expect(sdp).toContain("a=rtpmap:100 opus/48000/2\r\n");
    expect(sdp).toContain("a=fmtp:100 useinbandfec=1\r\n");
    expect(sdp).toContain("a=rtcp-mux\r\n");
    const video = sdpFor("video", 40002, {
      mimeType: "video/VP8",
      payloadType: 101,
      clockRate: 90000,
      parameters: { "x-google-start-bitrate": 1000 },
    });
    expect(video).toContain("a=rtpmap:101 VP8/90000\r\n");
    expect(video).not.toContain("x-google");
  });
});

describe("sendBye", () => {
  it("ends ffmpeg's RTP input cleanly after its media stopped: exit 0 and a readable part", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "yilian-bye-"));
    const port = await new Promise<number>((resolve) => {
      const s = createSocket("udp4");
      s.bind(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    try {
      writeFileSync(
        path.join(dir, "a.sdp"),
        sdpFor("audio", port, { mimeType: "audio/opus", payloadType: 100, clockRate: 48000, channels: 2 }),
      );
      // As the recorder runs it: no read timeout, so nothing but the BYE (or a signal) ends it.
      const rec = spawn(
        "ffmpeg",
        [
          "-hide_banner",
          "-loglevel",
          "error",
          "-nostdin",
          "-protocol_whitelist",
          "file,udp,rtp",
          "-listen_timeout",
          "-1",
          "-i",
          path.join(dir, "a.sdp"),
          "-c",
          "copy",
          "-f",
          "matroska",
          path.join(dir, "a.mkv"),
        ],
        { stdio: "ignore" },
      );
      const exited = new Promise<number | null>((resolve) => rec.once("exit", (code) => resolve(code)));
      await new Promise((r) => setTimeout(r, 300));
      execFileSync(
        "ffmpeg",
        [
          "-hide_banner",
          "-loglevel",
          "error",
          "-re",
          "-f",
          "lavfi",
          "-i",
          "sine=frequency=440:sample_rate=48000",
          "-t",
          "1.5",
          "-c:a",
          "libopus",
          "-ac",
          "2",
          "-ssrc",
          "1234",
          "-payload_type",
          "100",
          "-f",
          "rtp",
          `rtp://127.0.0.1:${port}?pkt_size=1200`,
        ],
        { stdio: "ignore" },
      );
      await new Promise((r) => setTimeout(r, 1000)); // the producer is gone: nothing flows any more
      await sendBye(port, 1234);
      const timer = setTimeout(() => rec.kill("SIGKILL"), 5000);
      expect(await exited).toBe(0);
      clearTimeout(timer);
      const probe = JSON.parse(
        execFileSync("ffprobe", [
          "-v",
          "error",
          "-show_entries",
          "stream=codec_type:format=duration",
          "-of",
          "json",
          path.join(dir, "a.mkv"),
        ]).toString(),
      );
      expect(probe.streams).toEqual([{ codec_type: "audio" }]);
      expect(Number(probe.format.duration)).toBeGreaterThan(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
