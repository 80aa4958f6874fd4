// Link quality from WebRTC statistics: per remote track (loss, jitter, bitrate, freezes, audio concealment) mapped
// to the peer that sends it, and the local link (round-trip time, loss both ways, whether media goes through TURN).
// Each peer (this one included) gets a quality: "good", "poor" or "lost", with hysteresis so the indicator does not
// flicker. This client's own link is also judged per direction, because each has its own remedy: when what arrives
// is poor the room drops remote cameras to the lowest simulcast layer; when what it sends is poor it stops sending
// its own upper layers (audio, Opus with FEC and DTX, keeps going); when a direction is good again its layers come
// back.
import type { types } from "mediasoup-client";
import type { MediaSource } from "@yilian/contract";

export type LinkQuality = "good" | "poor" | "lost";

/** Statistics of one received track over the last sampling window. */
export interface TrackStats {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: "audio" | "video";
  source: MediaSource;
  packetsReceived: number;
  packetsLost: number;
  /**
   * Packets the line dropped over the last few seconds, % of those expected: lost, or asked again (NACK) where a
   * retransmission repaired the loss — repaired loss still shows how weak the line is.
   */
  lossPct: number;
  jitterMs: number;
  bitrateKbps: number;
  // video
  frameWidth?: number;
  frameHeight?: number;
  framesPerSecond?: number;
  framesDecoded?: number;
  freezeCount?: number;
  totalFreezesDurationS?: number;
  // audio: samples played out; concealed ones were made up for lost packets (silent ones excluded: DTX)
  totalSamplesReceived?: number;
  concealedSamples?: number;
  silentConcealedSamples?: number;
}

/** The local end's link to the media server. */
export interface LinkStats {
  rttMs?: number;
  /** Loss common to what arrives from every sender, % (the worst track of each, the best sender). */
  downlinkLossPct: number;
  /** Of what this client sent, % the media server reported lost. */
  uplinkLossPct?: number;
  /** The browser's estimate of what it can send (kb/s). */
  availableOutgoingKbps?: number;
  /** Media goes through a TURN relay; `relayProtocol`: how this client reaches it (udp, tcp, tls). */
  relayed: boolean;
  relayProtocol?: string;
}

export interface ConnectionQuality {
  peerId: string;
  /** This client's own link (the others' entries describe what arrives from them). */
  local: boolean;
  /** The worse of both directions, for the local link. */
  quality: LinkQuality;
  /**
   * The local link per direction: what arrives here (loss every sender's media shows: with one sender, which may
   * also be that sender's uplink) and what this client sends (loss the media server reports of it).
   */
  receiving?: LinkQuality;
  sending?: LinkQuality;
  lossPct: number;
  rttMs?: number;
}

export interface QualitySource {
  localPeerId(): string;
  peerIds(): string[];
  transports(): (types.Transport | undefined)[];
  tracks(): {
    consumerId: string;
    producerId: string;
    peerId: string;
    kind: "audio" | "video";
    source: MediaSource;
    track: MediaStreamTrack;
    muted: boolean;
  }[];
  online(): boolean;
}

const POOR_LOSS_PCT = 3;
const POOR_RTT_MS = 400;
const POOR_JITTER_MS = 50;
/** Samples (one a second) without a packet before a track counts as lost. */
const LOST_AFTER_SAMPLES = 3;
/** Consecutive samples needed to change: worse quickly, better only once it held. */
const WORSEN_AFTER = 2;
const IMPROVE_AFTER = 3;
const rank: Record<LinkQuality, number> = { good: 0, poor: 1, lost: 2 };
const worseOf = (a: LinkQuality, b: LinkQuality) => (rank[a] > rank[b] ? a : b);
/** Loss is judged over the last few samples: 5 % of 50 audio packets a second is too few to read from one. */
const LOSS_WINDOW_SAMPLES = 4;
/**
 * Except a collapse: a link that suddenly carries less than is sent (4G at a cell edge, a shared ADSL line) drops a
 * large share of every stream, and audio and video both suffer until the upper layers stop. A quick look between
 * samples (five per sample: every 200 ms) finds it within a fraction of a second, and the link is poor at once: every
 * sender's media losing at least this share, over enough packets to tell.
 */
const COLLAPSE_LOSS_PCT = 15;
const COLLAPSE_MIN_PACKETS = 10;
const PROBES_PER_SAMPLE = 5;
/**
 * A line that starts to carry less than is sent shows it first as a growing queue, before it drops anything: the
 * audio's arrival jitter (RFC 3550), a packet every 20 ms, climbs within a few hundred ms. A probe that finds it
 * this high, and several times its clean level, with some loss, is a collapse under way.
 */
const QUEUE_JITTER_MS = 10;
const QUEUE_JITTER_RISE = 4;

/** Sums (received, lost) deltas over the last LOSS_WINDOW_SAMPLES samples; returns the loss %. */
class LossWindow {
  private readonly samples: [number, number][] = [];
  push(received: number, lost: number): number {
    this.samples.push([received, lost]);
    if (this.samples.length > LOSS_WINDOW_SAMPLES) this.samples.shift();
    const [r, l] = this.samples.reduce(([a, b], [c, d]) => [a + c, b + d], [0, 0]);
    return r + l > 0 ? (100 * l) / (r + l) : 0;
  }
}

interface Prev {
  packetsReceived: number;
  packetsLost: number;
  nackCount: number;
  bytes: number;
  at: number;
  freezeCount: number;
}

class Hysteresis {
  state: LinkQuality = "good";
  private candidate: LinkQuality = "good";
  private count = 0;
  /** `now`: a worse sample that does not wait for the hysteresis (a collapse). */
  push(sample: LinkQuality, now = false): boolean {
    if (now && rank[sample] > rank[this.state]) {
      this.state = this.candidate = sample;
      this.count = 0;
      return true;
    }
    if (sample === this.state) {
      this.count = 0;
      return false;
    }
    if (sample !== this.candidate) {
      this.candidate = sample;
      this.count = 0;
    }
    this.count++;
    if (this.count >= (rank[sample] > rank[this.state] ? WORSEN_AFTER : IMPROVE_AFTER)) {
      this.state = sample;
      this.count = 0;
      return true;
    }
    return false;
  }
}

export class QualityMonitor {
  readonly qualities = new Map<string, ConnectionQuality>();
  private latestTracks: TrackStats[] = [];
  private latestLink: LinkStats = { downlinkLossPct: 0, relayed: false };
  private readonly prev = new Map<string, Prev>();
  private readonly silent = new Map<string, number>();
  private readonly windows = new Map<string, LossWindow>();
  private readonly states = new Map<string, Hysteresis>();
  /** This client's link per direction. */
  private readonly receiving = new Hysteresis();
  private readonly sending = new Hysteresis();
  /** Per audio consumer, its arrival jitter on a good link (ms, smoothed over samples). */
  private readonly cleanJitter = new Map<string, number>();
  /** Per consumer, the counters at the last collapse probe. */
  private readonly probed = new Map<string, { received: number; lost: number; nacks: number }>();
  private timer?: ReturnType<typeof setInterval>;
  private probeTimer?: ReturnType<typeof setInterval>;
  private sampling = false;

  constructor(
    private readonly source: QualitySource,
    private readonly onChange: (q: ConnectionQuality) => void,
    private readonly intervalMs = 1000,
    /** After every sample (link() and tracks() then hold its figures). */
    private readonly onSample?: () => void,
  ) {}

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.sample().catch(() => undefined), this.intervalMs);
    this.probeTimer = setInterval(() => void this.probe().catch(() => undefined), this.intervalMs / PROBES_PER_SAMPLE);
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.probeTimer);
    this.timer = this.probeTimer = undefined;
  }

  /** Statistics of every received track, as of the last sample. */
  tracks(): TrackStats[] {
    return this.latestTracks;
  }

  link(): LinkStats {
    return this.latestLink;
  }

  /** Reads the transports' statistics once, updates every peer's quality and reports changes. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      this.update(await this.reports());
      this.onSample?.();
    } finally {
      this.sampling = false;
    }
  }

  /** The quick look for a collapse since the last probe: if every sender's media lost a large share, poor now. */
  async probe(): Promise<void> {
    // Cheap when there is nothing to judge: no received track, no statistics read (a lecturer, a lone publisher).
    if (!this.source.tracks().some((t) => !t.muted)) return;
    const byTrack = new Map<string, any>();
    for (const report of await this.reports("recv"))
      report.forEach((s: any) => s.type === "inbound-rtp" && s.trackIdentifier && byTrack.set(s.trackIdentifier, s));
    /** Per sending peer, the worst share lost since the last probe (of tracks with enough packets to tell). */
    const lossNow = new Map<string, number>();
    /** Per sending peer: whether its audio queues up (see QUEUE_JITTER_MS); whether any of its media lost a packet. */
    const queueing = new Map<string, boolean>();
    const lossy = new Set<string>();
    const live = new Set<string>();
    for (const t of this.source.tracks()) {
      const s = byTrack.get(t.track.id);
      if (!s || t.muted) continue;
      live.add(t.consumerId);
      const now = { received: s.packetsReceived ?? 0, lost: Math.max(0, s.packetsLost ?? 0), nacks: s.nackCount ?? 0 };
      const p = this.probed.get(t.consumerId);
      this.probed.set(t.consumerId, now);
      if (!p) continue;
      const lost = Math.max(0, now.lost - p.lost);
      const expected = now.received - p.received + lost;
      if (lost > 0 || now.nacks > p.nacks) lossy.add(t.peerId);
      const clean = this.cleanJitter.get(t.consumerId);
      if (t.kind === "audio" && clean !== undefined) {
        const jitterMs = (s.jitter ?? 0) * 1000;
        const queued = jitterMs >= Math.max(QUEUE_JITTER_MS, QUEUE_JITTER_RISE * clean);
        queueing.set(t.peerId, (queueing.get(t.peerId) ?? false) || queued);
      }
      if (expected >= COLLAPSE_MIN_PACKETS)
        lossNow.set(t.peerId, Math.max(lossNow.get(t.peerId) ?? 0, (100 * lost) / expected));
    }
    for (const id of [...this.probed.keys()]) if (!live.has(id)) this.probed.delete(id);
    // Every sender at once: this client's own link (one sender alone is that sender's uplink).
    const collapsed = lossNow.size > 0 && Math.min(...lossNow.values()) >= COLLAPSE_LOSS_PCT;
    const queued = queueing.size > 0 && [...queueing].every(([peerId, q]) => q && lossy.has(peerId));
    if (!collapsed && !queued) return;
    const loss = lossNow.size ? Math.min(...lossNow.values()) : 0;
    const rttMs = this.latestLink.rttMs;
    this.pushLocal({ receiving: "poor" }, loss, rttMs, true);
    for (const peerId of this.source.peerIds()) this.push(peerId, "poor", lossNow.get(peerId) ?? loss, rttMs, true);
  }

  /** Statistics of the transports (`recv`: only the receiving one's, all a probe needs). */
  private async reports(only?: "recv"): Promise<RTCStatsReport[]> {
    const reports = await Promise.all(
      this.source
        .transports()
        .map((t) =>
          t && !t.closed && (!only || t.direction === only) ? t.getStats().catch(() => undefined) : undefined,
        ),
    );
    return reports.filter((r): r is RTCStatsReport => !!r);
  }

  private update(reports: RTCStatsReport[]): void {
    const now = Date.now();
    const byTrack = new Map<string, any>();
    const remoteInbound: any[] = [];
    let pair: any;
    let local: any;
    const all = new Map<string, any>();
    for (const report of reports) {
      report.forEach((s: any) => {
        all.set(s.id, s);
        if (s.type === "inbound-rtp" && s.trackIdentifier) byTrack.set(s.trackIdentifier, s);
        else if (s.type === "remote-inbound-rtp") remoteInbound.push(s);
        else if (
          s.type === "candidate-pair" &&
          s.nominated &&
          s.state === "succeeded" &&
          (!pair || (s.bytesReceived ?? 0) > (pair.bytesReceived ?? 0))
        )
          pair = s;
      });
    }
    if (pair) local = all.get(pair.localCandidateId);

    const tracks: TrackStats[] = [];
    const samples = new Map<string, LinkQuality>();
    const worse = (peerId: string, q: LinkQuality) => samples.set(peerId, worseOf(samples.get(peerId) ?? "good", q));
    /** Per sending peer, the worst windowed loss of its tracks. */
    const peerLoss = new Map<string, number>();
    for (const t of this.source.tracks()) {
      const s = byTrack.get(t.track.id);
      if (!s) continue;
      const p = this.prev.get(t.consumerId);
      const received = s.packetsReceived ?? 0;
      const lost = Math.max(0, s.packetsLost ?? 0);
      const bytes = s.bytesReceived ?? 0;
      const dReceived = p ? received - p.packetsReceived : 0;
      const dLost = p ? Math.max(0, lost - p.packetsLost) : 0;
      const nackCount = s.nackCount ?? 0;
      const dNacked = p ? Math.max(0, nackCount - p.nackCount) : 0;
      const dt = p ? (now - p.at) / 1000 : 0;
      let w = this.windows.get(t.consumerId);
      if (!w) this.windows.set(t.consumerId, (w = new LossWindow()));
      // A retransmission counts the packet as received and not lost; the NACK that asked for it is what remains.
      const lossPct = p ? w.push(dReceived, Math.max(dLost, dNacked)) : 0;
      const freezeCount = s.freezeCount ?? 0;
      this.prev.set(t.consumerId, {
        packetsReceived: received,
        packetsLost: lost,
        nackCount,
        bytes,
        at: now,
        freezeCount,
      });
      if (p && !t.muted) peerLoss.set(t.peerId, Math.max(peerLoss.get(t.peerId) ?? 0, lossPct));
      const stats: TrackStats = {
        consumerId: t.consumerId,
        producerId: t.producerId,
        peerId: t.peerId,
        kind: t.kind,
        source: t.source,
        packetsReceived: received,
        packetsLost: lost,
        lossPct,
        jitterMs: (s.jitter ?? 0) * 1000,
        bitrateKbps: p && dt > 0 ? ((bytes - p.bytes) * 8) / 1000 / dt : 0,
      };
      if (t.kind === "video") {
        Object.assign(stats, {
          frameWidth: s.frameWidth,
          frameHeight: s.frameHeight,
          framesPerSecond: s.framesPerSecond,
          framesDecoded: s.framesDecoded,
          freezeCount,
          totalFreezesDurationS: s.totalFreezesDuration,
        });
      } else {
        Object.assign(stats, {
          totalSamplesReceived: s.totalSamplesReceived,
          concealedSamples: s.concealedSamples,
          silentConcealedSamples: s.silentConcealedSamples,
        });
      }
      tracks.push(stats);
      if (t.kind === "audio" && this.receiving.state === "good" && !t.muted) {
        const c = this.cleanJitter.get(t.consumerId);
        this.cleanJitter.set(t.consumerId, c === undefined ? stats.jitterMs : 0.8 * c + 0.2 * stats.jitterMs);
      }
      if (!p || t.muted) continue;
      // No packet for a few seconds from a track that is not muted: the sender (or this link) is gone.
      const silentFor = dReceived === 0 ? (this.silent.get(t.consumerId) ?? 0) + 1 : 0;
      this.silent.set(t.consumerId, silentFor);
      if (silentFor >= LOST_AFTER_SAMPLES) worse(t.peerId, "lost");
      else if (lossPct >= POOR_LOSS_PCT || stats.jitterMs >= POOR_JITTER_MS || freezeCount > p.freezeCount)
        worse(t.peerId, "poor");
      else worse(t.peerId, "good");
    }
    const live = new Set(this.source.tracks().map((t) => t.consumerId));
    for (const id of [...this.prev.keys()])
      if (!live.has(id))
        this.prev.delete(id), this.silent.delete(id), this.windows.delete(id), this.cleanJitter.delete(id);

    const uplink = remoteInbound.filter((r) => typeof r.fractionLost === "number");
    const link: LinkStats = {
      rttMs: pair?.currentRoundTripTime !== undefined ? pair.currentRoundTripTime * 1000 : undefined,
      // Loss that every sender's media shows is this link's (one sender's alone may be that sender's uplink).
      // Per track (the worst of each sender's), not summed over tracks.
      downlinkLossPct: peerLoss.size ? Math.min(...peerLoss.values()) : 0,
      uplinkLossPct: uplink.length ? 100 * Math.max(...uplink.map((r) => r.fractionLost)) : undefined,
      availableOutgoingKbps:
        pair?.availableOutgoingBitrate !== undefined ? pair.availableOutgoingBitrate / 1000 : undefined,
      relayed: local?.candidateType === "relay",
      relayProtocol: local?.candidateType === "relay" ? local.relayProtocol : undefined,
    };
    this.latestTracks = tracks;
    this.latestLink = link;

    // The local link, per direction: lost while offline (or nothing arrives at all); poor on its loss or a long RTT.
    const me = this.source.localPeerId();
    const transportsDown = this.source
      .transports()
      .some((t) => t && !t.closed && (t.connectionState === "failed" || t.connectionState === "disconnected"));
    const offline = !this.source.online() || transportsDown;
    const everySilent = tracks.length > 0 && [...samples.values()].every((q) => q === "lost");
    const slow = (link.rttMs ?? 0) >= POOR_RTT_MS;
    const receiving: LinkQuality =
      offline || everySilent ? "lost" : link.downlinkLossPct >= POOR_LOSS_PCT || slow ? "poor" : "good";
    const sending: LinkQuality = offline
      ? "lost"
      : (link.uplinkLossPct ?? 0) >= POOR_LOSS_PCT || slow
        ? "poor"
        : "good";
    this.pushLocal({ receiving, sending }, Math.max(link.downlinkLossPct, link.uplinkLossPct ?? 0), link.rttMs);
    for (const peerId of this.source.peerIds()) {
      // What arrives from a peer also crosses this client's own link inwards: the worse of the two.
      const own = samples.get(peerId) ?? "good";
      const q = worseOf(receiving, own);
      const loss = Math.max(0, ...tracks.filter((t) => t.peerId === peerId).map((t) => t.lossPct));
      this.push(peerId, q, loss, link.rttMs);
    }
    for (const id of [...this.qualities.keys()])
      if (id !== me && !this.source.peerIds().includes(id)) this.qualities.delete(id), this.states.delete(id);
  }

  /** This client's link: each direction given its own hysteresis; the entry's quality is the worse of the two. */
  private pushLocal(
    sample: { receiving?: LinkQuality; sending?: LinkQuality },
    lossPct: number,
    rttMs: number | undefined,
    now = false,
  ): void {
    const peerId = this.source.localPeerId();
    const receivingChanged = sample.receiving !== undefined && this.receiving.push(sample.receiving, now);
    const sendingChanged = sample.sending !== undefined && this.sending.push(sample.sending, now);
    const [receiving, sending] = [this.receiving.state, this.sending.state];
    const quality = worseOf(receiving, sending);
    const first = !this.qualities.has(peerId);
    this.qualities.set(peerId, { peerId, local: true, quality, receiving, sending, lossPct, rttMs });
    if (receivingChanged || sendingChanged || first) this.onChange(this.qualities.get(peerId)!);
  }

  /** Another peer's entry: what arrives from it. */
  private push(peerId: string, sample: LinkQuality, lossPct: number, rttMs: number | undefined, now = false): void {
    let h = this.states.get(peerId);
    if (!h) this.states.set(peerId, (h = new Hysteresis()));
    const changed = h.push(sample, now);
    const q: ConnectionQuality = { peerId, local: false, quality: h.state, lossPct, rttMs };
    const first = !this.qualities.has(peerId);
    this.qualities.set(peerId, q);
    if (changed || first) this.onChange(q);
  }
}
