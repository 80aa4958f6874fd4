// The weak-link rules: while the local link is poor every received track gets a longer jitter buffer (room for a
// NACK and its retransmission, following the round trip) and remote cameras the lowest layer at once (urgent);
// back to the wishes when the link is good.
import { WeakLinkPolicy, weakJitterBufferMs } from "./weak-link";

function setup() {
  const requests: [string, number, number | undefined, boolean | undefined][] = [];
  let rtt = 160;
  const receivers = [{ jitterBufferTarget: null as number | null }, { jitterBufferTarget: null as number | null }];
  const policy = new WeakLinkPolicy({
    requestLayer: async (id, spatial, temporal, urgent) => void requests.push([id, spatial, temporal, urgent]),
    cameraConsumers: () => ["cam-1"],
    cameraProducer: () => undefined,
    receivers: () => receivers as unknown as RTCRtpReceiver[],
    rttMs: () => rtt,
  });
  return { policy, requests, receivers, setRtt: (ms: number) => (rtt = ms) };
}

describe("weak link policy", () => {
  it("sizes the buffer for two retransmission attempts, within 300–700 ms", () => {
    expect(weakJitterBufferMs(160)).toBe(500);
    expect(weakJitterBufferMs(40)).toBe(300);
    expect(weakJitterBufferMs(400)).toBe(700);
    expect(weakJitterBufferMs(undefined)).toBe(475);
  });

  it("holds every received track longer and drops remote cameras to the lowest layer while the link is poor", async () => {
    const { policy, requests, receivers } = setup();
    await policy.want("cam-1", 2);
    await policy.onLocalQuality("poor");
    expect(receivers.map((r) => r.jitterBufferTarget)).toEqual([500, 500]);
    expect(requests.at(-1)).toEqual(["cam-1", 0, 1, true]);

    await policy.onLocalQuality("good");
    expect(receivers.map((r) => r.jitterBufferTarget)).toEqual([null, null]);
    expect(requests.at(-1)).toEqual(["cam-1", 2, undefined, false]);
  });

  it("lets the buffer follow the round trip while the link is poor (a collapse is seen before its RTT), in steps too small to freeze the picture", async () => {
    const { policy, receivers, setRtt } = setup();
    setRtt(2);
    await policy.onLocalQuality("poor");
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
    await policy.onLocalQuality("good");
    policy.onSample();
    expect(receivers.map((r) => r.jitterBufferTarget)).toEqual([null, null]);
  });

  it("gives a track that arrives during the weak spell the same treatment", async () => {
    const { policy, requests, receivers } = setup();
    await policy.onLocalQuality("lost");
    receivers.push({ jitterBufferTarget: null });
    await policy.added("mic-2", false);
    expect(receivers.at(-1)?.jitterBufferTarget).toBe(500);
    expect(requests.some(([id]) => id === "mic-2")).toBe(false);
    await policy.added("cam-2", true);
    expect(requests.at(-1)?.slice(0, 3)).toEqual(["cam-2", 0, 1]);
  });
});
