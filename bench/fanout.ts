// bench fanout: one producer (ffmpeg: 720p VP8 ~1 Mb/s + opus, as RTP), N consumers on SRTP-encrypted
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
import { MediaService, loadMediasoup, mediaCodecs } from "@yilian/media";
import type { types } from "mediasoup";
import { emit, log } from "./lib";

const BENCH = "fanout";
const STEPS = [0, 150, 300];
const WINDOW_MS = 6000;
const VIDEO_SSRC = 22222222;
const AUDIO_SSRC = 11111111;
const videoRtp = { codecs: [{ mimeType: "video/VP8", payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: VIDEO_SSRC }] };
const audioRtp = {
  codecs: [{ mimeType: "audio/opus", payloadType: 100, clockRate: 48000, channels: 2, parameters: { "sprop-stereo": 1 } }],
  encodings: [{ ssrc: AUDIO_SSRC }],
};
const srtp = () => ({ cryptoSuite: "AES_CM_128_HMAC_SHA1_80" as const, keyBase64: randomBytes(30).toString("base64") });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A UDP port that is bound but never read: the kernel drops what overflows, at no CPU cost to a reader. */
async function startSink(): Promise<{ port: number; child: ChildProcess }> {
  const code = `const s=require("dgram").createSocket("udp4");s.bind(0,"127.0.0.1",()=>{console.log("sink "+s.address().port);Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0)})`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve(Number(/sink (\d+)/.exec(d.toString())?.[1])));
    child.once("exit", () => reject(new Error("sink exited")));
  });
  return { port, child };
}

/** Receives ffmpeg's RTP and copies every packet to each registered target (our producer, the bare one). */
async function startRelay() {
  const targets: { video: { port: number }[]; audio: { port: number }[] } = { video: [], audio: [] };
  const out = dgram.createSocket("udp4");
  const bind = (kind: "video" | "audio") =>
    new Promise<number>((resolve) => {
      const s = dgram.createSocket("udp4");
      s.on("message", (msg) => {
        for (const t of targets[kind]) out.send(msg, t.port, "127.0.0.1");
      });
      s.bind(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port));
      sockets.push(s);
    });
  const sockets: dgram.Socket[] = [out];
  await new Promise<void>((r) => out.bind(0, "127.0.0.1", () => r()));
  const videoPort = await bind("video");
  const audioPort = await bind("audio");
  return { targets, videoPort, audioPort, close: () => sockets.forEach((s) => s.close()) };
}

function startFfmpeg(videoPort: number, audioPort: number): ChildProcess {
  const args = [
    "-hide_banner", "-loglevel", "error", "-re",
    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
    "-map", "0:v", "-c:v", "libvpx", "-b:v", "1000k", "-deadline", "realtime", "-cpu-used", "8", "-g", "60",
    "-error-resilient", "1", "-auto-alt-ref", "0", "-ssrc", String(VIDEO_SSRC), "-payload_type", "101",
    "-f", "rtp", `rtp://127.0.0.1:${videoPort}?pkt_size=1200`,
    "-map", "1:a", "-c:a", "libopus", "-b:a", "48k", "-ac", "2", "-ssrc", String(AUDIO_SSRC), "-payload_type", "100",
    "-f", "rtp", `rtp://127.0.0.1:${audioPort}?pkt_size=1200`,
  ];
  const child = spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "inherit"] });
  child.on("error", (e) => log("ffmpeg failed to start:", e.message));
  return child;
}

interface Side {
  name: string;
  workerPid: () => number;
  cpuMs: () => Promise<number>;
  addConsumers(n: number, sinkPort: number): Promise<void>;
  consumers: () => number;
  close(): Promise<void>;
}

/** Our media service: a room with a source peer and one peer per viewer, through the Room/Peer API. */
async function ours(relay: Awaited<ReturnType<typeof startRelay>>): Promise<Side> {
  const media = await MediaService.start({ numWorkers: 1, webRtcPortBase: 0 });
  // A consultation room: one router, our Room/Peer bookkeeping (training rooms add pipes; see bench broadcast).
  const { roomKey } = await media.openRoom("consultation", "00000000-0000-4000-8000-00000000fa00");
  await media.joinPeer(roomKey, { peerId: "source", userId: "source", displayName: "source", role: "REQUESTER" });
  const v = await media.createPlainTransport(roomKey, "source", { direction: "send" });
  const a = await media.createPlainTransport(roomKey, "source", { direction: "send" });
  const video = await media.produce(roomKey, "source", { transportId: v.id, kind: "video", source: "camera", rtpParameters: videoRtp, paused: false });
  const audio = await media.produce(roomKey, "source", { transportId: a.id, kind: "audio", source: "microphone", rtpParameters: audioRtp, paused: false });
  relay.targets.video.push({ port: v.port });
  relay.targets.audio.push({ port: a.port });
  const caps = await media.getRouterRtpCapabilities(roomKey);
  let count = 0;
  const worker = media.pool.workers[0]!.worker;
  return {
    name: "ours",
    workerPid: () => worker.pid,
    cpuMs: async () => {
      const u = await worker.getResourceUsage();
      return u.ru_utime + u.ru_stime;
    },
    async addConsumers(n, sinkPort) {
      for (let i = 0; i < n; i++) {
        const peerId = `viewer-${count}`;
        await media.joinPeer(roomKey, { peerId, userId: peerId, displayName: peerId, role: "SPECIALIST" });
        const t = await media.createPlainTransport(roomKey, peerId, { direction: "recv", srtp: true, remote: { ip: "127.0.0.1", port: sinkPort, srtpParameters: srtp() } });
        for (const producerId of [video.id, audio.id]) {
          const c = await media.consume(roomKey, peerId, { transportId: t.id, producerId, rtpCapabilities: caps });
          await media.resumeConsumer(roomKey, peerId, c.id);
        }
        count++;
      }
    },
    consumers: () => count,
    close: () => media.close(),
  };
}

/** Bare mediasoup: the same media path with no application objects around it. */
async function bare(relay: Awaited<ReturnType<typeof startRelay>>): Promise<Side> {
  const mediasoup = await loadMediasoup();
  const worker = await mediasoup.createWorker({ logLevel: "warn" });
  const router = await worker.createRouter({ mediaCodecs });
  const plain = () => router.createPlainTransport({ listenIp: { ip: "127.0.0.1" }, rtcpMux: true, comedia: true });
  const v = await plain();
  const a = await plain();
  const video = await v.produce({ kind: "video", rtpParameters: videoRtp as types.RtpParameters });
  const audio = await a.produce({ kind: "audio", rtpParameters: audioRtp as types.RtpParameters });
  relay.targets.video.push({ port: v.tuple.localPort });
  relay.targets.audio.push({ port: a.tuple.localPort });
  let count = 0;
  return {
    name: "bare",
    workerPid: () => worker.pid,
    cpuMs: async () => {
      const u = await worker.getResourceUsage();
      return u.ru_utime + u.ru_stime;
    },
    async addConsumers(n, sinkPort) {
      for (let i = 0; i < n; i++) {
        const t = await router.createPlainTransport({ listenIp: { ip: "127.0.0.1" }, rtcpMux: true, enableSrtp: true, srtpCryptoSuite: "AES_CM_128_HMAC_SHA1_80" });
        await t.connect({ ip: "127.0.0.1", port: sinkPort, srtpParameters: srtp() });
        for (const producer of [video, audio]) await t.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
        count++;
      }
    },
    consumers: () => count,
    close: async () => worker.close(),
  };
}

/** Least-squares line through (x, y). */
function fit(points: { x: number; y: number }[]): { slope: number; intercept: number } {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const slope = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return { slope, intercept: my - slope * mx };
}

export default async function run(): Promise<void> {
  const sink = await startSink();
  const relay = await startRelay();
  let ffmpeg: ChildProcess | undefined;
  const sides: Side[] = [];
  try {
    sides.push(await ours(relay), await bare(relay));
    ffmpeg = startFfmpeg(relay.videoPort, relay.audioPort);
    log("producer (ffmpeg → relay → both workers) started; warming up");
    await sleep(3000);
    if (ffmpeg.exitCode !== null) throw new Error("ffmpeg exited; is it installed (scripts/install-system-deps.sh)?");
    const samples: Record<string, { x: number; y: number }[]> = { ours: [], bare: [] };
    for (const step of STEPS) {
      for (const side of sides) await side.addConsumers(step - side.consumers(), sink.port);
      await sleep(1500); // let the new consumers settle (first packets, SRTP sessions)
      const before = await Promise.all(sides.map((s) => s.cpuMs()));
      const t0 = performance.now();
      await sleep(WINDOW_MS);
      const after = await Promise.all(sides.map((s) => s.cpuMs()));
      const wall = performance.now() - t0;
      sides.forEach((s, i) => {
        const pct = ((after[i]! - before[i]!) / wall) * 100;
        samples[s.name]!.push({ x: s.consumers(), y: pct });
        log(`${s.name}: ${s.consumers()} consumers → worker ${pct.toFixed(1)} % of a core`);
      });
    }
    const o = fit(samples.ours!);
    const b = fit(samples.bare!);
    log(`ours: ${o.slope.toFixed(4)} %/consumer (+${o.intercept.toFixed(1)} %), bare: ${b.slope.toFixed(4)} %/consumer (+${b.intercept.toFixed(1)} %)`);
    emit(BENCH, "cpu_per_consumer_pct", o.slope, "%");
    emit(BENCH, "consumers_at_85pct", Math.floor((85 - o.intercept) / o.slope), "count");
    emit(BENCH, "ratio_vs_bare", o.slope / b.slope, "ratio");
    emit(BENCH, "bare_cpu_per_consumer_pct", b.slope, "%");
    emit(BENCH, "bare_consumers_at_85pct", Math.floor((85 - b.intercept) / b.slope), "count");
  } finally {
    ffmpeg?.kill("SIGKILL");
    for (const s of sides) await s.close().catch(() => undefined);
    relay.close();
    sink.child.kill("SIGKILL");
  }
}
