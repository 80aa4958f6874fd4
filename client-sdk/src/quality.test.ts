// The link-quality rules on synthetic WebRTC statistics: loss makes a link poor after two samples (a collapse of
// the link at once), it is good again only after three, silence from a sender is "lost", loss from one sender alone
// is that sender's, and the own link is judged per direction (what arrives, what the media server reports of what
// this client sends).
import { QualityMonitor, type ConnectionQuality, type QualitySource } from "./quality";

type Stat = Record<string, unknown>;
const report = (stats: Stat[]) => new Map(stats.map((s) => [s.id as string, s])) as unknown as RTCStatsReport;

function setup(peers: string[]) {
  const tracks = peers.map((peerId, i) => ({
    consumerId: `c${i}`,
    producerId: `p${i}`,
    peerId,
    kind: "audio" as const,
    source: "microphone" as const,
    muted: false,
    track: { id: `t${i}` } as MediaStreamTrack,
  }));
  const counters = new Map(tracks.map((t) => [t.track.id, { received: 0, lost: 0, nacks: 0 }]));
  let current = report([]);
  const transport = { closed: false, connectionState: "connected", direction: "recv", getStats: async () => current };
  const source: QualitySource = {
    localPeerId: () => "me",
    peerIds: () => peers,
    transports: () => [transport as never],
    tracks: () => tracks,
    online: () => true,
  };
  const changes: ConnectionQuality[] = [];
  const monitor = new QualityMonitor(source, (q) => changes.push(q), 0);
  /**
   * The statistics after one more second of audio (50 packets) from each peer, with the given loss % per peer;
   * `repairedByPeer`: loss % asked again (NACK) and repaired by a retransmission; `sentLossPct`: loss the media
   * server reports of what is sent; `jitterMs`: the audio's arrival jitter.
   */
  const advance = (
    lossByPeer: Record<string, number>,
    opts: { sentLossPct?: number; repairedByPeer?: Record<string, number>; jitterMs?: number } = {},
  ) => {
    const stats: Stat[] = [
      {
        id: "pair",
        type: "candidate-pair",
        nominated: true,
        state: "succeeded",
        currentRoundTripTime: 0.15,
        localCandidateId: "l",
      },
    ];
    for (const t of tracks) {
      const c = counters.get(t.track.id)!;
      const lost = Math.round(((lossByPeer[t.peerId] ?? 0) / 100) * 50);
      const repaired = Math.round(((opts.repairedByPeer?.[t.peerId] ?? 0) / 100) * 50);
      c.received += 50 - lost;
      c.lost += lost;
      c.nacks += lost + repaired;
      stats.push({
        id: `in-${t.track.id}`,
        type: "inbound-rtp",
        trackIdentifier: t.track.id,
        packetsReceived: c.received,
        packetsLost: c.lost,
        nackCount: c.nacks,
        jitter: (opts.jitterMs ?? 10) / 1000,
      });
    }
    // The media server's receiver report of what this client sends.
    if (opts.sentLossPct !== undefined)
      stats.push({ id: "out-ri", type: "remote-inbound-rtp", kind: "audio", fractionLost: opts.sentLossPct / 100 });
    current = report(stats);
  };
  /** One second (see advance), then a quality sample. */
  const second = async (...args: Parameters<typeof advance>) => {
    advance(...args);
    await monitor.sample();
  };
  const quality = (peerId: string) => monitor.qualities.get(peerId)?.quality;
  return { monitor, advance, second, quality, changes, counters };
}

describe("QualityMonitor", () => {
  it("a lossy link is poor after two samples and good again only after three clean ones", async () => {
    const { second, quality, changes } = setup(["a"]);
    await second({});
    await second({});
    expect(quality("me")).toBe("good");
    await second({ a: 6 });
    expect(quality("me")).toBe("good");
    await second({ a: 6 });
    expect(quality("me")).toBe("poor");
    expect(quality("a")).toBe("poor");
    for (let i = 0; i < 6; i++) await second({});
    expect(quality("me")).toBe("good");
    expect(changes.filter((c) => c.local).map((c) => c.quality)).toEqual(["good", "poor", "good"]);
  });

  it("loss repaired by retransmissions still makes the link poor: the line drops that much", async () => {
    const { second, quality } = setup(["a"]);
    await second({});
    await second({}, { repairedByPeer: { a: 6 } });
    await second({}, { repairedByPeer: { a: 6 } });
    expect(quality("me")).toBe("poor");
    for (let i = 0; i < 6; i++) await second({});
    expect(quality("me")).toBe("good");
  });

  it("a link that collapses (a large share lost from every sender) is poor at the next probe", async () => {
    const { monitor, second, quality } = setup(["a", "b"]);
    await second({});
    await monitor.probe();
    await second({ a: 30, b: 40 });
    await monitor.probe();
    expect(quality("me")).toBe("poor");
    expect(quality("a")).toBe("poor");
  });

  it("a line that starts to queue (audio jitter several times its clean level, some loss) is poor at the next probe", async () => {
    const { monitor, advance, second, quality } = setup(["a"]);
    for (let i = 0; i < 3; i++) await second({}, { jitterMs: 2 });
    await monitor.probe();
    // The queue grows: jitter 15 ms, no loss yet: nothing to act on.
    advance({}, { jitterMs: 15 });
    await monitor.probe();
    expect(quality("me")).toBe("good");
    // And the first packets dropped: a collapse under way, before it loses enough to tell by loss alone.
    advance({ a: 2 }, { jitterMs: 15 });
    await monitor.probe();
    expect(monitor.qualities.get("me")).toMatchObject({ quality: "poor", receiving: "poor", sending: "good" });
  });

  it("a line whose audio is always that jittery is not taken for a queue", async () => {
    const { monitor, advance, second, quality } = setup(["a"]);
    for (let i = 0; i < 3; i++) await second({}, { jitterMs: 12 });
    await monitor.probe();
    advance({ a: 2 }, { jitterMs: 15 });
    await monitor.probe();
    expect(quality("me")).toBe("good");
  });

  it("one sender's collapse alone is that sender's link, and waits for the hysteresis", async () => {
    const { monitor, second, quality } = setup(["a", "b"]);
    await second({});
    await monitor.probe();
    await second({ a: 40 });
    await monitor.probe();
    expect(quality("me")).toBe("good");
    expect(quality("a")).toBe("good");
  });

  it("loss from one sender is that sender's link, not this client's", async () => {
    const { second, quality } = setup(["a", "b"]);
    await second({});
    for (let i = 0; i < 4; i++) await second({ a: 10 });
    expect(quality("a")).toBe("poor");
    expect(quality("b")).toBe("good");
    expect(quality("me")).toBe("good");
  });

  it("judges the own link per direction: loss in what arrives degrades receiving, loss in what is sent sending", async () => {
    const { second, monitor } = setup(["a"]);
    const me = () => monitor.qualities.get("me")!;
    await second({});
    // The only sender's media arrives lossy (this link inwards, or that sender's uplink): receiving is poor.
    await second({ a: 6 });
    await second({ a: 6 });
    expect(me()).toMatchObject({ quality: "poor", receiving: "poor", sending: "good" });
    for (let i = 0; i < 6; i++) await second({});
    expect(me()).toMatchObject({ quality: "good", receiving: "good", sending: "good" });
    // What this client sends is reported lossy while what arrives is clean: sending is poor, the sender is fine.
    await second({}, { sentLossPct: 8 });
    await second({}, { sentLossPct: 8 });
    expect(me()).toMatchObject({ quality: "poor", receiving: "good", sending: "poor" });
    expect(monitor.qualities.get("a")?.quality).toBe("good");
  });

  it("a collapse of what arrives degrades receiving at once, not sending", async () => {
    const { monitor, second } = setup(["a", "b"]);
    await second({});
    await monitor.probe();
    await second({ a: 30, b: 40 });
    await monitor.probe();
    expect(monitor.qualities.get("me")).toMatchObject({ quality: "poor", receiving: "poor", sending: "good" });
  });

  it("a sender whose packets stop is lost", async () => {
    const { second, quality, counters, monitor } = setup(["a"]);
    await second({});
    await second({});
    // Counters frozen: nothing arrives any more.
    const frozen = report([
      {
        id: "in-t0",
        type: "inbound-rtp",
        trackIdentifier: "t0",
        packetsReceived: counters.get("t0")!.received,
        packetsLost: counters.get("t0")!.lost,
      },
    ]);
    (monitor as any).source.transports()[0].getStats = async () => frozen;
    for (let i = 0; i < 5; i++) await monitor.sample();
    expect(quality("a")).toBe("lost");
    expect(quality("me")).toBe("lost");
  });
});
