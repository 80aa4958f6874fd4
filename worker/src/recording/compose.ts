// Composes the raw parts of a recording (one file per producer, written by the media node) into one playback
// MP4 (H.264 + AAC, faststart): up to four videos side by side / in a grid, all audio mixed, each part placed at
// its offset from the start of the recording. Debian's ffmpeg/ffprobe do the work.
import { spawn } from "node:child_process";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PartInput {
  file: string;
  kind: "audio" | "video";
  offsetMs: number;
}

export interface ProbedPart extends PartInput {
  durationS: number;
}

export interface ProbeResult {
  ok: ProbedPart[];
  bad: { file: string; reason: string }[];
}

/** ffprobe each part: a part must open, hold a stream of its kind and last longer than zero. */
export async function probeParts(parts: PartInput[]): Promise<ProbeResult> {
  const ok: ProbedPart[] = [];
  const bad: ProbeResult["bad"] = [];
  for (const p of parts) {
    try {
      const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type:format=duration", "-of", "json", p.file], { timeout: 60_000 });
      const info = JSON.parse(stdout) as { streams?: { codec_type: string }[]; format?: { duration?: string } };
      const has = info.streams?.some((s) => s.codec_type === p.kind);
      let duration = Number(info.format?.duration ?? NaN);
      if (!Number.isFinite(duration)) {
        // Matroska written from RTP may lack a header duration: count packets' time instead.
        const { stdout: pk } = await run("ffprobe", ["-v", "error", "-select_streams", p.kind === "video" ? "v:0" : "a:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", p.file], { timeout: 120_000, maxBuffer: 64 << 20 });
        const times = pk.split("\n").map(Number).filter(Number.isFinite);
        duration = times.length ? Math.max(...times) - Math.min(...times) : 0;
      }
      if (!has) bad.push({ file: p.file, reason: `no ${p.kind} stream` });
      else if (!(duration > 0.1)) bad.push({ file: p.file, reason: "empty" });
      else ok.push({ ...p, durationS: duration });
    } catch (e) {
      bad.push({ file: p.file, reason: ((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split("\n").pop() ?? "unreadable" });
    }
  }
  return { ok, bad };
}

function ffmpeg(args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err = (err + c.toString()).slice(-4000);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg ${signal ?? code}: ${err.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
}

const W = 1280;
const H = 720;

/** Writes out.mp4 from the good parts; returns nothing, throws with ffmpeg's last lines on failure. */
export async function composeMp4(parts: ProbedPart[], out: string, opts: { threads?: number } = {}): Promise<void> {
  const videos = parts.filter((p) => p.kind === "video").slice(0, 4);
  const audios = parts.filter((p) => p.kind === "audio");
  const total = Math.max(...parts.map((p) => p.offsetMs / 1000 + p.durationS));
  const inputs: string[] = [];
  const filters: string[] = [];
  let idx = 0;
  const vLabels: string[] = [];
  const cols = videos.length <= 1 ? 1 : 2;
  const rows = videos.length <= 2 ? 1 : 2;
  const cw = Math.floor(W / cols / 2) * 2;
  const ch = videos.length === 2 ? Math.floor(((cw * 9) / 16) / 2) * 2 : Math.floor(H / rows / 2) * 2;
  for (const v of videos) {
    inputs.push("-i", v.file);
    // Place the part at its offset, fit it into its tile, keep a constant frame rate for the encoder.
    filters.push(
      `[${idx}:v]setpts=PTS-STARTPTS,scale=${cw}:${ch}:force_original_aspect_ratio=decrease,pad=${cw}:${ch}:(ow-iw)/2:(oh-ih)/2,fps=25,tpad=start_duration=${(v.offsetMs / 1000).toFixed(3)}:stop_mode=clone:stop_duration=${(total - v.offsetMs / 1000 - v.durationS + 0.5).toFixed(3)}[v${idx}]`,
    );
    vLabels.push(`[v${idx}]`);
    idx++;
  }
  const aLabels: string[] = [];
  for (const a of audios) {
    inputs.push("-i", a.file);
    const d = Math.max(0, Math.round(a.offsetMs));
    filters.push(`[${idx}:a]asetpts=PTS-STARTPTS,aresample=48000,adelay=${d}|${d}[a${idx}]`);
    aLabels.push(`[a${idx}]`);
    idx++;
  }
  let vOut: string;
  if (vLabels.length === 0) {
    inputs.push("-f", "lavfi", "-t", total.toFixed(3), "-i", `color=c=black:s=${W}x${H}:r=25`);
    vOut = `${idx}:v`;
    idx++;
  } else if (vLabels.length === 1) {
    vOut = "[vout]";
    filters.push(`${vLabels[0]}null[vout]`);
  } else {
    const layout = vLabels.length === 2 ? "0_0|w0_0" : vLabels.length === 3 ? "0_0|w0_0|0_h0" : "0_0|w0_0|0_h0|w0_h0";
    filters.push(`${vLabels.join("")}xstack=inputs=${vLabels.length}:layout=${layout}:fill=black[vout]`);
    vOut = "[vout]";
  }
  let aOut: string | null = null;
  if (aLabels.length === 1) {
    filters.push(`${aLabels[0]}anull[aout]`);
    aOut = "[aout]";
  } else if (aLabels.length > 1) {
    filters.push(`${aLabels.join("")}amix=inputs=${aLabels.length}:duration=longest:normalize=0[aout]`);
    aOut = "[aout]";
  }
  const args = [
    ...inputs,
    ...(filters.length ? ["-filter_complex", filters.join(";")] : []),
    "-map", vOut,
    ...(aOut ? ["-map", aOut] : []),
    "-t", total.toFixed(3),
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
    ...(aOut ? ["-c:a", "aac", "-b:a", "128k", "-ac", "2"] : []),
    "-threads", String(opts.threads ?? 2),
    "-movflags", "+faststart",
    out,
  ];
  await ffmpeg(args, Math.max(120_000, total * 1000 * 4));
}

export async function poster(mp4: string, out: string, durationS: number): Promise<void> {
  await ffmpeg(["-ss", Math.min(1, durationS / 2).toFixed(2), "-i", mp4, "-frames:v", "1", "-vf", "scale=640:-2", out], 60_000);
}

export async function probeOutput(mp4: string): Promise<{ durationS: number; video: string | null; audio: string | null }> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,codec_name:format=duration", "-of", "json", mp4]);
  const info = JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string }[]; format: { duration: string } };
  return {
    durationS: Number(info.format.duration),
    video: info.streams.find((s) => s.codec_type === "video")?.codec_name ?? null,
    audio: info.streams.find((s) => s.codec_type === "audio")?.codec_name ?? null,
  };
}
