// One training session spanning two media node processes (media/src/main.ts) on this machine: both register
// in Redis; the lecture (ffmpeg RTP: VP8 + opus) enters node A; node B's viewers receive it through a
// PipeTransport pair between the nodes, re-piped to B's own workers. Later producers follow through the pipe.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { listMediaNodes } from "@yilian/media/remote";
import type { MediaApi, PipedProducer } from "@yilian/media/api";
import { startMediaNodes, type MediaNodes } from "../helpers/media-nodes";

jest.setTimeout(60_000);

const PREFIX = `${process.env.REDIS_PREFIX}-nodes`;
const VIDEO_SSRC = 22222222;
const AUDIO_SSRC = 11111111;

let redis: Redis;
let sub: Redis;
let nodes: MediaNodes;
const children: ChildProcess[] = [];
const pending = new Map<
  string,
  (r: { ok: boolean; data?: unknown; error?: { code: string; message: string } }) => void
>();
const replyChannel = `${PREFIX}:media:reply:test-${randomUUID()}`;

/** The media nodes' Redis RPC, addressed to one node (the server's client pins a room to one node). */
function node(nodeId: string): MediaApi {
  return new Proxy({} as MediaApi, {
    get:
      (_t, method: string) =>
      (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          const id = randomUUID();
          pending.set(id, (r) =>
            r.ok ? resolve(r.data) : reject(Object.assign(new Error(r.error!.message), { code: r.error!.code })),
          );
          void redis.publish(
            `${PREFIX}:media:rpc:${nodeId}`,
            JSON.stringify({ id, replyTo: replyChannel, method, args }),
          );
        }),
  });
}

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL!);
  sub = redis.duplicate();
  await sub.subscribe(replyChannel);
  sub.on("message", (_c, raw) => {
    const r = JSON.parse(raw) as { id: string; ok: boolean };
    pending.get(r.id)?.(r);
    pending.delete(r.id);
  });
  nodes = await startMediaNodes(PREFIX, ["node-a", "node-b"]);
});

afterAll(async () => {
  for (const c of children) c.kill("SIGTERM");
  await nodes?.stop();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  sub.disconnect();
  redis.disconnect();
});

function ffmpeg(videoPort: number, audioPort: number): ChildProcess {
  const args = [
    "-hide_banner",
    "-loglevel",
    "error",
    "-re",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=640x360:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000",
    "-map",
    "0:v",
    "-c:v",
    "libvpx",
    "-b:v",
    "500k",
    "-deadline",
    "realtime",
    "-cpu-used",
    "8",
    "-g",
    "50",
    "-ssrc",
    String(VIDEO_SSRC),
    "-payload_type",
    "101",
    "-f",
    "rtp",
    `rtp://127.0.0.1:${videoPort}?pkt_size=1200`,
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
    `rtp://127.0.0.1:${audioPort}?pkt_size=1200`,
  ];
  const child = spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "inherit"] });
  children.push(child);
  return child;
}

/** A UDP receiver counting RTP packets per payload type. */
async function receiver() {
  const s = dgram.createSocket("udp4");
  const counts = new Map<number, number>();
  s.on("message", (m) => {
    const pt = m[1]! & 0x7f;
    if (m[1]! >= 192 && m[1]! <= 223) return;
    counts.set(pt, (counts.get(pt) ?? 0) + 1);
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return { port: (s.address() as AddressInfo).port, counts, close: () => s.close() };
}

it("both media nodes register in Redis with their load", async () => {
  const nodes = await listMediaNodes(redis, PREFIX);
  expect(nodes.map((n) => n.nodeId).sort()).toEqual(["node-a", "node-b"]);
  expect(nodes.every((n) => n.workers === 2)).toBe(true);
});

it("a session spans both nodes: the lecture enters node A, a viewer on node B receives it through a PipeTransport pair", async () => {
  const a = node("node-a");
  const b = node("node-b");
  const sessionId = randomUUID();
  const { roomKey } = (await a.openRoom("training", sessionId)) as { roomKey: string };
  await b.openRoom("training", sessionId);

  // The lecturer on node A (an RTP source standing in for the browser).
  await a.joinPeer(roomKey, { peerId: "lecturer", userId: randomUUID(), displayName: "授课专家", role: "LECTURER" });
  const vt = await a.createPlainTransport(roomKey, "lecturer", { direction: "send" });
  const at = await a.createPlainTransport(roomKey, "lecturer", { direction: "send" });
  await a.produce(roomKey, "lecturer", {
    transportId: vt.id,
    kind: "video",
    source: "camera",
    paused: false,
    rtpParameters: {
      codecs: [{ mimeType: "video/VP8", payloadType: 101, clockRate: 90000 }],
      encodings: [{ ssrc: VIDEO_SSRC }],
    },
  });
  const mic = await a.produce(roomKey, "lecturer", {
    transportId: at.id,
    kind: "audio",
    source: "microphone",
    paused: false,
    rtpParameters: {
      codecs: [
        { mimeType: "audio/opus", payloadType: 100, clockRate: 48000, channels: 2, parameters: { "sprop-stereo": 1 } },
      ],
      encodings: [{ ssrc: AUDIO_SSRC }],
    },
  });
  ffmpeg(vt.port, at.port);

  // The pipe handshake between the nodes.
  const edge = await b.pipeListen(roomKey);
  const offer = await a.pipeOffer(roomKey, { ip: edge.ip, port: edge.port });
  expect(offer.producers.map((p: PipedProducer) => p.kind).sort()).toEqual(["audio", "video"]);
  await b.pipeConnect(roomKey, edge.transportId, { ip: offer.ip, port: offer.port }, offer.producers);

  // A viewer on node B sees the lecturer and consumes the same producer ids.
  await b.joinPeer(roomKey, { peerId: "viewer-b", userId: randomUUID(), displayName: "学员", role: "VIEWER" });
  const snap = await b.snapshot(roomKey);
  expect(snap.peers.map((p) => p.peerId)).toContain("lecturer");
  expect(snap.producers.map((p) => p.producerId).sort()).toEqual(
    offer.producers.map((p: PipedProducer) => p.producerId).sort(),
  );
  const caps = await b.getRouterRtpCapabilities(roomKey);
  const sink = await receiver();
  try {
    const t = await b.createPlainTransport(roomKey, "viewer-b", {
      direction: "recv",
      remote: { ip: "127.0.0.1", port: sink.port },
    });
    for (const p of offer.producers as PipedProducer[]) {
      const c = await b.consume(roomKey, "viewer-b", {
        transportId: t.id,
        producerId: p.producerId,
        rtpCapabilities: caps,
      });
      await b.resumeConsumer(roomKey, "viewer-b", c.id);
    }
    // Video and audio both crossed (the two busiest payload types; probation/RTX packets may add a third).
    const topTwo = () => [...sink.counts.values()].sort((x, y) => y - x).slice(0, 2);
    const until = Date.now() + 15_000;
    while (Date.now() < until && (topTwo().length < 2 || Math.min(...topTwo()) < 50))
      await new Promise((r) => setTimeout(r, 200));
    expect(topTwo()).toHaveLength(2);
    expect(Math.min(...topTwo())).toBeGreaterThanOrEqual(50);

    // A producer added later on A (a promoted viewer's microphone) follows through the same pipe.
    await a.joinPeer(roomKey, { peerId: "speaker", userId: randomUUID(), displayName: "发言学员", role: "VIEWER" });
    const st = await a.createPlainTransport(roomKey, "speaker", { direction: "send" });
    const speakerMic = await a.produce(roomKey, "speaker", {
      transportId: st.id,
      kind: "audio",
      source: "microphone",
      paused: false,
      rtpParameters: {
        codecs: [{ mimeType: "audio/opus", payloadType: 100, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: 33333333 }],
      },
    });
    const later = await a.pipeProducers(roomKey, offer.transportId, [speakerMic.id]);
    await b.pipeAdopt(roomKey, edge.transportId, later);
    expect((await b.snapshot(roomKey)).producers.map((p) => p.producerId)).toEqual(
      expect.arrayContaining([mic.id, speakerMic.id]),
    );
  } finally {
    sink.close();
  }
  // Load is reported per node: the viewer is on B, the lecturer on A.
  const nodes = await listMediaNodes(redis, PREFIX);
  await new Promise((r) => setTimeout(r, 1200)); // one heartbeat
  const fresh = await listMediaNodes(redis, PREFIX);
  expect(fresh.find((n) => n.nodeId === "node-b")!.consumers).toBeGreaterThanOrEqual(2);
  expect(nodes.length).toBe(2);
});
