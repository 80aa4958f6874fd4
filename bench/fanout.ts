// bench fanout: one producer (720p VP8 ~1 Mb/s + opus encoded by ffmpeg, replayed as RTP), N consumers on SRTP-encrypted
// PlainTransports sending to a UDP sink — through our media service (rooms, peers, observers, paused-then-
// resumed consumers) and, in the same run and at the same time, on bare mediasoup (a worker, a router,
// transports and consumers, nothing else). Both workers get the same packets from one relay, and their CPU is
// read over the same windows, so machine noise hits both alike.
//   cpu_per_consumer_pct: worker CPU (% of one core) per consumer, slope of a fit over N = 0, 150, 300
//   consumers_at_85pct:   N at which one worker reaches 85 %, from that fit
//   ratio_vs_bare:        our slope / bare slope (our bookkeeping must cost ≤ 10 %: ratio ≤ 1.10)
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { MediaService, loadMediasoup, mediaCodecs } from "@yilian/media";
import type { types } from "mediasoup";
import { emit, log } from "./lib";

const BENCH = "fanout";
const STEPS = [0, 150, 300];
const WINDOW_MS = 6000;
const VIDEO_SSRC = 22222222;
const AUDIO_SSRC = 11111111;
const videoRtp = {
  codecs: [{ mimeType: "video/VP8", payloadType: 101, clockRate: 90000 }],
  encodings: [{ ssrc: VIDEO_SSRC }],
};
const audioRtp = {
  codecs: [
    { mimeType: "audio/opus", payloadType: 100, clockRate: 48000, channels: 2, parameters: { "sprop-stereo": 1 } },
  ],
  encodings: [{ ssrc: AUDIO_SSRC }],
};
const srtp = () => ({ cryptoSuite: "AES_CM_128_HMAC_SHA1_80" as const, keyBase64: randomBytes(30).toString("base64") });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A UDP port that is bound but never read: the kernel drops what overflows, at no CPU cost to a reader. */
async function startSink(): Promise<{ port: number; child: ChildProcess }> {
  // Blocks in Atomics.wait (no reads, no CPU); wakes once a second to exit if the benchmark is gone.
  const code = `const s=require("dgram").createSocket("udp4");s.bind(0,"127.0.0.1",()=>{console.log("sink "+s.address().port);const a=new Int32Array(new SharedArrayBuffer(4));for(;;){Atomics.wait(a,0,0,1000);try{process.kill(${process.pid},0)}catch{process.exit(0)}}})`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve(Number(/sink (\d+)/.exec(d.toString())?.[1])));
    child.once("exit", () => reject(new Error("sink exited")));
  });
  return { port, child };
}

interface Clip {
  /** Packets with their send offset (ms) from the clip start, paced by RTP timestamps. */
  packets: { at: number; buf: Buffer }[];
  count: number;
  /** RTP timestamp advance per loop of the clip. */
  tsSpan: number;
}

/**
 * Encodes a few seconds of 720p VP8 (~1 Mb/s) and opus with ffmpeg once, capturing its RTP packets. The replay
 * is paced by the packets' RTP timestamps, so the input rate stays the same on a busy machine (an encoder that
 * falls behind real time would otherwise lower the very load it is meant to create).
 */
async function captureClips(): Promise<{ video: Clip; audio: Clip }> {
  const sockets: dgram.Socket[] = [];
  const grab = (clock: number, frameTicks: number) =>
    new Promise<{ port: number; done: () => Clip }>((resolve) => {
      const s = dgram.createSocket("udp4");
      const raw: Buffer[] = [];
      s.on("message", (msg) => raw.push(Buffer.from(msg)));
      s.bind(0, "127.0.0.1", () =>
        resolve({
          port: (s.address() as AddressInfo).port,
          done: () => {
            const rtp = raw.filter((b) => b.length > 12 && (b[1]! & 0x7f) >= 96 && (b[1]! & 0x7f) <= 127); // no RTCP
            if (!rtp.length) throw new Error("ffmpeg sent no RTP");
            const first = rtp[0]!.readUInt32BE(4);
            const packets = rtp.map((buf) => ({ at: (((buf.readUInt32BE(4) - first) >>> 0) / clock) * 1000, buf }));
            const last = (rtp[rtp.length - 1]!.readUInt32BE(4) - first) >>> 0;
            return { packets, count: rtp.length, tsSpan: last + frameTicks };
          },
        }),
      );
      sockets.push(s);
    });
  const v = await grab(90000, 3000);
  const a = await grab(48000, 960);
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-re",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=1280x720:rate=30:duration=8",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000:duration=8",
    "-map",
    "0:v",
    "-c:v",
    "libvpx",
    "-b:v",
    "1000k",
    "-deadline",
    "realtime",
    "-cpu-used",
    "8",
    "-g",
    "60",
    "-error-resilient",
    "1",
    "-auto-alt-ref",
    "0",
    "-ssrc",
    String(VIDEO_SSRC),
    "-payload_type",
    "101",
    "-f",
    "rtp",
    `rtp://127.0.0.1:${v.port}?pkt_size=1200`,
    "-map",
    "1:a",
    "-c:a",
    "libopus",
    "-b:a",
    "48k",
    "-ac",
    "2",
    "-ssrc",
    String(AUDIO_SSRC),
    "-payload_type",
    "100",
    "-f",
    "rtp",
    `rtp://127.0.0.1:${a.port}?pkt_size=1200`,
  ];
  const ffmpeg = spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "inherit"] });
  const code = await new Promise<number | null>((resolve, reject) => {
    ffmpeg.once("error", reject);
    ffmpeg.once("exit", resolve);
  });
  await sleep(100);
  sockets.forEach((s) => s.close());
  if (code !== 0) throw new Error("ffmpeg failed; is it installed (scripts/install-system-deps.sh)?");
  return { video: v.done(), audio: a.done() };
}

/** Replays the clips in a loop to every registered target, renumbering sequence numbers and timestamps. */
function startReplay(clips: { video: Clip; audio: Clip }) {
  const targets: { video: number[]; audio: number[] } = { video: [], audio: [] };
  const out = dgram.createSocket("udp4");
  const state = (["video", "audio"] as const).map((kind) => ({
    kind,
    clip: clips[kind],
    lengthMs: (clips[kind].tsSpan / (kind === "video" ? 90000 : 48000)) * 1000,
    loop: 0,
    i: 0,
  }));
  let sentBytes = 0;
  const t0 = performance.now();
  const timer = setInterval(() => {
    const now = performance.now() - t0;
    for (const st of state) {
      for (;;) {
        const p = st.clip.packets[st.i]!;
        if (st.loop * st.lengthMs + p.at > now) break;
        const buf = Buffer.from(p.buf);
        buf.writeUInt16BE((buf.readUInt16BE(2) + st.loop * st.clip.count) & 0xffff, 2);
        buf.writeUInt32BE((buf.readUInt32BE(4) + st.loop * st.clip.tsSpan) >>> 0, 4);
        for (const port of targets[st.kind]) out.send(buf, port, "127.0.0.1");
        sentBytes += buf.length;
        if (++st.i === st.clip.packets.length) {
          st.i = 0;
          st.loop++;
        }
      }
    }
  }, 5);
  return {
    targets,
    kbps: () => (sentBytes * 8) / (performance.now() - t0),
    /** Bytes sent to each target so far. */
    sentBytes: () => sentBytes,
    close: () => {
      clearInterval(timer);
      out.close();
    },
  };
}

interface Side {
  name: string;
  workerPid: () => number;
  cpuMs: () => Promise<number>;
  /** Bytes the producers have received so far (what the worker actually took in and forwarded). */
  inBytes: () => Promise<number>;
  addConsumers(n: number, sinkPort: number): Promise<void>;
  consumers: () => number;
  close(): Promise<void>;
}

type Replay = ReturnType<typeof startReplay>;

/** Our media service: a room with a source peer and one peer per viewer, through the Room/Peer API. */
async function ours(relay: Replay): Promise<Side> {
  const media = await MediaService.start({ numWorkers: 1, webRtcPortBase: 0 });
  // A consultation room: one router, our Room/Peer bookkeeping (training rooms add pipes; see bench broadcast).
  const { roomKey } = await media.openRoom("consultation", "00000000-0000-4000-8000-00000000fa00");
  await media.joinPeer(roomKey, { peerId: "source", userId: "source", displayName: "source", role: "REQUESTER" });
  const v = await media.createPlainTransport(roomKey, "source", { direction: "send" });
  const a = await media.createPlainTransport(roomKey, "source", { direction: "send" });
  const video = await media.produce(roomKey, "source", {
    transportId: v.id,
    kind: "video",
    source: "camera",
    rtpParameters: videoRtp,
    paused: false,
  });
  const audio = await media.produce(roomKey, "source", {
    transportId: a.id,
    kind: "audio",
    source: "microphone",
    rtpParameters: audioRtp,
    paused: false,
  });
  relay.targets.video.push(v.port);
  relay.targets.audio.push(a.port);
  const caps = await media.getRouterRtpCapabilities(roomKey);
  const producers = [video.id, audio.id].map(
    (id) => media.roomObject(roomKey)!.peers.get("source")!.producers.get(id)!,
  );
  let count = 0;
  const worker = media.pool.workers[0]!.worker;
  return {
    name: "ours",
    workerPid: () => worker.pid,
    inBytes: () => producedBytes(producers),
    cpuMs: async () => {
      const u = await worker.getResourceUsage();
      return u.ru_utime + u.ru_stime;
    },
    addConsumers: (n, sinkPort) =>
      inBatches(n, async () => {
        const peerId = `viewer-${count++}`;
        await media.joinPeer(roomKey, { peerId, userId: peerId, displayName: peerId, role: "SPECIALIST" });
        const t = await media.createPlainTransport(roomKey, peerId, {
          direction: "recv",
          srtp: true,
          remote: { ip: "127.0.0.1", port: sinkPort, srtpParameters: srtp() },
        });
        for (const producerId of [video.id, audio.id]) {
          const c = await media.consume(roomKey, peerId, { transportId: t.id, producerId, rtpCapabilities: caps });
          await media.resumeConsumer(roomKey, peerId, c.id);
        }
      }),
    consumers: () => count,
    close: () => media.close(),
  };
}

/** Bare mediasoup: the same media path with no application objects around it. */
async function bare(relay: Replay): Promise<Side> {
  const mediasoup = await loadMediasoup();
  const worker = await mediasoup.createWorker({ logLevel: "warn" });
  const router = await worker.createRouter({ mediaCodecs });
  const plain = () => router.createPlainTransport({ listenIp: { ip: "127.0.0.1" }, rtcpMux: true, comedia: true });
  const v = await plain();
  const a = await plain();
  const video = await v.produce({ kind: "video", rtpParameters: videoRtp as types.RtpParameters });
  const audio = await a.produce({ kind: "audio", rtpParameters: audioRtp as types.RtpParameters });
  relay.targets.video.push(v.tuple.localPort);
  relay.targets.audio.push(a.tuple.localPort);
  let count = 0;
  return {
    name: "bare",
    workerPid: () => worker.pid,
    inBytes: () => producedBytes([video, audio]),
    cpuMs: async () => {
      const u = await worker.getResourceUsage();
      return u.ru_utime + u.ru_stime;
    },
    addConsumers: (n, sinkPort) =>
      inBatches(n, async () => {
        count++;
        const t = await router.createPlainTransport({
          listenIp: { ip: "127.0.0.1" },
          rtcpMux: true,
          enableSrtp: true,
          srtpCryptoSuite: "AES_CM_128_HMAC_SHA1_80",
        });
        await t.connect({ ip: "127.0.0.1", port: sinkPort, srtpParameters: srtp() });
        for (const producer of [video, audio])
          await t.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
      }),
    consumers: () => count,
    close: async () => worker.close(),
  };
}

async function producedBytes(producers: types.Producer[]): Promise<number> {
  let bytes = 0;
  for (const p of producers) for (const s of await p.getStats()) bytes += s.byteCount;
  return bytes;
}

/** Runs `n` setups, 25 at a time (setting up hundreds one by one is slow on a busy machine). */
async function inBatches(n: number, one: () => Promise<void>): Promise<void> {
  for (let done = 0; done < n; ) {
    const k = Math.min(25, n - done);
    await Promise.all(Array.from({ length: k }, one));
    done += k;
  }
}

/** Least-squares line through (x, y). */
function fit(points: { x: number; y: number }[]): { slope: number; intercept: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const slope =
    points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return { slope, intercept: my - slope * mx };
}

export default async function run(): Promise<void> {
  log("encoding the producer's clip (ffmpeg: 720p VP8 ~1 Mb/s + opus, 8 s)");
  const clips = await captureClips();
  const sink = await startSink();
  const sides: Side[] = [];
  let replay: Replay | undefined;
  try {
    replay = startReplay(clips);
    sides.push(await ours(replay), await bare(replay));
    log("producer replay → both workers started; warming up");
    await sleep(2000);
    const samples: Record<string, { x: number; y: number }[]> = { ours: [], bare: [] };
    let minDelivered = 1;
    for (const step of STEPS) {
      for (const side of sides) await side.addConsumers(step - side.consumers(), sink.port);
      await sleep(1500); // let the new consumers settle (first packets, SRTP sessions)
      const before = await Promise.all(sides.map(async (s) => ({ cpu: await s.cpuMs(), bytes: await s.inBytes() })));
      const sentBefore = replay.sentBytes();
      const t0 = performance.now();
      await sleep(WINDOW_MS);
      const after = await Promise.all(sides.map(async (s) => ({ cpu: await s.cpuMs(), bytes: await s.inBytes() })));
      const wall = performance.now() - t0;
      const sent = replay.sentBytes() - sentBefore;
      sides.forEach((s, i) => {
        const pct = ((after[i]!.cpu - before[i]!.cpu) / wall) * 100;
        // A CPU-starved worker drops input at its socket and so forwards less: scale to the full input rate, so a
        // busy machine does not make a consumer look cheaper (the note in the log shows how much arrived).
        const delivered = Math.min(1, (after[i]!.bytes - before[i]!.bytes) / Math.max(1, sent));
        const scaled = delivered > 0 ? pct / delivered : pct;
        minDelivered = Math.min(minDelivered, delivered);
        samples[s.name]!.push({ x: s.consumers(), y: scaled });
        log(
          `${s.name}: ${s.consumers()} consumers → worker ${pct.toFixed(1)} % of a core, input taken ${(delivered * 100).toFixed(0)} % → ${scaled.toFixed(1)} % at full input`,
        );
      });
    }
    log(`producer input over the run: ${replay.kbps().toFixed(0)} kb/s`);
    const o = fit(samples.ours!);
    const b = fit(samples.bare!);
    log(
      `ours: ${o.slope.toFixed(4)} %/consumer (+${o.intercept.toFixed(1)} %), bare: ${b.slope.toFixed(4)} %/consumer (+${b.intercept.toFixed(1)} %)`,
    );
    emit(BENCH, "cpu_per_consumer_pct", o.slope, "%");
    emit(BENCH, "consumers_at_85pct", Math.floor((85 - o.intercept) / o.slope), "count");
    emit(BENCH, "ratio_vs_bare", o.slope / b.slope, "ratio");
    emit(BENCH, "bare_cpu_per_consumer_pct", b.slope, "%");
    emit(BENCH, "bare_consumers_at_85pct", Math.floor((85 - b.intercept) / b.slope), "count");
    // Below ~90 % the workers were starved of CPU by other load on the machine: treat the figures as rough.
    emit(BENCH, "input_delivered_min_pct", minDelivered * 100, "%");
    emit(BENCH, "load_avg_1m", loadavg()[0]!, "load");
    if (minDelivered < 0.9) log("warning: the machine was too busy for a clean measurement (workers dropped input)");
  } finally {
    replay?.close();
    for (const s of sides) await s.close().catch(() => undefined);
    sink.child.kill("SIGKILL");
  }
}
