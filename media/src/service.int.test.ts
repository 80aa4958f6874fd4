// Real mediasoup workers (the offline-built binary): rooms, peers, producers/consumers, worker replacement.
import { randomUUID } from "node:crypto";
import { AppError } from "@yilian/contract";
import type { MediaEvent } from "./api";
import { MediaService } from "./service";

const videoRtpParameters = (ssrcBase: number, layers = 3, mid = "0") => ({
  mid,
  codecs: [
    {
      mimeType: "video/VP8",
      payloadType: 96,
      clockRate: 90000,
      rtcpFeedback: [{ type: "nack" }, { type: "ccm", parameter: "fir" }, { type: "nack", parameter: "pli" }],
    },
  ],
  headerExtensions: [],
  encodings: Array.from({ length: layers }, (_, i) => ({
    ssrc: ssrcBase + i,
    rid: undefined,
    scalabilityMode: "L1T3",
  })),
  rtcp: { cname: "test" },
});
const audioRtpParameters = {
  mid: "1",
  codecs: [{ mimeType: "audio/opus", payloadType: 111, clockRate: 48000, channels: 2 }],
  headerExtensions: [],
  encodings: [{ ssrc: 5555 }],
  rtcp: { cname: "test" },
};

async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const nextRestart = (media: MediaService) =>
  new Promise<MediaEvent>((resolve) => {
    const off = media.onEvent((e) => {
      if (e.name === "media:restart") {
        off();
        resolve(e);
      }
    });
  });

describe("MediaService (real mediasoup workers)", () => {
  let media: MediaService;
  const events: MediaEvent[] = [];

  beforeAll(async () => {
    media = await MediaService.start({ numWorkers: 2, webRtcPortBase: 0 });
    media.onEvent((e) => events.push(e));
  });
  afterAll(async () => {
    await media.close();
  });
  beforeEach(() => {
    events.length = 0;
  });

  const eventsNamed = (name: MediaEvent["name"]) => events.filter((e) => e.name === name);

  it("starts one worker per slot, each with its own WebRtcServer", async () => {
    expect(media.pool.workers).toHaveLength(2);
    const dumps = await Promise.all(media.pool.workers.map((w) => w.webRtcServer.dump()));
    for (const d of dumps) {
      expect(d.udpSockets).toHaveLength(1);
      expect(d.tcpServers).toHaveLength(1);
    }
    const pids = new Set(media.pool.workers.map((w) => w.worker.pid));
    expect(pids.size).toBe(2);
  });

  it("spreads rooms over the least loaded worker and opens a room once under concurrent joins", async () => {
    const id = randomUUID();
    const [a, b] = await Promise.all([media.openRoom("consultation", id), media.openRoom("consultation", id)]);
    expect(a.roomKey).toBe(b.roomKey);
    const other = await media.openRoom("consultation", randomUUID());
    expect(media.workerOf(other.roomKey)!.index).not.toBe(media.workerOf(a.roomKey)!.index);
    await media.closeRoom(a.roomKey, "ended");
    await media.closeRoom(other.roomKey, "ended");
    expect(await media.hasRoom(a.roomKey)).toBe(false);
  });

  it("produces and consumes: consumers start paused on layer 0, mute is broadcast, the last peer out closes the room", async () => {
    const { roomKey } = await media.openRoom("consultation", randomUUID());
    await media.joinPeer(roomKey, {
      peerId: "doctor",
      userId: randomUUID(),
      displayName: "乡镇医生",
      role: "REQUESTER",
    });
    const snap = await media.joinPeer(roomKey, {
      peerId: "spec",
      userId: randomUUID(),
      displayName: "专家",
      role: "SPECIALIST",
    });
    expect(snap.peers.map((p) => p.peerId)).toEqual(["doctor"]);
    expect(eventsNamed("media:peerJoined")).toHaveLength(2);

    const send = await media.createTransport(roomKey, "doctor", "send");
    expect(send.iceCandidates.length).toBeGreaterThanOrEqual(2); // UDP and TCP on the worker's WebRtcServer
    const cam = await media.produce(roomKey, "doctor", {
      transportId: send.id,
      kind: "video",
      source: "camera",
      rtpParameters: videoRtpParameters(1000),
      paused: false,
    });
    const mic = await media.produce(roomKey, "doctor", {
      transportId: send.id,
      kind: "audio",
      source: "microphone",
      rtpParameters: audioRtpParameters,
      paused: false,
    });
    const np = eventsNamed("media:newProducer");
    expect(np.map((e) => e.exceptPeerId)).toEqual(["doctor", "doctor"]);

    const caps = await media.getRouterRtpCapabilities(roomKey);
    const recv = await media.createTransport(roomKey, "spec", "recv");
    const consumer = await media.consume(roomKey, "spec", {
      transportId: recv.id,
      producerId: cam.id,
      rtpCapabilities: caps,
    });
    expect(consumer).toMatchObject({ producerId: cam.id, peerId: "doctor", kind: "video", source: "camera" });
    const room = (media as unknown as { rooms: Map<string, import("./room").Room> }).rooms.get(roomKey)!;
    const c = room.peers.get("spec")!.consumers.get(consumer.id)!;
    expect(c.paused).toBe(true);
    expect(c.preferredLayers).toEqual({ spatialLayer: 0, temporalLayer: 2 });
    expect(c.appData.desired).toEqual({ spatialLayer: 2, temporalLayer: 2 });
    await media.resumeConsumer(roomKey, "spec", consumer.id);
    expect(c.paused).toBe(false);
    // Asked again (a recorder whose file has no key frame yet): answered, and only for the consumer's own peer.
    await media.requestKeyFrame(roomKey, "spec", consumer.id);
    await expect(media.requestKeyFrame(roomKey, "doctor", consumer.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    // A layer request before the first frame is kept for later, not applied to the start layer.
    await media.setPreferredLayers(roomKey, "spec", consumer.id, { spatialLayer: 1 });
    expect(c.preferredLayers?.spatialLayer).toBe(0);
    expect(c.appData.desired).toEqual({ spatialLayer: 1, temporalLayer: 2 });

    await media.pauseProducer(roomKey, "doctor", mic.id);
    expect(eventsNamed("media:producerPaused")[0]).toMatchObject({
      payload: { producerId: mic.id, source: "microphone", paused: true },
      exceptPeerId: "doctor",
    });
    await media.resumeProducer(roomKey, "doctor", mic.id);
    expect(eventsNamed("media:producerResumed")).toHaveLength(1);

    // Typed refusals, never a crash.
    await expect(
      media.consume(roomKey, "doctor", { transportId: send.id, producerId: cam.id, rtpCapabilities: caps }),
    ).rejects.toBeInstanceOf(AppError);
    await expect(
      media.produce(roomKey, "spec", {
        transportId: recv.id,
        kind: "video",
        source: "camera",
        rtpParameters: videoRtpParameters(2000),
        paused: false,
      }),
    ).rejects.toMatchObject({ code: "INVALID_STATE" });
    await expect(
      media.produce(roomKey, "doctor", {
        transportId: send.id,
        kind: "audio",
        source: "camera",
        rtpParameters: audioRtpParameters,
        paused: false,
      }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(media.connectTransport(roomKey, "doctor", send.id, { fingerprints: "nope" })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    await expect(media.resumeConsumer(roomKey, "doctor", consumer.id)).rejects.toMatchObject({ code: "NOT_FOUND" });

    // ICE restart gives new credentials.
    const { iceParameters } = await media.restartIce(roomKey, "spec", recv.id);
    expect((iceParameters as { usernameFragment: string }).usernameFragment).not.toBe(
      (recv.iceParameters as { usernameFragment: string }).usernameFragment,
    );

    // A new screen share is its own producer; the camera stays.
    const screen = await media.produce(roomKey, "doctor", {
      transportId: send.id,
      kind: "video",
      source: "screen",
      rtpParameters: videoRtpParameters(3000, 1, "2"),
      paused: false,
    });
    expect((await media.snapshot(roomKey)).producers.map((p) => p.source).sort()).toEqual([
      "camera",
      "microphone",
      "screen",
    ]);
    await media.closeProducer(roomKey, "doctor", screen.id);
    expect(eventsNamed("media:producerClosed").map((e) => e.payload)).toEqual([
      { producerId: screen.id, peerId: "doctor" },
    ]);

    // The doctor leaves: their producers close for the specialist, then the specialist leaves and the room closes.
    await media.leavePeer(roomKey, "doctor");
    expect(eventsNamed("media:peerLeft")).toHaveLength(1);
    await waitFor(() => room.peers.get("spec")!.consumers.size === 0);
    await media.leavePeer(roomKey, "spec");
    expect(await media.hasRoom(roomKey)).toBe(false);
    expect(eventsNamed("media:roomClosed")[0]).toMatchObject({ roomKey, payload: { reason: "empty" } });
  });

  it("gives server-side endpoints plain RTP transports (a recorder or sink receives, an RTP source sends)", async () => {
    const { roomKey } = await media.openRoom("consultation", randomUUID());
    await media.joinPeer(roomKey, { peerId: "src", userId: randomUUID(), displayName: "源", role: "REQUESTER" });
    await media.joinPeer(roomKey, { peerId: "rec", userId: randomUUID(), displayName: "录制", role: "RECORDER" });
    const send = await media.createPlainTransport(roomKey, "src", { direction: "send" });
    expect(send.port).toBeGreaterThan(0);
    const mic = await media.produce(roomKey, "src", {
      transportId: send.id,
      kind: "audio",
      source: "microphone",
      rtpParameters: audioRtpParameters,
      paused: false,
    });
    const recv = await media.createPlainTransport(roomKey, "rec", {
      direction: "recv",
      srtp: true,
      remote: {
        ip: "127.0.0.1",
        port: 9,
        srtpParameters: { cryptoSuite: "AES_CM_128_HMAC_SHA1_80", keyBase64: Buffer.alloc(30, 7).toString("base64") },
      },
    });
    expect(recv.srtpParameters).toMatchObject({ cryptoSuite: "AES_CM_128_HMAC_SHA1_80" });
    const c = await media.consume(roomKey, "rec", {
      transportId: recv.id,
      producerId: mic.id,
      rtpCapabilities: await media.getRouterRtpCapabilities(roomKey),
    });
    expect(c.kind).toBe("audio");
    await expect(media.restartIce(roomKey, "rec", recv.id)).rejects.toMatchObject({ code: "INVALID_STATE" });
    await media.closeRoom(roomKey, "ended");
  });

  it("moves a killed worker's rooms to the live worker at once and replaces the worker; other rooms are untouched", async () => {
    const a = await media.openRoom("consultation", randomUUID());
    const b = await media.openRoom("consultation", randomUUID());
    await media.joinPeer(a.roomKey, { peerId: "pa", userId: randomUUID(), displayName: "甲", role: "REQUESTER" });
    await media.joinPeer(b.roomKey, { peerId: "pb", userId: randomUUID(), displayName: "乙", role: "SPECIALIST" });
    await media.createTransport(a.roomKey, "pa", "send");
    const victim = media.workerOf(a.roomKey)!;
    const survivor = media.workerOf(b.roomKey)!;
    expect(victim.index).not.toBe(survivor.index);
    const survivorRouter = (media as unknown as { rooms: Map<string, { router: { id: string } }> }).rooms.get(
      b.roomKey,
    )!.router.id;

    const restarted = nextRestart(media);
    process.kill(victim.worker.pid, "SIGKILL");
    const e = await restarted;
    expect(e).toMatchObject({ roomKey: a.roomKey, payload: { reason: "worker-replaced" } });
    // Not waiting for a new process: the room is on the surviving worker already.
    expect(media.workerOf(a.roomKey)).toBe(survivor);
    // The moved room works; the peer kept its place with no stale transports.
    const t = await media.createTransport(a.roomKey, "pa", "send");
    expect(t.id).toBeTruthy();
    expect((await media.snapshot(a.roomKey)).peers.map((p) => p.peerId)).toEqual(["pa"]);
    // The other worker's room kept its router.
    expect(
      (media as unknown as { rooms: Map<string, { router: { id: string } }> }).rooms.get(b.roomKey)!.router.id,
    ).toBe(survivorRouter);
    // The dead slot gets a new process (same index, same ports) for the rooms to come.
    await waitFor(() => media.pool.workers.length === 2, 10_000);
    const replacement = media.pool.workers.find((w) => w.index === victim.index)!;
    expect(replacement.worker.pid).not.toBe(victim.worker.pid);
    expect(replacement.generation).toBe(victim.generation + 1);
    await media.closeRoom(a.roomKey, "ended");
    await media.closeRoom(b.roomKey, "ended");
  });
});

describe("MediaService with a single worker", () => {
  it("moves the rooms to the replacement worker when there is no other", async () => {
    const media = await MediaService.start({ numWorkers: 1, webRtcPortBase: 0 });
    try {
      const a = await media.openRoom("consultation", randomUUID());
      await media.joinPeer(a.roomKey, { peerId: "pa", userId: randomUUID(), displayName: "甲", role: "REQUESTER" });
      const victim = media.workerOf(a.roomKey)!;
      const restarted = nextRestart(media);
      process.kill(victim.worker.pid, "SIGKILL");
      expect(await restarted).toMatchObject({ roomKey: a.roomKey, payload: { reason: "worker-replaced" } });
      const moved = media.workerOf(a.roomKey)!;
      expect(moved.index).toBe(victim.index);
      expect(moved.worker.pid).not.toBe(victim.worker.pid);
      expect(moved.generation).toBe(victim.generation + 1);
      expect((await media.createTransport(a.roomKey, "pa", "recv")).id).toBeTruthy();
    } finally {
      await media.close();
    }
  });
});
