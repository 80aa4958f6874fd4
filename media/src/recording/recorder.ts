// Records a room: the recorder joins as a peer of its own, and for every producer it creates a PlainTransport
// towards a local ffmpeg that writes one Matroska part per producer. Order matters (verified): the consumer is
// created paused, ffmpeg is started on the SDP and has bound its port, then the consumer is resumed — resuming a
// video consumer requests a key frame, which ffmpeg needs to start a valid file. Stopping sends each ffmpeg an
// RTCP BYE (a clean end of input even when nothing flows any more). Uses only MediaApi, so it works against an
// in-process MediaService or a remote media node.
// A part is written in chunks of a few seconds (ffmpeg's segment muxer, cut at any packet: joined again in order
// they are one stream), each handed to `onChunk` as soon as it is closed, so that what was recorded is stored while
// the recording runs: the process running the recorder may die, and only its last chunk with it.
// The room's media can be rebuilt under the recorder (its mediasoup worker died, or its media node was lost and the
// room moved to another node, the recorder's peer with it): the recorder then finalises the parts it has, starts a
// new segment and records the producers that appear again. The recording job puts a visible gap card between
// segments, so a recording is never silently short. A recorder started again by another process after the first
// one died (`resume`) does the same from its own start.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { MediaApi, MediaEvent } from "../api";

export interface RecordedPart {
  /** Number of the part within the recording (unique across segments and recorder restarts). */
  part: number;
  /** Directory of its chunks. */
  dir: string;
  kind: "audio" | "video";
  producerId: string;
  peerId: string;
  /** When this part's media starts, relative to the start of the recording. */
  offsetMs: number;
  /** Which stretch of uninterrupted media the part belongs to (0, then +1 after every media restart). */
  segment: number;
}

interface Codec {
  mimeType: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  parameters?: Record<string, unknown>;
}

export interface RecorderOptions {
  recordingId: string;
  /** Directory for SDP files and parts (local to this media node). */
  dir: string;
  ffmpegPath?: string;
  /**
   * Called when the recorder is the last peer left in the room (the session ended without a stop), or the room
   * ended under it (`reason`: zh-CN, for the people in the room, e.g. its media node was lost with no other left).
   */
  onIdle?: (reason?: string) => void;
  /** The room's media was rebuilt (worker or node lost): the recording goes on in segment `segment`. */
  onRestart?: (segment: number) => void;
  /**
   * Chunk `chunk` (from 0, in order per part) of `part` is closed in `file`, covering `durationMs` of the part's
   * time (up to the next chunk's first packet: silence a sender left out, e.g. Opus DTX, included): store it (the
   * recorder waits for the promise before it reports the part's next chunk, and `stop()` waits for all of them).
   */
  onChunk?: (part: RecordedPart, chunk: number, file: string, durationMs: number) => Promise<void>;
  /** Seconds per chunk: what a dying recorder process can lose at most, besides the time until the takeover. */
  chunkSeconds?: number;
  /**
   * A recording taken over after its recorder process died: offsets count from the recording's start, the
   * segment and part numbers go on from those already stored.
   */
  resume?: { startedAt: number; segment: number; nextPart: number };
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

/** A free UDP port on 127.0.0.1 (bound and released; ffmpeg binds it right after). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once someone (ffmpeg) holds the UDP port. */
async function waitUntilBound(port: number, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const taken = await new Promise<boolean>((resolve) => {
      const s = createSocket("udp4");
      s.once("error", () => resolve(true));
      s.bind(port, "127.0.0.1", () => s.close(() => resolve(false)));
    });
    if (taken) return;
    if (Date.now() > until) throw new Error(`ffmpeg did not open udp port ${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function sdpFor(kind: "audio" | "video", port: number, codec: Codec): string {
  const name = codec.mimeType.split("/")[1]!;
  const lines = [
    "v=0",
    "o=- 0 0 IN IP4 127.0.0.1",
    "s=yilian-recording",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    `m=${kind} ${port} RTP/AVP ${codec.payloadType}`,
    `a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${codec.channels ? `/${codec.channels}` : ""}`,
  ];
  const fmtp = Object.entries(codec.parameters ?? {})
    .filter(([k]) => !k.startsWith("x-google"))
    .map(([k, v]) => `${k}=${v}`)
    .join(";");
  if (fmtp) lines.push(`a=fmtp:${codec.payloadType} ${fmtp}`);
  lines.push("a=rtcp-mux", "a=recvonly");
  return lines.join("\r\n") + "\r\n";
}

/**
 * RTCP receiver report + BYE: ffmpeg's RTP/SDP demuxer ends its input (EOF) once every stream said BYE, so it
 * writes the file's trailer also when no media arrives any more (the producer closed, e.g. the lecturer left).
 * A signal would only be acted on at the next packet, and a second one aborts the trailer.
 */
function rtcpBye(ssrc: number): Buffer {
  const b = Buffer.alloc(16); // ffmpeg ignores RTP/RTCP datagrams under 12 bytes: a compound RR + BYE
  b.writeUInt8(0x80, 0); // V=2, RC=0
  b.writeUInt8(201, 1); // RR
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  b.writeUInt8(0x81, 8); // V=2, SC=1
  b.writeUInt8(203, 9); // BYE
  b.writeUInt16BE(1, 10);
  b.writeUInt32BE(ssrc >>> 0, 12);
  return b;
}

/** Sends ffmpeg listening on `port` (loopback) the BYE of stream `ssrc`. */
export function sendBye(port: number, ssrc: number): Promise<void> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.once("error", () => s.close(() => resolve()));
    s.send(rtcpBye(ssrc), port, "127.0.0.1", () => s.close(() => resolve()));
  });
}

const execFileAsync = promisify(execFile);

/** Whether a Matroska chunk holds a key frame (only key frames are decoded: cheap). */
async function hasKeyFrame(file: string): Promise<boolean> {
  const args = ["-v", "error", "-select_streams", "v:0", "-skip_frame", "nokey", "-show_entries", "frame=pts_time"];
  try {
    const { stdout } = await execFileAsync("ffprobe", [...args, "-of", "csv=p=0", file], { timeout: 30_000 });
    return stdout.trim().length > 0;
  } catch {
    return true; // an unreadable chunk: nothing to ask the sender for
  }
}

interface Active {
  part: RecordedPart;
  /** Chunks handed to onChunk so far, and the chain that hands them over in order. */
  reported: number;
  reporting: Promise<void>;
  port: number;
  ssrc: number;
  consumerId: string;
  /** A key frame is in the part's file (audio: always): until then nothing of a video part can be decoded. */
  keyFrameSeen: boolean;
  stderr: () => string;
  ffmpeg: ChildProcess;
  exited: Promise<number | null>;
}

export class RoomRecorder {
  private readonly parts = new Map<string, Active>();
  /** Parts of earlier segments, finalised (or being finalised) when the media restarted. */
  private readonly finished: Active[] = [];
  private readonly finalising = new Set<Promise<void>>();
  private segment = 0;
  /** The media node the recorder's peer lives on (remote media only). */
  private nodeId: string | undefined;
  private readonly pending = new Set<Promise<void>>();
  private readonly peerId: string;
  private startedAt = 0;
  private stopped = false;
  private unsubscribe: () => void = () => undefined;
  private caps: unknown;
  private seq = 0;
  private poll: NodeJS.Timeout | undefined;
  /** Taken over by another process: nothing more is handed over from here. */
  private abandoned = false;

  private constructor(
    private readonly api: MediaApi,
    readonly roomKey: string,
    private readonly opts: RecorderOptions,
  ) {
    this.peerId = `recorder-${opts.recordingId}`;
    if (opts.resume) {
      this.segment = opts.resume.segment;
      this.seq = opts.resume.nextPart - 1;
    }
  }

  static async start(api: MediaApi, roomKey: string, opts: RecorderOptions): Promise<RoomRecorder> {
    const r = new RoomRecorder(api, roomKey, opts);
    await r.begin();
    return r;
  }

  private async begin(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    // ffmpeg takes one plain stream per port: no RTX retransmission stream, no transport-wide feedback.
    const caps = (await this.api.getRouterRtpCapabilities(this.roomKey)) as {
      codecs?: { mimeType: string; rtcpFeedback?: { type: string }[] }[];
      headerExtensions?: unknown[];
    };
    this.caps = {
      ...caps,
      codecs: (caps.codecs ?? [])
        .filter((c) => !/\/rtx$/i.test(c.mimeType))
        .map((c) => ({ ...c, rtcpFeedback: (c.rtcpFeedback ?? []).filter((f) => f.type !== "transport-cc") })),
      headerExtensions: [],
    };
    // Visible to everyone in the room: being recorded is never a secret.
    const snap = await this.api.joinPeer(this.roomKey, {
      peerId: this.peerId,
      userId: "00000000-0000-0000-0000-000000000000",
      displayName: "录制",
      role: "RECORDER",
    });
    this.startedAt = this.opts.resume?.startedAt ?? Date.now();
    this.nodeId = snap.nodeId;
    this.poll = setInterval(() => {
      for (const a of this.parts.values()) void this.report(a);
    }, 1000);
    this.poll.unref();
    this.unsubscribe = this.api.onEvent((e) => this.onEvent(e));
    await Promise.all(snap.producers.map((p) => this.track(p.producerId, p.peerId)));
  }

  private onEvent(e: MediaEvent): void {
    if (e.roomKey !== this.roomKey || this.stopped) return;
    if (e.name === "media:newProducer" && e.payload.peerId !== this.peerId)
      void this.track(e.payload.producerId, e.payload.peerId);
    if (e.name === "media:restart") return this.onRestart(e);
    if (e.name === "media:roomClosed" && e.payload.reason === "node-lost") {
      this.opts.onIdle?.(e.payload.message ?? "音视频节点出现故障，房间已关闭，录像在此结束");
      return;
    }
    if (e.name === "media:peerLeft" || e.name === "media:roomClosed") {
      void this.api
        .snapshot(this.roomKey)
        .then((s) => {
          // The count, not the peers listed: a broadcast (training) snapshot lists the senders only.
          if (s.peerCount <= 1) this.opts.onIdle?.();
        })
        .catch(() => this.opts.onIdle?.());
    }
  }

  /**
   * The room's media was rebuilt: a worker was replaced (every transport is gone), or a lost node's room moved
   * (`moved`: the peers joined again elsewhere). The parts so far end here, cleanly; the producers that appear on
   * the rebuilt room are recorded into a new segment.
   */
  private onRestart(e: Extract<MediaEvent, { name: "media:restart" }>): void {
    if (e.moved) {
      const to = e.moved[this.peerId];
      if (!to) {
        // Our node was lost and the recorder could not join again elsewhere: the recording ends here, with why.
        // (Another node of a spanning session that lost its peers is not ours.)
        if (e.nodeId && e.nodeId === this.nodeId)
          this.opts.onIdle?.("音视频节点出现故障，录像无法继续，已在中断处结束");
        return;
      }
      this.nodeId = to;
    }
    const old = [...this.parts.values()];
    this.parts.clear();
    this.segment++;
    this.opts.log?.("recorder: media restarted, new segment", {
      reason: e.payload.reason,
      segment: this.segment,
      finalised: old.length,
    });
    this.finished.push(...old);
    for (const a of old) void this.finalise(a);
    this.opts.onRestart?.(this.segment);
    for (const p of e.payload.producers ?? []) if (p.peerId !== this.peerId) void this.track(p.producerId, p.peerId);
  }

  /** Ends one part's ffmpeg cleanly (see stop); tracked so stop() waits for it. */
  private finalise(a: Active): Promise<void> {
    const p = (async () => {
      // An RTCP BYE ends ffmpeg's input: it writes the Matroska cues and trailer and exits, whether media still
      // flows or the producer is long gone. Fallbacks: SIGINT (acted on at the next packet), then a second one
      // (interrupts the read, but also the trailer), then SIGKILL.
      await sendBye(a.port, a.ssrc);
      const timers = [
        setTimeout(() => void sendBye(a.port, a.ssrc), 1000),
        setTimeout(() => a.ffmpeg.kill("SIGINT"), 3000),
        setTimeout(() => a.ffmpeg.kill("SIGINT"), 6000),
        setTimeout(() => a.ffmpeg.kill("SIGKILL"), 10_000),
      ];
      const code = await a.exited;
      timers.forEach(clearTimeout);
      await this.report(a);
      if (code || process.env.YILIAN_RECORDER_FFMPEG_LOGLEVEL)
        this.opts.log?.("recorder: ffmpeg ended", { producerId: a.part.producerId, code, stderr: a.stderr() });
    })();
    this.finalising.add(p);
    return p;
  }

  /** Hands the part's newly closed chunks (ffmpeg lists each in its CSV once written) to onChunk, in order. */
  private report(a: Active): Promise<void> {
    a.reporting = a.reporting.then(async () => {
      if (this.abandoned) return;
      const list = await readFile(path.join(a.part.dir, "chunks.csv"), "utf8").catch(() => "");
      // One line per closed chunk: file, start and end on the part's own timeline (end = the next one's start).
      const chunks = list
        .split("\n")
        .map((l) => l.split(","))
        .filter((f) => f.length >= 3);
      for (; a.reported < chunks.length; a.reported++) {
        const [name, start, end] = chunks[a.reported]!;
        const file = path.join(a.part.dir, name!.trim());
        const durationMs = Math.max(0, Math.round((Number(end) - Number(start)) * 1000));
        if (!a.keyFrameSeen) await this.checkKeyFrame(a, file);
        try {
          await this.opts.onChunk?.(a.part, a.reported, file, durationMs);
        } catch (err) {
          this.opts.log?.("recorder: chunk not stored", { part: a.part.part, chunk: a.reported, err: String(err) });
        }
      }
    });
    return a.reporting;
  }

  /**
   * A video part's chunk closed without its part having had a key frame yet: ask the sender again. Resuming the
   * consumer asked once, but that key frame can miss ffmpeg (bench faults: the burst of a key frame's packets at a
   * restart on a saturated host), and a WebRTC sender sends no other until asked: the part would hold nothing
   * decodable to its end.
   */
  private async checkKeyFrame(a: Active, file: string): Promise<void> {
    if (await hasKeyFrame(file)) {
      a.keyFrameSeen = true;
      return;
    }
    if (this.stopped || !this.parts.has(a.part.producerId)) return;
    this.opts.log?.("recorder: no key frame in the part yet, asking again", { part: a.part.part, chunk: a.reported });
    await this.api.requestKeyFrame(this.roomKey, this.peerId, a.consumerId).catch(() => undefined);
  }

  private track(producerId: string, peerId: string): Promise<void> {
    const p = this.addProducer(producerId, peerId).catch((err) =>
      this.opts.log?.("recorder: producer not recorded", { producerId, err: String(err) }),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  private async addProducer(producerId: string, peerId: string): Promise<void> {
    if (this.parts.has(producerId) || this.stopped) return;
    const segment = this.segment;
    const port = await freeUdpPort();
    const transport = await this.api.createPlainTransport(this.roomKey, this.peerId, {
      direction: "recv",
      remote: { ip: "127.0.0.1", port },
    });
    // 1. consumer created paused (the media service always creates consumers paused)
    const consumer = await this.api.consume(this.roomKey, this.peerId, {
      transportId: transport.id,
      producerId,
      rtpCapabilities: this.caps,
    });
    const codec = (consumer.rtpParameters as { codecs: Codec[] }).codecs[0]!;
    const n = ++this.seq;
    const dir = path.join(this.opts.dir, `${String(n).padStart(3, "0")}-${consumer.kind}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "input.sdp"), sdpFor(consumer.kind, port, codec));
    // 2. ffmpeg on the SDP, copying the codec as is into Matroska chunks. No read timeout: a paused producer (a
    //    muted microphone) sends nothing, and its part must go on when it resumes; stop() ends it with an RTCP BYE.
    //    setpriv: ffmpeg dies with this process (an orphan would listen for ever), its chunks taken over elsewhere.
    const ffmpeg = spawn(
      "setpriv",
      [
        "--pdeathsig",
        "SIGKILL",
        "--",
        this.opts.ffmpegPath ?? "ffmpeg",
        "-hide_banner",
        "-loglevel",
        process.env.YILIAN_RECORDER_FFMPEG_LOGLEVEL ?? "error",
        "-nostdin",
        "-protocol_whitelist",
        "file,udp,rtp",
        "-listen_timeout",
        "-1",
        "-fflags",
        "+genpts",
        "-analyzeduration",
        "3000000",
        "-fpsprobesize",
        "0",
        "-reorder_queue_size",
        "64",
        "-i",
        path.join(dir, "input.sdp"),
        "-map",
        "0",
        "-c",
        "copy",
        "-f",
        "segment",
        "-segment_format",
        "matroska",
        "-segment_time",
        String(this.opts.chunkSeconds ?? 5),
        // Cut at any packet (no key frames on a schedule from WebRTC senders): the chunks joined in order are one
        // stream again, each starting at zero so that they join by their durations.
        "-break_non_keyframes",
        "1",
        "-reset_timestamps",
        "1",
        "-segment_list",
        path.join(dir, "chunks.csv"),
        "-segment_list_type",
        "csv",
        path.join(dir, "%05d.mkv"),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let err = "";
    ffmpeg.stderr!.on("data", (c: Buffer) => {
      err = (err + c.toString()).slice(-2000);
    });
    const exited = new Promise<number | null>((resolve) =>
      ffmpeg.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : null))),
    );
    void exited.then((code) => {
      if (code && !this.stopped) this.opts.log?.("recorder: ffmpeg exited early", { producerId, code, err });
    });
    await waitUntilBound(port);
    const part: RecordedPart = {
      part: n,
      dir,
      kind: consumer.kind,
      producerId,
      peerId,
      offsetMs: Date.now() - this.startedAt,
      segment,
    };
    const ssrc = (consumer.rtpParameters as { encodings?: { ssrc?: number }[] }).encodings?.[0]?.ssrc ?? 0;
    const active: Active = {
      part,
      reported: 0,
      reporting: Promise.resolve(),
      port,
      ssrc,
      consumerId: consumer.id,
      keyFrameSeen: consumer.kind === "audio",
      ffmpeg,
      exited,
      stderr: () => err,
    };
    if (segment !== this.segment) {
      // The media restarted while this part was being set up: it belongs to the segment that just ended.
      this.finished.push(active);
      void this.finalise(active);
      return;
    }
    this.parts.set(producerId, active);
    // 3. resume: for video this requests the key frame ffmpeg starts from
    await this.api.resumeConsumer(this.roomKey, this.peerId, consumer.id);
  }

  /**
   * Another process took the recording over (this one had lost touch with Redis for longer than its owner key
   * lives): end the local ffmpegs at once, hand over nothing more, leave the peer to the new recorder.
   */
  abandon(): void {
    this.abandoned = true;
    this.stopped = true;
    this.unsubscribe();
    clearInterval(this.poll);
    for (const a of [...this.finished, ...this.parts.values()]) a.ffmpeg.kill("SIGKILL");
  }

  /** Stops every ffmpeg cleanly (finalising the files) and leaves the room; returns the parts written. */
  async stop(): Promise<{ parts: RecordedPart[]; durationMs: number }> {
    const all = () => [...this.finished, ...this.parts.values()].map((a) => a.part);
    if (this.stopped) return { parts: all(), durationMs: 0 };
    await Promise.allSettled([...this.pending]);
    this.stopped = true;
    this.unsubscribe();
    clearInterval(this.poll);
    const durationMs = Date.now() - this.startedAt;
    for (const a of this.parts.values()) void this.finalise(a);
    await Promise.allSettled([...this.finalising]);
    await this.api.leavePeer(this.roomKey, this.peerId).catch(() => undefined);
    return { parts: all(), durationMs };
  }
}
