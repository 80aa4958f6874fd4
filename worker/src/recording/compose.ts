// Composes the raw parts of a recording (one file per producer, written by the media node) into one playback
// MP4 (H.264 + AAC, faststart): up to four videos side by side / in a grid, all audio mixed, each part placed at
// its offset from the start of the recording. Debian's ffmpeg/ffprobe do the work.
// A recording whose media restarted under it (a mediasoup worker or a whole media node was lost) has several
// segments: each is composed on its own on a fixed canvas, and a zh-CN card ("录制中断" with the local times of
// the gap) fills the time nothing could be recorded; the pieces are joined without re-encoding.
import { spawn } from "node:child_process";
import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PartInput {
  file: string;
  kind: "audio" | "video";
  offsetMs: number;
  /** Stretch of uninterrupted media (recorder.ts); absent in recordings made before segments existed. */
  segment?: number;
}

export interface ProbedPart extends PartInput {
  durationS: number;
}

export interface ProbeResult {
  ok: ProbedPart[];
  bad: { file: string; reason: string }[];
}

/**
 * ffprobe each part: a part must open, hold a stream of its kind and last longer than zero, and a video part must
 * hold a key frame. Without one nothing of it can be decoded (a recorder that started on a new media node whose
 * sender never sent a key frame), and a grid waiting for that tile's first frame would never output one.
 * A video part is shown from its first key frame on, at the time that frame was recorded (what came before it
 * cannot be decoded; starting the tile early would put the picture ahead of the sound).
 */
export async function probeParts(parts: PartInput[]): Promise<ProbeResult> {
  const ok: ProbedPart[] = [];
  const bad: ProbeResult["bad"] = [];
  for (const p of parts) {
    try {
      // One read of the part; for a video part also its key frames (only those are decoded: cheap for a long part).
      const video = p.kind === "video";
      const select = video ? ["-select_streams", "v:0", "-skip_frame", "nokey"] : [];
      const entries = `stream=codec_type,start_time:format=duration${video ? ":frame=pts_time" : ""}`;
      const { stdout } = await run(
        "ffprobe",
        ["-v", "error", ...select, "-show_entries", entries, "-of", "json", p.file],
        { timeout: 120_000, maxBuffer: 16 << 20 },
      );
      const info = JSON.parse(stdout) as {
        streams?: { codec_type: string; start_time?: string }[];
        format?: { duration?: string };
        frames?: { pts_time?: string }[];
      };
      const stream = info.streams?.find((s) => s.codec_type === p.kind);
      let duration = Number(info.format?.duration ?? NaN);
      if (!Number.isFinite(duration)) {
        // Matroska written from RTP may lack a header duration: count packets' time instead.
        const { stdout: pk } = await run(
          "ffprobe",
          [
            "-v",
            "error",
            "-select_streams",
            p.kind === "video" ? "v:0" : "a:0",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
            p.file,
          ],
          { timeout: 120_000, maxBuffer: 64 << 20 },
        );
        const times = pk.split("\n").map(Number).filter(Number.isFinite);
        duration = times.length ? Math.max(...times) - Math.min(...times) : 0;
      }
      if (!stream) {
        bad.push({ file: p.file, reason: `no ${p.kind} stream` });
        continue;
      }
      if (!(duration > 0.1)) {
        bad.push({ file: p.file, reason: "empty" });
        continue;
      }
      if (p.kind === "audio") {
        ok.push({ ...p, durationS: duration });
        continue;
      }
      const key = info.frames?.map((f) => Number(f.pts_time)).find(Number.isFinite) ?? null;
      const start = Number(stream.start_time ?? 0) || 0;
      const lead = key === null ? null : Math.max(0, key - start);
      if (lead === null || !(duration - lead > 0.1)) bad.push({ file: p.file, reason: "no key frame" });
      else ok.push({ ...p, offsetMs: p.offsetMs + lead * 1000, durationS: duration - lead });
    } catch (e) {
      bad.push({
        file: p.file,
        reason: ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split("\n").pop() ?? "unreadable",
      });
    }
  }
  return { ok, bad };
}

/** How long an ffmpeg run may go without progress before it is taken for hung. */
const STALL_MS = 120_000;

/**
 * Runs ffmpeg; kills it once it has made no progress for `stallMs` (its `-progress` report, every half second,
 * stopped): a hung ffmpeg is ended, a slow one is not. A fixed limit on the whole run killed encodes that were only
 * slow (bench faults: a two-minute call composed on a host at load 15 failed all three attempts, and with it the
 * recording).
 */
export function ffmpeg(args: string[], stallMs = STALL_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "ffmpeg",
      ["-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1", "-stats_period", "0.5", "-y", ...args],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err = (err + c.toString()).slice(-4000);
    });
    let stalled = false;
    const stall = () => {
      stalled = true;
      child.kill("SIGKILL");
    };
    let timer = setTimeout(stall, stallMs);
    child.stdout.on("data", () => {
      clearTimeout(timer);
      timer = setTimeout(stall, stallMs);
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        const why = stalled ? `no progress in ${Math.round(stallMs / 1000)} s` : (signal ?? code);
        reject(new Error(`ffmpeg ${why}: ${err.trim().split("\n").slice(-3).join(" | ")}`));
      }
    });
  });
}

/** The input list of ffmpeg's concat demuxer; a file's `durationS` is where the next one starts. */
const concatList = (files: { file: string; durationS?: number }[]) =>
  files
    .map(
      ({ file, durationS }) =>
        `file '${file.replace(/'/g, "'\\''")}'${durationS === undefined ? "" : `\nduration ${durationS.toFixed(3)}`}`,
    )
    .join("\n") + "\n";

/**
 * Joins a part's chunks (written by the recorder's segment muxer, each starting at zero) into one Matroska file,
 * without re-encoding: in order, each placed after the time the ones before it covered (`durationS`, when known:
 * a chunk may end in silence its sender left out), they are the one stream the part was.
 */
export async function joinChunks(chunks: { file: string; durationS?: number }[], out: string): Promise<void> {
  const list = `${out}.txt`;
  await writeFile(list, concatList(chunks));
  await ffmpeg(["-f", "concat", "-safe", "0", "-i", list, "-map", "0", "-c", "copy", out]);
}

const W = 1280;
const H = 720;

/** The x264/AAC settings of every piece, so that segments and gap cards join without re-encoding. */
const ENCODE = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-r", "25"];
const AUDIO = ["-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"];

/**
 * Writes out.mp4 from the good parts; returns nothing, throws with ffmpeg's last lines on failure. `canvas`: always
 * W×H with an audio track (silence if none), as the pieces of a segmented recording must be.
 * Video and audio are composed in separate passes and then put together: in one filter graph, once a video input
 * fell behind (a long call recorded under load) the mixed audio's timestamps went backwards and the audio ended early.
 */
export async function composeMp4(
  parts: ProbedPart[],
  out: string,
  opts: { threads?: number; canvas?: boolean } = {},
): Promise<void> {
  const videos = parts.filter((p) => p.kind === "video").slice(0, 4);
  const audios = parts.filter((p) => p.kind === "audio");
  const total = Math.max(...parts.map((p) => p.offsetMs / 1000 + p.durationS));
  const length = ["-t", total.toFixed(3)];

  // Video: each part at its offset in its tile, its last frame held to the end (a part whose decoding stopped early
  // still fills its time), on a constant frame rate for the encoder. Held for at most the recording's length, not
  // for ever: should a tile still never show a frame, the grid's inputs end and ffmpeg with them.
  const vInputs: string[] = [];
  const vFilters: string[] = [];
  const cols = videos.length <= 1 ? 1 : 2;
  const rows = videos.length <= 2 ? 1 : 2;
  const cw = Math.floor(W / cols / 2) * 2;
  const ch = videos.length === 2 ? Math.floor((cw * 9) / 16 / 2) * 2 : Math.floor(H / rows / 2) * 2;
  for (const [i, v] of videos.entries()) {
    vInputs.push("-i", v.file);
    vFilters.push(
      `[${i}:v]setpts=PTS-STARTPTS,scale=${cw}:${ch}:force_original_aspect_ratio=decrease,pad=${cw}:${ch}:(ow-iw)/2:(oh-ih)/2,fps=25,tpad=start_duration=${(v.offsetMs / 1000).toFixed(3)}:stop_mode=clone:stop_duration=${total.toFixed(3)}[v${i}]`,
    );
  }
  const vLabels = videos.map((_, i) => `[v${i}]`);
  let vOut: string;
  if (vLabels.length === 0) {
    vInputs.push("-f", "lavfi", "-t", total.toFixed(3), "-i", `color=c=black:s=${W}x${H}:r=25`);
    vOut = "0:v";
  } else if (vLabels.length === 1) {
    vOut = "[vout]";
    vFilters.push(`${vLabels[0]}null[vout]`);
  } else {
    const layout = vLabels.length === 2 ? "0_0|w0_0" : vLabels.length === 3 ? "0_0|w0_0|0_h0" : "0_0|w0_0|0_h0|w0_h0";
    vFilters.push(`${vLabels.join("")}xstack=inputs=${vLabels.length}:layout=${layout}:fill=black[vout]`);
    vOut = "[vout]";
  }
  if (opts.canvas && vOut === "[vout]") {
    vFilters.push(
      `[vout]scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2,setsar=1[vcanvas]`,
    );
    vOut = "[vcanvas]";
  }
  // Audio: every part at its offset, mixed; gaps in a part's timestamps (silences the sender left out, Opus DTX)
  // become silence, not lost time (aresample async).
  const aInputs: string[] = [];
  const aFilters: string[] = [];
  for (const [i, a] of audios.entries()) {
    aInputs.push("-i", a.file);
    const d = Math.max(0, Math.round(a.offsetMs));
    aFilters.push(`[${i}:a]asetpts=PTS-STARTPTS,aresample=48000:async=1,adelay=${d}|${d}[a${i}]`);
  }
  let aOut: string | null = null;
  if (audios.length === 1) aOut = "[a0]";
  else if (audios.length > 1) {
    aFilters.push(
      `${audios.map((_, i) => `[a${i}]`).join("")}amix=inputs=${audios.length}:duration=longest:normalize=0[aout]`,
    );
    aOut = "[aout]";
  } else if (opts.canvas) {
    aInputs.push("-f", "lavfi", "-t", total.toFixed(3), "-i", "anullsrc=r=48000:cl=stereo");
    aOut = "0:a";
  }
  /** One pass: the inputs through their filter graph (if any) into `file`, as long as the recording. */
  const encode = (inputs: string[], filters: string[], map: string, codec: string[], file: string) =>
    ffmpeg([
      ...inputs,
      ...(filters.length ? ["-filter_complex", filters.join(";")] : []),
      "-map",
      map,
      ...length,
      ...codec,
      file,
    ]);
  const videoFile = `${out}.video.mp4`;
  const audioFile = `${out}.audio.m4a`;
  try {
    const threads = ["-threads", String(opts.threads ?? 2)];
    await encode(vInputs, vFilters, vOut, [...(opts.canvas ? ENCODE : ENCODE.slice(0, -2)), ...threads], videoFile);
    if (aOut) await encode(aInputs, aFilters, aOut, opts.canvas ? AUDIO : AUDIO.slice(0, -2), audioFile);
    await ffmpeg([
      "-i",
      videoFile,
      ...(aOut ? ["-i", audioFile, "-map", "0:v", "-map", "1:a"] : ["-map", "0:v"]),
      "-c",
      "copy",
      ...length,
      "-movflags",
      "+faststart",
      out,
    ]);
  } finally {
    await rm(videoFile, { force: true });
    await rm(audioFile, { force: true });
  }
}

/** A stretch of the recording with no media: from the end of one segment to the start of the next (seconds). */
export interface RecordingGap {
  fromS: number;
  toS: number;
}

/** A visible gap marker is never shorter than this, even when the media was back within a second. */
export const GAP_CARD_MIN_S = 3;
const CARD_FONT = "Noto Sans CJK SC";

const clock = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** The gap card: dark background, "录制中断" and the local (Asia/Shanghai) times nothing was recorded. */
async function gapCard(out: string, gap: RecordingGap, startedAt: Date, durationS: number): Promise<void> {
  const at = (s: number) => clock.format(new Date(startedAt.getTime() + s * 1000));
  const title = path.join(path.dirname(out), `${path.basename(out, ".mp4")}-title.txt`);
  const detail = path.join(path.dirname(out), `${path.basename(out, ".mp4")}-detail.txt`);
  // Text files, not inline text: no escaping of ':' and '%' in the filter graph.
  await writeFile(title, "录制中断");
  await writeFile(detail, `${at(gap.fromS)} – ${at(gap.toS)}  音视频服务故障，此段未能录制`);
  const text = (file: string, size: number, y: string, color: string) =>
    `drawtext=font='${CARD_FONT}':textfile='${file}':expansion=none:fontsize=${size}:fontcolor=${color}:x=(w-text_w)/2:y=${y}`;
  await ffmpeg([
    "-f",
    "lavfi",
    "-i",
    `color=c=0x1f2937:s=${W}x${H}:r=25:d=${durationS.toFixed(3)}`,
    "-f",
    "lavfi",
    "-t",
    durationS.toFixed(3),
    "-i",
    "anullsrc=r=48000:cl=stereo",
    "-vf",
    [text(title, 72, "h/2-90", "white"), text(detail, 32, "h/2+20", "0xd1d5db")].join(","),
    "-map",
    "0:v",
    "-map",
    "1:a",
    "-t",
    durationS.toFixed(3),
    ...ENCODE,
    ...AUDIO,
    "-movflags",
    "+faststart",
    out,
  ]);
}

/**
 * Composes a recording from its good parts: one MP4 as composeMp4 when its media never restarted; otherwise one
 * piece per segment, a gap card between consecutive ones, all joined into `out`. Returns the gaps (seconds from the
 * start of the recording), which the card shows in local time.
 */
export async function composeRecording(
  parts: ProbedPart[],
  out: string,
  opts: { startedAt: Date; threads?: number },
): Promise<{ gaps: RecordingGap[] }> {
  const bySegment = new Map<number, ProbedPart[]>();
  for (const p of parts) bySegment.set(p.segment ?? 0, [...(bySegment.get(p.segment ?? 0) ?? []), p]);
  const segments = [...bySegment.entries()].sort(([a], [b]) => a - b).map(([, ps]) => ps);
  if (segments.length <= 1) {
    await composeMp4(parts, out, opts);
    return { gaps: [] };
  }
  const dir = path.dirname(out);
  const pieces: string[] = [];
  const gaps: RecordingGap[] = [];
  let prevEndS: number | undefined;
  for (const [i, seg] of segments.entries()) {
    const startMs = Math.min(...seg.map((p) => p.offsetMs));
    const endS = Math.max(...seg.map((p) => p.offsetMs / 1000 + p.durationS));
    if (prevEndS !== undefined) {
      const gap = { fromS: prevEndS, toS: Math.max(prevEndS, startMs / 1000) };
      gaps.push(gap);
      const card = path.join(dir, `gap-${i}.mp4`);
      await gapCard(card, gap, opts.startedAt, Math.max(GAP_CARD_MIN_S, gap.toS - gap.fromS));
      pieces.push(card);
    }
    const piece = path.join(dir, `segment-${i}.mp4`);
    await composeMp4(
      seg.map((p) => ({ ...p, offsetMs: p.offsetMs - startMs })),
      piece,
      { ...opts, canvas: true },
    );
    pieces.push(piece);
    prevEndS = endS;
  }
  const list = path.join(dir, "pieces.txt");
  await writeFile(list, concatList(pieces.map((file) => ({ file }))));
  await ffmpeg(["-f", "concat", "-safe", "0", "-i", list, "-map", "0", "-c", "copy", "-movflags", "+faststart", out]);
  return { gaps };
}

export async function poster(mp4: string, out: string, durationS: number): Promise<void> {
  await ffmpeg(
    ["-ss", Math.min(1, durationS / 2).toFixed(2), "-i", mp4, "-frames:v", "1", "-vf", "scale=640:-2", out],
    60_000,
  );
}

export async function probeOutput(
  mp4: string,
): Promise<{ durationS: number; video: string | null; audio: string | null }> {
  const { stdout } = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "stream=codec_type,codec_name:format=duration",
    "-of",
    "json",
    mp4,
  ]);
  const info = JSON.parse(stdout) as {
    streams: { codec_type: string; codec_name: string }[];
    format: { duration: string };
  };
  return {
    durationS: Number(info.format.duration),
    video: info.streams.find((s) => s.codec_type === "video")?.codec_name ?? null,
    audio: info.streams.find((s) => s.codec_type === "audio")?.codec_name ?? null,
  };
}
