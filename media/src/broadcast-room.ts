// A broadcast room (training, 远程教学): one lecturer (and the occasional promoted viewer) sends; hundreds to
// thousands only receive. One router per worker: producers live on the origin router (the room's own) and are
// piped (pipeToRouter) to an edge router on every other worker; each viewer's receive transports go to the
// least loaded edge, so the room uses every core instead of hitting one worker's limit.
//
// Per viewer, the downlink decides the simulcast layer (layer-policy.ts); a session larger than one host spans
// media nodes through pipe transports (node-pipes.ts).
import type { types } from "mediasoup";
import type { JoinPeer, MediaEvent, PipeEndpoint, PipedProducer, RoomSnapshot } from "./api";
import { Peer, type ProducerData } from "./peer";
import { Room, webRtcTransportInfo, type PlainTransportInfo, type PlainTransportOptions } from "./room";
import { mediaCodecs, type MediaSettings } from "./settings";
import type { PoolWorker, WorkerPool } from "./worker-pool";
import type { MediaTransportInfo, MediaSource, TransportDirection } from "@yilian/contract";
import {
  applyVideo,
  DEFAULT_LAYER_POLICY,
  newViewerLink,
  observeBandwidth,
  videoHeld,
  type LayerPolicy,
  type Resumable,
  type ViewerLink,
} from "./layer-policy";
import { NodePipes } from "./node-pipes";

export { DEFAULT_LAYER_POLICY, layerForBitrate, type LayerPolicy } from "./layer-policy";

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

  static async open(
    key: string,
    origin: PoolWorker,
    pool: WorkerPool,
    settings: MediaSettings,
    emit: (e: MediaEvent) => void,
  ): Promise<BroadcastRoom> {
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
    this.links.set(peerId, newViewerLink(edge));
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
      await transport.connect({
        ip: opts.remote.ip,
        port: opts.remote.port,
        srtpParameters: opts.remote.srtpParameters as types.SrtpParameters | undefined,
      });
    }
    return {
      id: transport.id,
      ip: transport.tuple.localIp,
      port: transport.tuple.localPort,
      srtpParameters: transport.srtpParameters,
    };
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
      consumer.appData.desired = {
        ...consumer.appData.desired,
        spatialLayer: Math.min(consumer.appData.desired.spatialLayer, link.layerCap),
      };
    }
    return info;
  }

  override async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    const consumer = this.peer(peerId).consumer(consumerId);
    (consumer.appData as Resumable).clientResumed = true;
    const link = this.links.get(peerId);
    // An audio-only viewer's video stays paused; it starts when the link recovers (applyVideo).
    if (consumer.kind === "video" && link && videoHeld(link)) return;
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
  linkOf(peerId: string): (Readonly<Omit<ViewerLink, "edge">> & { workerIndex: number }) | undefined {
    const l = this.links.get(peerId);
    return (
      l && {
        lowSamples: l.lowSamples,
        audioOnly: l.audioOnly,
        audioOnlyRequested: l.audioOnlyRequested,
        layerCap: l.layerCap,
        workerIndex: l.edge.index,
      }
    );
  }

  /** One bandwidth estimate for a viewer's downlink: cap its layers, enter or leave audio-only. */
  async onBandwidth(peerId: string, availableBps: number): Promise<void> {
    const l = this.links.get(peerId);
    const peer = this.peers.get(peerId);
    if (!l || !peer || this.quiet) return;
    observeBandwidth(l, availableBps, this.policy);
    await this.applyVideo(peerId, l);
  }

  private async applyVideo(peerId: string, l: ViewerLink): Promise<void> {
    const peer = this.peers.get(peerId);
    if (peer) await applyVideo(peer, l);
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
      producers: peers.flatMap((p) =>
        [...p.producers.values()].map((pr) => ({
          producerId: pr.id,
          peerId: p.id,
          kind: pr.kind,
          source: pr.appData.source,
          paused: pr.paused,
        })),
      ),
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
      if (sender.id !== peer.id && this.followsViewers(sender))
        this.emit({ roomKey: this.key, name: "media:peerJoined", payload: peer.info(), toPeerId: sender.id });
    }
    return snapshot;
  }

  override leave(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (peer && !this.isSender(peer)) {
      this.peers.delete(peerId);
      peer.close();
      for (const sender of this.peers.values()) {
        if (this.followsViewers(sender))
          this.emit({ roomKey: this.key, name: "media:peerLeft", payload: { peerId }, toPeerId: sender.id });
      }
    } else {
      super.leave(peerId);
    }
    this.links.delete(peerId);
    this.announced.delete(peerId);
  }

  // -------------------------------------------------------------------------------- across media nodes
  // Handshake and pipes: node-pipes.ts. Here: what crosses them becomes this room's senders and producers.
  private readonly pipes = new NodePipes(() => this.router, this.settings);

  /** Joined to other media nodes: the room is not empty while the session has peers elsewhere. */
  get spansNodes(): boolean {
    return this.pipes.any;
  }

  /** Closes a pipe whose other end is gone (a lost edge node): it would otherwise carry RTP to nowhere. */
  pipeClose(transportId: string): void {
    this.pipes.close(transportId);
  }

  /** Edge side, step 1: a pipe endpoint for the origin to connect to. */
  async pipeListen(): Promise<PipeEndpoint> {
    return (await this.pipes.listen()).endpoint;
  }

  /** Origin side: connects to the edge's endpoint and sends it every current producer. */
  async pipeOffer(remote: { ip: string; port: number }): Promise<PipeEndpoint & { producers: PipedProducer[] }> {
    const { transport, endpoint } = await this.pipes.listen();
    await transport.connect({ ip: remote.ip, port: remote.port });
    const producers = await this.pipeProducers(endpoint.transportId);
    return { ...endpoint, producers };
  }

  /**
   * Sends producers (all, or the given ones) through an existing pipe: origin → edge, or an edge's own sender
   * (a promoted viewer there) → origin. Each producer crosses a given pipe once.
   */
  async pipeProducers(transportId: string, producerIds?: string[]): Promise<PipedProducer[]> {
    return this.pipes.send(transportId, this.peers.values(), producerIds);
  }

  /** Edge side, step 3: connects back to the origin and adopts its producers for the local viewers. */
  async pipeConnect(
    transportId: string,
    remote: { ip: string; port: number },
    producers: PipedProducer[],
  ): Promise<void> {
    await this.pipes.connect(transportId, remote);
    await this.pipeAdopt(transportId, producers);
  }

  /** Edge side: producers arriving through a pipe become local producers (same ids), piped to every worker. */
  async pipeAdopt(transportId: string, producers: PipedProducer[]): Promise<void> {
    const t = this.pipes.transport(transportId);
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
        if (!this.quiet)
          this.emit({
            roomKey: this.key,
            name: "media:producerClosed",
            payload: { producerId: producer.id, peerId: peer!.id },
          });
      });
      this.emit({
        roomKey: this.key,
        name: "media:newProducer",
        payload: {
          producerId: producer.id,
          peerId: peer.id,
          kind: producer.kind,
          source: p.source,
          paused: producer.paused,
        },
      });
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
