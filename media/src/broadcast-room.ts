// A broadcast room (training, 远程教学): one lecturer (and the occasional promoted viewer) sends; hundreds to
// thousands only receive. One router per worker: producers live on the origin router (the room's own) and are
// piped (pipeToRouter) to an edge router on every other worker; each viewer's receive transports go to the
// least loaded edge, so the room uses every core instead of hitting one worker's limit.
//
// Per viewer, the downlink decides the simulcast layer: the bandwidth mediasoup estimates for the viewer's
// transport (BWE trace) caps the spatial layer, so a weak township link gets the low layer instead of freezing;
// below the audio-only floor video is paused altogether and resumed with hysteresis when the link recovers.
import type { types } from "mediasoup";
import type { JoinPeer, MediaEvent, PipeEndpoint, PipedProducer, RoomSnapshot } from "./api";
import { Peer, type ConsumerData, type ProducerData } from "./peer";
import { Room, webRtcTransportInfo, type PlainTransportInfo, type PlainTransportOptions } from "./room";
import { mediaCodecs, type MediaSettings } from "./settings";
import type { PoolWorker, WorkerPool } from "./worker-pool";
import { AppError, ErrorCode, type MediaTransportInfo, type MediaSource, type TransportDirection } from "@yilian/contract";

/** Available bitrate (bps) → highest spatial layer. Layers of a 3-layer simulcast: ~150k / ~500k / ~1.5M. */
export interface LayerPolicy {
  /** Minimum available bitrate for layer i (index = layer). */
  layerFloorsBps: number[];
  /** Below this, video is paused (audio only); it resumes above `audioOnlyExitBps`. */
  audioOnlyEnterBps: number;
  audioOnlyExitBps: number;
  /** Consecutive estimates needed before entering audio-only (one bad sample is not a weak link). */
  audioOnlyAfterSamples: number;
}

export const DEFAULT_LAYER_POLICY: LayerPolicy = {
  layerFloorsBps: [0, 350_000, 1_000_000],
  audioOnlyEnterBps: 90_000,
  audioOnlyExitBps: 180_000,
  audioOnlyAfterSamples: 3,
};

/** Pure: the layer a viewer with this much downlink should get. */
export function layerForBitrate(availableBps: number, policy: LayerPolicy = DEFAULT_LAYER_POLICY): number {
  let layer = 0;
  policy.layerFloorsBps.forEach((floor, i) => {
    if (availableBps >= floor) layer = i;
  });
  return layer;
}

/** Consumers the client acknowledged (resumed): only those may be resumed again after audio-only. */
type Resumable = ConsumerData & { clientResumed?: boolean };

interface ViewerLink {
  edge: PoolWorker;
  lowSamples: number;
  audioOnly: boolean;
  /** Set by the viewer (or an operator): audio only whatever the link. */
  audioOnlyRequested: boolean;
  layerCap: number | null;
}

export class BroadcastRoom extends Room {
  /** Worker index → router on that worker. The origin router (this.router) is the edge of its own worker. */
  private readonly edges = new Map<number, types.Router>();
  private readonly links = new Map<string, ViewerLink>();
  private readonly piping = new Map<string, Promise<void>>();
  policy: LayerPolicy = DEFAULT_LAYER_POLICY;
  /** false: every receiver on the origin router (the single-router baseline the broadcast benchmark compares with). */
  spreadViewers = true;

  protected constructor(
    key: string,
    worker: PoolWorker,
    private readonly pool: WorkerPool,
    settings: MediaSettings,
    emit: (e: MediaEvent) => void,
  ) {
    super(key, worker, settings, emit);
  }

  static async open(key: string, origin: PoolWorker, pool: WorkerPool, settings: MediaSettings, emit: (e: MediaEvent) => void): Promise<BroadcastRoom> {
    const room = new BroadcastRoom(key, origin, pool, settings, emit);
    await room.setupRouter();
    await room.setupEdges();
    return room;
  }

  private async setupEdges(): Promise<void> {
    this.edges.clear();
    this.edges.set(this.worker.index, this.router);
    for (const w of this.pool.workers) {
      if (this.edges.has(w.index)) continue;
      this.edges.set(w.index, await w.worker.createRouter({ mediaCodecs, appData: { roomKey: this.key, edge: true } }));
    }
  }

  /** Routers of this room per worker (tests, benchmark). */
  edgeRouters(): { workerIndex: number; router: types.Router }[] {
    return [...this.edges.entries()].map(([workerIndex, router]) => ({ workerIndex, router }));
  }

  /** Receivers per worker in this room: where the next viewer goes. */
  private receiversOn(index: number): number {
    let n = 0;
    for (const l of this.links.values()) if (l.edge.index === index) n++;
    return n;
  }

  /** A viewer's edge: sticky per peer, least loaded at first receive transport; ties prefer non-origin workers. */
  edgeOf(peerId: string): PoolWorker {
    const existing = this.links.get(peerId);
    if (existing && !existing.edge.worker.closed) return existing.edge;
    const live = this.spreadViewers ? this.pool.workers.filter((w) => this.edges.has(w.index)) : [this.worker];
    // The origin worker also carries the producers (and their piping): count it as a little busier.
    const load = (w: PoolWorker) => this.receiversOn(w.index) + (w.index === this.worker.index ? 0.5 : 0);
    const edge = live.reduce((best, w) => (load(w) < load(best) ? w : best));
    this.links.set(peerId, { edge, lowSamples: 0, audioOnly: false, audioOnlyRequested: false, layerCap: null });
    return edge;
  }

  override async createTransport(peerId: string, direction: TransportDirection): Promise<MediaTransportInfo> {
    // Senders (lecturer, promoted viewer) publish into the origin router.
    if (direction === "send") return super.createTransport(peerId, direction);
    const peer = this.peer(peerId);
    if (peer.transports.size >= 4) return super.createTransport(peerId, direction); // same refusal as Room
    const edge = this.edgeOf(peerId);
    const router = this.edges.get(edge.index)!;
    const transport = await router.createWebRtcTransport({
      webRtcServer: edge.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 600_000,
      appData: { peerId, direction, type: "webrtc", edge: edge.index },
    });
    peer.addTransport(transport);
    await transport.enableTraceEvent(["bwe"]);
    transport.on("trace", (trace) => {
      if (trace.type !== "bwe") return;
      const info = trace.info as { availableBitrate?: number };
      if (typeof info.availableBitrate === "number") void this.onBandwidth(peerId, info.availableBitrate);
    });
    return webRtcTransportInfo(transport, direction);
  }

  /** Server-side sinks (recorder, benchmark) receiving the broadcast are spread over the edges like viewers. */
  override async createPlainTransport(peerId: string, opts: PlainTransportOptions): Promise<PlainTransportInfo> {
    if (opts.direction === "send") return super.createPlainTransport(peerId, opts);
    const peer = this.peer(peerId);
    const edge = this.edgeOf(peerId);
    const router = this.edges.get(edge.index)!;
    const transport = await router.createPlainTransport({
      listenIp: { ip: this.settings.listenIp === "0.0.0.0" ? "127.0.0.1" : this.settings.listenIp },
      rtcpMux: true,
      comedia: false,
      enableSrtp: !!opts.srtp,
      srtpCryptoSuite: "AES_CM_128_HMAC_SHA1_80",
      appData: { peerId, direction: opts.direction, type: "plain", edge: edge.index },
    });
    peer.addTransport(transport);
    if (opts.remote) {
      await transport.connect({ ip: opts.remote.ip, port: opts.remote.port, srtpParameters: opts.remote.srtpParameters as types.SrtpParameters | undefined });
    }
    return { id: transport.id, ip: transport.tuple.localIp, port: transport.tuple.localPort, srtpParameters: transport.srtpParameters };
  }

  override async produce(
    peerId: string,
    req: { transportId: string; kind: "audio" | "video"; source: MediaSource; rtpParameters: unknown; paused: boolean },
  ): Promise<{ id: string }> {
    const peer = this.peer(peerId);
    if (!this.announced.has(peerId)) {
      // A promoted viewer becomes a sender: everyone learns who they are before their media arrives.
      this.announced.add(peerId);
      this.emit({ roomKey: this.key, name: "media:peerJoined", payload: peer.info(), exceptPeerId: peerId });
    }
    const result = await super.produce(peerId, req);
    // Registered before any viewer can ask to consume it (they learn of it through a socket round trip).
    const piped = this.pipeEverywhere(result.id);
    this.piping.set(result.id, piped);
    await piped;
    return result;
  }

  private async pipeEverywhere(producerId: string): Promise<void> {
    await Promise.all(
      [...this.edges.entries()]
        .filter(([index]) => index !== this.worker.index)
        .map(async ([, router]) => {
          // The pipe producer on the edge has the same id; it closes when the origin producer closes.
          await this.router.pipeToRouter({ producerId, router });
        }),
    );
  }

  override async consume(peerId: string, req: { transportId: string; producerId: string; rtpCapabilities: unknown }) {
    await this.piping.get(req.producerId);
    const info = await super.consume(peerId, req);
    const link = this.links.get(peerId);
    const consumer = this.peer(peerId).consumers.get(info.id);
    // A weak link starts (and stays) at the layer its bandwidth allows.
    if (link && consumer?.kind === "video" && link.layerCap !== null && consumer.appData.desired) {
      consumer.appData.desired = { ...consumer.appData.desired, spatialLayer: Math.min(consumer.appData.desired.spatialLayer, link.layerCap) };
    }
    return info;
  }

  override async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    const consumer = this.peer(peerId).consumer(consumerId);
    (consumer.appData as Resumable).clientResumed = true;
    const link = this.links.get(peerId);
    // An audio-only viewer's video stays paused; it starts when the link recovers (applyVideo).
    if (consumer.kind === "video" && link && (link.audioOnly || link.audioOnlyRequested)) return;
    await super.resumeConsumer(peerId, consumerId);
  }

  /** The viewer asks for audio only (very weak link, or a metered connection), or back to video. */
  async setAudioOnly(peerId: string, on: boolean): Promise<void> {
    this.peer(peerId);
    this.edgeOf(peerId);
    const l = this.links.get(peerId)!;
    l.audioOnlyRequested = on;
    await this.applyVideo(peerId, l);
  }

  /** Audio-only state of a viewer (tests, diagnostics). */
  linkOf(peerId: string): Readonly<Omit<ViewerLink, "edge">> & { workerIndex: number } | undefined {
    const l = this.links.get(peerId);
    return l && { lowSamples: l.lowSamples, audioOnly: l.audioOnly, audioOnlyRequested: l.audioOnlyRequested, layerCap: l.layerCap, workerIndex: l.edge.index };
  }

  /** One bandwidth estimate for a viewer's downlink: cap its layers, enter or leave audio-only. */
  async onBandwidth(peerId: string, availableBps: number): Promise<void> {
    const l = this.links.get(peerId);
    const peer = this.peers.get(peerId);
    if (!l || !peer || this.quiet) return;
    const p = this.policy;
    if (!l.audioOnly) {
      l.lowSamples = availableBps < p.audioOnlyEnterBps ? l.lowSamples + 1 : 0;
      if (l.lowSamples >= p.audioOnlyAfterSamples) l.audioOnly = true;
    } else if (availableBps >= p.audioOnlyExitBps) {
      l.audioOnly = false;
      l.lowSamples = 0;
    }
    l.layerCap = layerForBitrate(availableBps, p);
    await this.applyVideo(peerId, l);
  }

  private async applyVideo(peerId: string, l: ViewerLink): Promise<void> {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    const audioOnly = l.audioOnly || l.audioOnlyRequested;
    for (const c of peer.consumers.values()) {
      if (c.kind !== "video" || c.closed) continue;
      if (audioOnly) {
        if (!c.paused) await c.pause().catch(() => undefined);
        continue;
      }
      if (c.type === "simulcast" && l.layerCap !== null) {
        const data = c.appData as ConsumerData;
        const want = Math.min(l.layerCap, (c.rtpParameters.encodings?.length ?? 3) - 1);
        const current = c.preferredLayers?.spatialLayer;
        if (data.started && current !== want) await c.setPreferredLayers({ spatialLayer: want, temporalLayer: 2 }).catch(() => undefined);
        else if (!data.started) data.desired = { spatialLayer: want, temporalLayer: 2 };
      }
      // Resumed only if the client had resumed it (a consumer the client never acknowledged stays paused).
      if (c.paused && (c.appData as Resumable).clientResumed) await c.resume().catch(() => undefined);
    }
  }

  // -------------------------------------------------------------------------------- who hears about whom
  // Thousands of viewers must not be told about each other (O(N²) events, a huge join snapshot): a viewer's
  // arrival and departure go to the senders only, and a viewer's join snapshot lists the senders only. A
  // promoted viewer is announced to everyone when they first produce.

  private readonly announced = new Set<string>();

  /** Senders: lecturers (by role) and anyone currently producing. */
  private isSender(p: Peer): boolean {
    return p.role === "LECTURER" || p.producers.size > 0 || this.announced.has(p.id);
  }

  /** Told of every viewer's arrival and departure: the senders, and a recorder (it stops when left alone). */
  private followsViewers(p: Peer): boolean {
    return this.isSender(p) || p.role === "RECORDER";
  }

  override snapshot(exceptPeerId?: string): RoomSnapshot {
    const peers = [...this.peers.values()].filter((p) => p.id !== exceptPeerId && this.isSender(p));
    return {
      peers: peers.map((p) => p.info()),
      producers: peers.flatMap((p) => [...p.producers.values()].map((pr) => ({ producerId: pr.id, peerId: p.id, kind: pr.kind, source: pr.appData.source, paused: pr.paused }))),
      peerCount: this.peers.size,
    };
  }

  override join(init: JoinPeer): RoomSnapshot {
    if (init.role === "LECTURER") {
      this.announced.add(init.peerId);
      return super.join(init);
    }
    if (this.closed) return super.join(init); // Room refuses
    if (this.peers.has(init.peerId)) return this.snapshot(init.peerId);
    const peer = new Peer(init.peerId, init.userId, init.displayName, init.role);
    const snapshot = this.snapshot();
    this.peers.set(peer.id, peer);
    for (const sender of this.peers.values()) {
      if (sender.id !== peer.id && this.followsViewers(sender)) this.emit({ roomKey: this.key, name: "media:peerJoined", payload: peer.info(), toPeerId: sender.id });
    }
    return snapshot;
  }

  override leave(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (peer && !this.isSender(peer)) {
      this.peers.delete(peerId);
      peer.close();
      for (const sender of this.peers.values()) {
        if (this.followsViewers(sender)) this.emit({ roomKey: this.key, name: "media:peerLeft", payload: { peerId }, toPeerId: sender.id });
      }
    } else {
      super.leave(peerId);
    }
    this.links.delete(peerId);
    this.announced.delete(peerId);
  }

  // -------------------------------------------------------------------------------- across media nodes
  // A session larger than one host spans media nodes: the origin node's router and an edge node's router are
  // joined by a PipeTransport pair (mediasoup's cross-host pipe). Handshake, orchestrated by the caller:
  //   edge.pipeListen() → origin.pipeOffer(edgeEndpoint) → edge.pipeConnect(originEndpoint, producers);
  // later producers (a promoted viewer) follow with origin.pipeProducers() → edge.pipeAdopt().
  private readonly remotePipes = new Map<string, types.PipeTransport>();
  /** Pipe transport id → producers already sent through it (a retried or raced pipeProducers sends each once). */
  private readonly pipedThrough = new Map<string, Set<string>>();

  /** Joined to other media nodes: the room is not empty while the session has peers elsewhere. */
  get spansNodes(): boolean {
    return this.remotePipes.size > 0;
  }

  private async createPipe(): Promise<types.PipeTransport> {
    // Nodes reach each other on the announced address (the media network between hosts), else the listen one.
    const t = await this.router.createPipeTransport({ listenIp: { ip: this.settings.listenIp, announcedIp: this.settings.announcedIp } });
    this.remotePipes.set(t.id, t);
    this.pipedThrough.set(t.id, new Set());
    t.observer.once("close", () => {
      this.remotePipes.delete(t.id);
      this.pipedThrough.delete(t.id);
    });
    return t;
  }

  private pipe(transportId: string): types.PipeTransport {
    const t = this.remotePipes.get(transportId);
    if (!t) throw new AppError(ErrorCode.NOT_FOUND, "跨节点管道不存在", { details: { transportId } });
    return t;
  }

  /** Closes a pipe whose other end is gone (a lost edge node): it would otherwise carry RTP to nowhere. */
  pipeClose(transportId: string): void {
    this.remotePipes.get(transportId)?.close();
  }

  /** Edge side, step 1: a pipe endpoint for the origin to connect to. */
  async pipeListen(): Promise<PipeEndpoint> {
    const t = await this.createPipe();
    return { transportId: t.id, ip: t.tuple.localIp, port: t.tuple.localPort };
  }

  /** Origin side: connects to the edge's endpoint and sends it every current producer. */
  async pipeOffer(remote: { ip: string; port: number }): Promise<PipeEndpoint & { producers: PipedProducer[] }> {
    const t = await this.createPipe();
    await t.connect({ ip: remote.ip, port: remote.port });
    const producers = await this.pipeProducers(t.id);
    return { transportId: t.id, ip: t.tuple.localIp, port: t.tuple.localPort, producers };
  }

  /**
   * Sends producers (all, or the given ones) through an existing pipe: origin → edge, or an edge's own sender
   * (a promoted viewer there) → origin. Each producer crosses a given pipe once.
   */
  async pipeProducers(transportId: string, producerIds?: string[]): Promise<PipedProducer[]> {
    const t = this.pipe(transportId);
    const sent = this.pipedThrough.get(transportId)!;
    const out: PipedProducer[] = [];
    for (const peer of this.peers.values()) {
      for (const producer of peer.producers.values()) {
        if ((producerIds && !producerIds.includes(producer.id)) || sent.has(producer.id)) continue;
        sent.add(producer.id);
        const c = await t.consume({ producerId: producer.id });
        c.observer.once("close", () => sent.delete(producer.id));
        out.push({ producerId: producer.id, kind: c.kind, rtpParameters: c.rtpParameters, paused: c.producerPaused, source: producer.appData.source, peer: peer.info() });
      }
    }
    return out;
  }

  /** Edge side, step 3: connects back to the origin and adopts its producers for the local viewers. */
  async pipeConnect(transportId: string, remote: { ip: string; port: number }, producers: PipedProducer[]): Promise<void> {
    await this.pipe(transportId).connect({ ip: remote.ip, port: remote.port });
    await this.pipeAdopt(transportId, producers);
  }

  /** Edge side: producers arriving through a pipe become local producers (same ids), piped to every worker. */
  async pipeAdopt(transportId: string, producers: PipedProducer[]): Promise<void> {
    const t = this.pipe(transportId);
    for (const p of producers) {
      if (this.peers.get(p.peer.peerId)?.producers.has(p.producerId)) continue;
      let peer = this.peers.get(p.peer.peerId);
      if (!peer) {
        // The remote sender appears here as a sender peer of the same id, so clients see one lecturer.
        peer = new Peer(p.peer.peerId, p.peer.userId, p.peer.displayName, p.peer.role);
        this.peers.set(peer.id, peer);
        this.announced.add(peer.id);
        this.emit({ roomKey: this.key, name: "media:peerJoined", payload: peer.info(), exceptPeerId: peer.id });
      }
      const producer = await t.produce<ProducerData>({
        id: p.producerId,
        kind: p.kind,
        rtpParameters: p.rtpParameters as types.RtpParameters,
        paused: p.paused,
        appData: { peerId: peer.id, source: p.source },
      });
      peer.addProducer(producer);
      const piped = this.pipeEverywhere(producer.id);
      this.piping.set(producer.id, piped);
      await piped;
      producer.observer.once("close", () => {
        if (!this.quiet) this.emit({ roomKey: this.key, name: "media:producerClosed", payload: { producerId: producer.id, peerId: peer!.id } });
      });
      this.emit({ roomKey: this.key, name: "media:newProducer", payload: { producerId: producer.id, peerId: peer.id, kind: producer.kind, source: p.source, paused: producer.paused } });
    }
  }

  override async migrate(worker: PoolWorker): Promise<void> {
    for (const [index, router] of this.edges) if (index !== this.worker.index && !router.closed) router.close();
    this.links.clear();
    await super.migrate(worker);
    await this.setupEdges();
  }

  override close(reason: "ended" | "empty" | "replaced" | "error"): void {
    if (this.closed) return;
    super.close(reason);
    for (const router of this.edges.values()) if (!router.closed) router.close();
    this.edges.clear();
    this.links.clear();
  }
}
