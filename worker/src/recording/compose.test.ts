import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { composeRecording, ffmpeg, GAP_CARD_MIN_S, probeOutput, probeParts } from "./compose";

describe("composeRecording", () => {
  it("joins the segments of a recording whose media restarted with a gap card the length of the gap", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "yilian-compose-"));
    const run = (args: string[]) =>
      execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { cwd: dir });
    try {
      run(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "2", "-c:v", "libvpx", "v1.mkv"]);
      run(["-f", "lavfi", "-i", "sine=frequency=300", "-t", "2", "-c:a", "libopus", "a1.mkv"]);
      run(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", "2", "-c:v", "libvpx", "v2.mkv"]);
      const { ok } = await probeParts([
        { file: path.join(dir, "v1.mkv"), kind: "video", offsetMs: 0, segment: 0 },
        { file: path.join(dir, "a1.mkv"), kind: "audio", offsetMs: 0, segment: 0 },
        // After the restart: video only, 4 s after the first stretch ended.
        { file: path.join(dir, "v2.mkv"), kind: "video", offsetMs: 6000, segment: 1 },
      ]);
      const out = path.join(dir, "out.mp4");
      const { gaps } = await composeRecording(ok, out, { startedAt: new Date("2026-12-05T01:00:00Z") });
      expect(gaps).toHaveLength(1);
      expect(gaps[0]!.fromS).toBeCloseTo(2, 0);
      expect(gaps[0]!.toS).toBe(6);
      const info = await probeOutput(out);
      expect(info).toMatchObject({ video: "h264", audio: "aac" });
      expect(info.durationS).toBeGreaterThan(7.5); // 2 + 4 + 2: as long as the recording was
      expect(info.durationS).toBeLessThan(8.6);
      // The card is dark slate: mean red well under the bright test patterns around it.
      const red = (atS: number) => {
        const raw = execFileSync("ffmpeg", [
          "-hide_banner",
          "-loglevel",
          "error",
          "-ss",
          String(atS),
          "-i",
          out,
          "-frames:v",
          "1",
          "-vf",
          "scale=16:9",
          "-f",
          "rawvideo",
          "-pix_fmt",
          "rgb24",
          "-",
        ]);
        let sum = 0;
        for (let i = 0; i < raw.length; i += 3) sum += raw[i]!;
        return sum / (raw.length / 3);
      };
      expect(red(4)).toBeLessThan(60);
      expect(red(1)).toBeGreaterThan(80);
      expect(red(7)).toBeGreaterThan(80);
      expect(GAP_CARD_MIN_S).toBeGreaterThanOrEqual(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("probeParts", () => {
  it("sets aside a video part without a key frame, so the call's other tiles still compose", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "yilian-keyframe-"));
    const run = (args: string[]) =>
      execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { cwd: dir });
    try {
      // One key frame at the start only (as a sender sends until asked again), then the first second cut off:
      // what a recorder that started on a new media node writes when no key frame reached it.
      run(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "4", "-c:v", "libvpx", "-g", "1000", "v.mkv"]);
      run(["-i", "v.mkv", "-ss", "1", "-c", "copy", "-copyinkf", "nokey.mkv"]);
      // A part whose first key frame came 3 s after its first packet (the cut part, then the whole one).
      writeFileSync(path.join(dir, "late.txt"), "file 'nokey.mkv'\nfile 'v.mkv'\n");
      run(["-f", "concat", "-safe", "0", "-i", "late.txt", "-c", "copy", "-copyinkf", "late.mkv"]);
      const { ok, bad } = await probeParts([
        { file: path.join(dir, "v.mkv"), kind: "video", offsetMs: 0, segment: 0 },
        { file: path.join(dir, "nokey.mkv"), kind: "video", offsetMs: 0, segment: 0 },
        { file: path.join(dir, "late.mkv"), kind: "video", offsetMs: 500, segment: 0 },
      ]);
      expect(bad).toEqual([{ file: path.join(dir, "nokey.mkv"), reason: "no key frame" }]);
      const out = path.join(dir, "out.mp4");
      const t0 = Date.now();
      await composeRecording(ok, out, { startedAt: new Date() });
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect((await probeOutput(out)).durationS).toBeCloseTo(7.5, 0);
      expect(ok[0]).toMatchObject({ offsetMs: 0, durationS: 4 });
      // Shown from its key frame, at the time it was recorded, and ending where it ended.
      expect(ok[1]!.offsetMs).toBeCloseTo(3500, -2);
      expect(ok[1]!.offsetMs / 1000 + ok[1]!.durationS).toBeCloseTo(7.5, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("ffmpeg", () => {
  it("lets a slow run finish while it makes progress, and ends one that makes none", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "yilian-ffmpeg-"));
    try {
      // Three seconds read at real time (as slow as an encode on a busy host), with 1 s allowed without progress.
      const t0 = Date.now();
      await ffmpeg(["-re", "-f", "lavfi", "-i", "sine=frequency=300:duration=3", path.join(dir, "slow.wav")], 1_000);
      expect(Date.now() - t0).toBeGreaterThan(2_500);
      // An input that never delivers anything (a FIFO nobody writes): no progress, ended after the stall limit.
      const fifo = path.join(dir, "hung");
      execFileSync("mkfifo", [fifo]);
      await expect(ffmpeg(["-f", "s16le", "-i", fifo, path.join(dir, "hung.wav")], 1_000)).rejects.toThrow(
        /no progress in 1 s/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
