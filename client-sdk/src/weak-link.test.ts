// The weak-link rules, per direction: while what arrives is poor every received track gets a longer jitter buffer
// (room for a NACK and its retransmission, following the round trip) and remote cameras the lowest layer at once
// (urgent); while what this client sends is poor its own camera sends the lowest layer only; back to the wishes
// when the direction is good.
import { WeakLinkPolicy, weakJitterBufferMs } from "./weak-link";

function setup() {
  const requests: [string, number, number | undefined, boolean | undefined][] = [];
  let rtt = 160;
  const receivers = [{ jitterBufferTarget: null as number | null }, { jitterBufferTarget: null as number | null }];
  /** The own camera's highest layer sent (setMaxSpatialLayer). */
  const camera = {
    closed: false,
    rtpParameters: { encodings: [{}, {}, {}] },
    maxSpatialLayer: 2,
    async setMaxSpatialLayer(layer: number) {
      this.maxSpatialLayer = layer;
    },
  };
  const policy = new WeakLinkPolicy({
    requestLayer: async (id, spatial, temporal, urgent) => void requests.push([id, spatial, temporal, urgent]),
    cameraConsumers: () => ["cam-1"],
    cameraProducer: () => camera as never,
    receivers: () => receivers as unknown as RTCRtpReceiver[],
    rttMs: () => rtt,
  });
  return { policy, requests, receivers, camera, setRtt: (ms: number) => (rtt = ms) };
}

describe("weak link policy", () => {
  it("sizes the buffer for two retransmission attempts, within 300–700 ms", () => {
    expect(weakJitterBufferMs(160)).toBe(500);
    expect(weakJitterBufferMs(40)).toBe(300);
    expect(weakJitterBufferMs(400)).toBe(700);
    expect(weakJitterBufferMs(undefined)).toBe(475);
  });

  it("holds every received track longer and drops remote cameras to the lowest layer while what arrives is poor; the own camera keeps its layers", async () => {
    const { policy, requests, receivers, camera } = setup();
    await policy.want("cam-1", 2);
    await policy.onReceivingQuality("poor");
    expect(receivers.map((r) => r.jitterBufferTarget)).toEqual([500, 500]);
    expect(requests.at(-1)).toEqual(["cam-1", 0, 1, true]);
    expect(camera.maxSpatialLayer).toBe(2);

    await policy.onReceivingQuality("good");
    expect(receivers.map((r) => r.jitterBufferTarget)).toEqual([null, null]);
    expect(requests.at(-1)).toEqual(["cam-1", 2, undefined, false]);
  });

  it("sends only the own camera's lowest layer while what it sends is poor; what it receives is untouched", async () => {
    const { policy, requests, receivers, camera } = setup();
    await policy.want("cam-1", 2);
    const asked = requests.length;
    await policy.onSendingQuality("poor");
    expect(camera.maxSpatialLayer).toBe(0);
    expect(requests).toHaveLength(asked);
    expect(receivers.map((r) => r.jitterBufferTarget)).toEqual([null, null]);
    // A camera published again during the weak spell (after a reconnect) starts in the lowest layer too.
    camera.maxSpatialLayer = 2;
    await policy.published();
    expect(camera.maxSpatialLayer).toBe(0);
    await policy.onSendingQuality("good");
    expect(camera.maxSpatialLayer).toBe(2);
  });

  it("lets the buffer follow the round trip while the link is poor (a collapse is seen before its RTT), in steps too small to freeze the picture", async () => {
    const { policy, receivers, setRtt } = setup();
    setRtt(2);
    await policy.onReceivingQuality("poor");
    expect(receivers.map((r) => r.jitterBufferTarget)).toEqual([300, 300]);
    setRtt(360);
    const targets = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => {
      policy.onSample();
      return receivers[0]!.jitterBufferTarget;
    });
    expect(targets).toEqual([350, 400, 450, 500, 550, 600, 650, 700, 700]);
    setRtt(130);
    policy.onSample();
    expect(receivers[0]!.jitterBufferTarget).toBe(650);
    await policy.onReceivingQuality("good");
    policy.onSample();
    expect(receivers.map((r) => r.jitterBufferTarget)).toEqual([null, null]);
  });

  it("gives a track that arrives during the weak spell the same treatment", async () => {
    const { policy, requests, receivers } = setup();
    await policy.onReceivingQuality("lost");
    receivers.push({ jitterBufferTarget: null });
    await policy.added("mic-2", false);
    expect(receivers.at(-1)?.jitterBufferTarget).toBe(500);
    expect(requests.some(([id]) => id === "mic-2")).toBe(false);
    await policy.added("cam-2", true);
    expect(requests.at(-1)?.slice(0, 3)).toEqual(["cam-2", 0, 1]);
  });
});
