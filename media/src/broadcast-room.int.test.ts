// BroadcastRoom on real mediasoup workers: a router per worker with the lecture piped to each, viewers spread
// over them, only senders announced, and the downlink policy (layer cap, audio only with hysteresis).
import { randomUUID } from "node:crypto";
import { MediaService } from "./service";
import { BroadcastRoom, DEFAULT_LAYER_POLICY, layerForBitrate } from "./broadcast-room";
import type { MediaEvent } from "./api";

let media: MediaService;
const events: MediaEvent[] = [];
beforeAll(async () => {
  media = await MediaService.start({ numWorkers: 2, webRtcPortBase: 0 });
  media.onEvent((e) => events.push(e));
});
afterAll(async () => {
  await media.close();
});

it("maps bandwidth to a layer", () => {
  expect(layerForBitrate(80_000)).toBe(0);
  expect(layerForBitrate(400_000)).toBe(1);
  expect(layerForBitrate(2_000_000)).toBe(2);
  expect(DEFAULT_LAYER_POLICY.audioOnlyExitBps).toBeGreaterThan(DEFAULT_LAYER_POLICY.audioOnlyEnterBps);
});

async function lectureRoom() {
  const { roomKey } = await media.openRoom("training", randomUUID());
  const room = media.roomObject(roomKey) as BroadcastRoom;
  await media.joinPeer(roomKey, { peerId: "lecturer", userId: "u-lect", displayName: "授课专家", role: "LECTURER" });
  const t = await media.createPlainTransport(roomKey, "lecturer", { direction: "send" });
  const video = await media.produce(roomKey, "lecturer", {
    transportId: t.id,
    kind: "video",
    source: "camera",
    paused: false,
    rtpParameters: {
      codecs: [{ mimeType: "video/VP8", payloadType: 101, clockRate: 90000 }],
      encodings: [{ ssrc: 1111 }],
    },
  });
  return { roomKey, room, video };
}

it("pipes the lecture to a router on every worker and spreads viewers over them", async () => {
  const { roomKey, room, video } = await lectureRoom();
  expect(room).toBeInstanceOf(BroadcastRoom);
  expect(
    room
      .edgeRouters()
      .map((e) => e.workerIndex)
      .sort(),
  ).toEqual([0, 1]);
  const caps = await media.getRouterRtpCapabilities(roomKey);
  for (let i = 0; i < 6; i++) {
    await media.joinPeer(roomKey, { peerId: `v${i}`, userId: `u${i}`, displayName: `学员${i}`, role: "VIEWER" });
    const t = await media.createPlainTransport(roomKey, `v${i}`, {
      direction: "recv",
      remote: { ip: "127.0.0.1", port: 9 },
    });
    const c = await media.consume(roomKey, `v${i}`, { transportId: t.id, producerId: video.id, rtpCapabilities: caps });
    expect(c.producerId).toBe(video.id);
  }
  const perWorker = [0, 1].map(
    (w) => [...Array(6).keys()].filter((i) => room.linkOf(`v${i}`)!.workerIndex === w).length,
  );
  expect(perWorker).toEqual([3, 3]);
  // Viewers were announced to the lecturer only, never to each other; their snapshot lists the lecturer only.
  const joined = events.filter(
    (e) => e.roomKey === roomKey && e.name === "media:peerJoined" && e.payload.role === "VIEWER",
  );
  expect(joined).toHaveLength(6);
  expect(joined.every((e) => e.toPeerId === "lecturer")).toBe(true);
  expect((await media.snapshot(roomKey)).peers.map((p) => p.peerId)).toEqual(["lecturer"]);

  // The single-router baseline (benchmark): new viewers stay on the origin worker.
  room.spreadViewers = false;
  await media.joinPeer(roomKey, { peerId: "solo", userId: "u-solo", displayName: "solo", role: "VIEWER" });
  await media.createPlainTransport(roomKey, "solo", { direction: "recv", remote: { ip: "127.0.0.1", port: 9 } });
  expect(room.linkOf("solo")!.workerIndex).toBe(media.workerOf(roomKey)!.index);
});

it("a weak downlink caps the layer, then goes audio only; it comes back with hysteresis", async () => {
  const { roomKey, room, video } = await lectureRoom();
  const caps = await media.getRouterRtpCapabilities(roomKey);
  await media.joinPeer(roomKey, { peerId: "weak", userId: "u-weak", displayName: "乡镇学员", role: "VIEWER" });
  const t = await media.createPlainTransport(roomKey, "weak", {
    direction: "recv",
    remote: { ip: "127.0.0.1", port: 9 },
  });
  const c = await media.consume(roomKey, "weak", { transportId: t.id, producerId: video.id, rtpCapabilities: caps });
  await media.resumeConsumer(roomKey, "weak", c.id);
  const consumer = room.peers.get("weak")!.consumers.get(c.id)!;
  expect(consumer.paused).toBe(false);

  await room.onBandwidth("weak", 400_000);
  expect(room.linkOf("weak")).toMatchObject({ layerCap: 1, audioOnly: false });
  // One bad estimate is not a weak link; three in a row are.
  await room.onBandwidth("weak", 60_000);
  await room.onBandwidth("weak", 60_000);
  expect(consumer.paused).toBe(false);
  await room.onBandwidth("weak", 60_000);
  expect(room.linkOf("weak")).toMatchObject({ audioOnly: true, layerCap: 0 });
  expect(consumer.paused).toBe(true);
  // Between the two thresholds it stays audio only (no flapping).
  await room.onBandwidth("weak", 120_000);
  expect(consumer.paused).toBe(true);
  await room.onBandwidth("weak", 250_000);
  expect(room.linkOf("weak")!.audioOnly).toBe(false);
  expect(consumer.paused).toBe(false);

  // Asked for by the viewer, whatever the link.
  await room.setAudioOnly("weak", true);
  expect(consumer.paused).toBe(true);
  await room.setAudioOnly("weak", false);
  expect(consumer.paused).toBe(false);
});

it("a recorder hears of every viewer and counts them: it is alone only when everyone left", async () => {
  const { roomKey } = await lectureRoom();
  await media.joinPeer(roomKey, { peerId: "viewer", userId: "u-v", displayName: "学员", role: "VIEWER" });
  await media.joinPeer(roomKey, { peerId: "rec", userId: "u-rec", displayName: "录制", role: "RECORDER" });
  expect((await media.snapshot(roomKey)).peerCount).toBe(3);
  // The lecturer leaves first: the snapshot lists no sender, yet the viewer is still there.
  await media.leavePeer(roomKey, "lecturer");
  const after = await media.snapshot(roomKey);
  expect(after.peers).toEqual([]);
  expect(after.peerCount).toBe(2);
  // With no sender left, the viewer's departure is still told to the recorder.
  await media.leavePeer(roomKey, "viewer");
  expect(
    events.some(
      (e) =>
        e.roomKey === roomKey && e.name === "media:peerLeft" && e.payload.peerId === "viewer" && e.toPeerId === "rec",
    ),
  ).toBe(true);
  expect((await media.snapshot(roomKey)).peerCount).toBe(1);
  await media.leavePeer(roomKey, "rec");
  expect(await media.hasRoom(roomKey)).toBe(false);
});
