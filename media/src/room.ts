// A room: one router on one worker, its peers, and the observers that tell who is speaking. Owns the rules
// that keep media fast to start: consumers start paused (resumed when the client is ready), video producers
// batch key-frame requests, and every new video consumer starts on the lowest spatial layer.
import type { types } from "mediasoup";
import {
  AppError,
  ErrorCode,
  type MediaConsumerInfo,
  type MediaProducerInfo,
  type MediaSource,
  type MediaTransportInfo,
  type TransportDirection,
} from "@yilian/contract";
import type { JoinPeer, MediaEvent, RoomSnapshot } from "./api";
import { Peer, type ConsumerData, type ProducerData } from "./peer";
import { mediaCodecs, type MediaSettings } from "./settings";
import type { PoolWorker } from "./worker-pool";

export interface PlainTransportOptions {
  direction: TransportDirection;
  /** Where a `recv` transport sends its RTP (and SRTP parameters when encrypted). */
  remote?: { ip: string; port: number; srtpParameters?: unknown };
  srtp?: boolean;
}
export interface PlainTransportInfo {
  id: string;
  ip: string;
  port: number;
  srtpParameters?: unknown;
}

const MAX_CONSUMERS_PER_PEER = 300;

const sourceKind: Record<MediaSource, "audio" | "video"> = { camera: "video", microphone: "audio", screen: "video" };

/**
 * What the browser needs of a WebRTC transport. On a send transport the server takes the DTLS client role: it
 * sends the first flight the moment ICE connects and the client's fingerprint is known, so the client does not
 * wait for its connect request to be answered. (A receive transport's browser answers the server's offer and
 * picks the client role itself; the client sends its fingerprint before ICE starts, and a first flight that
 * still came too early is retransmitted by the browser within tens of milliseconds.)
 */
export function webRtcTransportInfo(
  transport: types.WebRtcTransport,
  direction: TransportDirection,
): MediaTransportInfo {
  return {
    id: transport.id,
    iceParameters: transport.iceParameters,
    iceCandidates: transport.iceCandidates,
    dtlsParameters: direction === "send" ? { ...transport.dtlsParameters, role: "client" } : transport.dtlsParameters,
  };
}

/** mediasoup rejects bad parameters with TypeError; the client gets a validation error, not a 500. */
async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof AppError) throw e;
    if (e instanceof TypeError) throw new AppError(ErrorCode.VALIDATION_FAILED, `媒体参数无效：${e.message}`);
    throw e;
  }
}

export class Room {
  readonly peers = new Map<string, Peer>();
  router!: types.Router;
  private activeSpeaker!: types.ActiveSpeakerObserver;
  private audioLevels!: types.AudioLevelObserver;
  closed = false;

  // protected: BroadcastRoom (training) specialises the room for one-to-many delivery.
  protected constructor(
    readonly key: string,
    public worker: PoolWorker,
    protected readonly settings: MediaSettings,
    protected readonly emit: (e: MediaEvent) => void,
  ) {}

  static async create(
    key: string,
    worker: PoolWorker,
    settings: MediaSettings,
    emit: (e: MediaEvent) => void,
  ): Promise<Room> {
    const room = new Room(key, worker, settings, emit);
    await room.setupRouter();
    return room;
  }

  protected async setupRouter(): Promise<void> {
    this.router = await this.worker.worker.createRouter({ mediaCodecs, appData: { roomKey: this.key } });
    this.activeSpeaker = await this.router.createActiveSpeakerObserver({ interval: 300 });
    this.audioLevels = await this.router.createAudioLevelObserver({ maxEntries: 16, threshold: -70, interval: 800 });
    this.activeSpeaker.on("dominantspeaker", ({ producer }) => {
      this.emit({
        roomKey: this.key,
        name: "media:activeSpeaker",
        payload: { peerId: (producer.appData as ProducerData).peerId },
      });
    });
    this.audioLevels.on("volumes", (volumes) => {
      const levels = volumes.map((v) => ({ peerId: (v.producer.appData as ProducerData).peerId, volume: v.volume }));
      this.emit({ roomKey: this.key, name: "media:audioLevels", payload: { levels } });
    });
    this.audioLevels.on("silence", () =>
      this.emit({ roomKey: this.key, name: "media:audioLevels", payload: { levels: [] } }),
    );
  }

  /** Whether mediasoup objects of this room are being torn down by the router (room close, worker death). */
  protected get quiet(): boolean {
    return this.closed || this.router.closed;
  }

  peer(peerId: string): Peer {
    const p = this.peers.get(peerId);
    if (!p) throw new AppError(ErrorCode.INVALID_STATE, "尚未加入该房间");
    return p;
  }

  snapshot(exceptPeerId?: string): RoomSnapshot {
    const peers = [...this.peers.values()].filter((p) => p.id !== exceptPeerId);
    return {
      peers: peers.map((p) => p.info()),
      producers: peers.flatMap((p) => [...p.producers.values()].map((pr) => this.producerInfo(pr))),
      peerCount: this.peers.size,
    };
  }

  private producerInfo(p: types.Producer<ProducerData>): MediaProducerInfo {
    return { producerId: p.id, peerId: p.appData.peerId, kind: p.kind, source: p.appData.source, paused: p.paused };
  }

  join(init: JoinPeer): RoomSnapshot {
    if (this.closed) throw new AppError(ErrorCode.INVALID_STATE, "房间已关闭");
    if (this.peers.has(init.peerId)) return this.snapshot(init.peerId);
    const peer = new Peer(init.peerId, init.userId, init.displayName, init.role);
    const snapshot = this.snapshot();
    this.peers.set(peer.id, peer);
    this.emit({ roomKey: this.key, name: "media:peerJoined", payload: peer.info(), exceptPeerId: peer.id });
    return snapshot;
  }

  leave(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (!peer) return;
    this.peers.delete(peerId);
    peer.close();
    if (!this.closed) this.emit({ roomKey: this.key, name: "media:peerLeft", payload: { peerId } });
  }

  async createTransport(peerId: string, direction: TransportDirection): Promise<MediaTransportInfo> {
    const peer = this.peer(peerId);
    if (peer.transports.size >= 4) throw new AppError(ErrorCode.CONFLICT, "传输通道过多");
    const transport = await this.router.createWebRtcTransport({
      webRtcServer: this.worker.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { peerId, direction, type: "webrtc" },
    });
    if (direction === "send")
      await transport.setMaxIncomingBitrate(this.settings.maxIncomingBitrate).catch(() => undefined);
    peer.addTransport(transport);
    return webRtcTransportInfo(transport, direction);
  }

  /**
   * A plain RTP transport (no ICE/DTLS) for server-side endpoints: a recorder or a test sink receiving media
   * (`recv`, connected to remote), or an RTP source such as ffmpeg sending it (`send`, learns its remote).
   */
  async createPlainTransport(peerId: string, opts: PlainTransportOptions): Promise<PlainTransportInfo> {
    const peer = this.peer(peerId);
    const transport = await this.router.createPlainTransport({
      listenIp: { ip: this.settings.listenIp === "0.0.0.0" ? "127.0.0.1" : this.settings.listenIp },
      rtcpMux: true,
      comedia: opts.direction === "send",
      enableSrtp: !!opts.srtp,
      srtpCryptoSuite: "AES_CM_128_HMAC_SHA1_80",
      appData: { peerId, direction: opts.direction, type: "plain" },
    });
    peer.addTransport(transport);
    if (opts.remote) {
      await guard(() =>
        transport.connect({
          ip: opts.remote!.ip,
          port: opts.remote!.port,
          srtpParameters: opts.remote!.srtpParameters as types.SrtpParameters | undefined,
        }),
      );
    }
    return {
      id: transport.id,
      ip: transport.tuple.localIp,
      port: transport.tuple.localPort,
      srtpParameters: transport.srtpParameters,
    };
  }

  async connectTransport(peerId: string, transportId: string, dtlsParameters: unknown): Promise<void> {
    const transport = this.peer(peerId).transport(transportId);
    if ((transport.appData as { type?: string }).type !== "webrtc")
      throw new AppError(ErrorCode.INVALID_STATE, "该传输通道不需要连接");
    await guard(() => transport.connect({ dtlsParameters: dtlsParameters as types.DtlsParameters }));
  }

  async restartIce(peerId: string, transportId: string): Promise<{ iceParameters: unknown }> {
    const transport = this.peer(peerId).transport(transportId);
    if ((transport.appData as { type?: string }).type !== "webrtc")
      throw new AppError(ErrorCode.INVALID_STATE, "该传输通道不使用 ICE");
    return { iceParameters: await (transport as types.WebRtcTransport).restartIce() };
  }

  async produce(
    peerId: string,
    req: { transportId: string; kind: "audio" | "video"; source: MediaSource; rtpParameters: unknown; paused: boolean },
  ): Promise<{ id: string }> {
    const peer = this.peer(peerId);
    const transport = peer.transport(req.transportId);
    if ((transport.appData as { direction: string }).direction !== "send") {
      throw new AppError(ErrorCode.INVALID_STATE, "该传输通道不能发送媒体");
    }
    if (sourceKind[req.source] !== req.kind) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `${req.source} 必须是 ${sourceKind[req.source]}`);
    }
    // One producer per source: a second camera (or a new screen share) replaces the previous one.
    for (const p of peer.producers.values()) if (p.appData.source === req.source) p.close();

    const producer = await guard(() =>
      transport.produce<ProducerData>({
        kind: req.kind,
        rtpParameters: req.rtpParameters as types.RtpParameters,
        paused: req.paused,
        // Batch key-frame requests just above libwebrtc's 300 ms gate: a joiner never waits on the 1 s retry.
        keyFrameRequestDelay:
          req.kind === "video" && this.settings.keyFrameRequestDelayMs > 0
            ? this.settings.keyFrameRequestDelayMs
            : undefined,
        appData: { peerId, source: req.source },
      }),
    );
    peer.addProducer(producer);
    producer.observer.once("close", () => {
      if (this.quiet) return;
      this.emit({
        roomKey: this.key,
        name: "media:producerClosed",
        payload: { producerId: producer.id, peerId },
        exceptPeerId: peerId,
      });
    });
    if (producer.kind === "audio") {
      await this.activeSpeaker.addProducer({ producerId: producer.id }).catch(() => undefined);
      await this.audioLevels.addProducer({ producerId: producer.id }).catch(() => undefined);
    }
    this.emit({
      roomKey: this.key,
      name: "media:newProducer",
      payload: this.producerInfo(producer),
      exceptPeerId: peerId,
    });
    return { id: producer.id };
  }

  protected findProducer(producerId: string): types.Producer<ProducerData> {
    for (const peer of this.peers.values()) {
      const p = peer.producers.get(producerId);
      if (p) return p;
    }
    throw new AppError(ErrorCode.NOT_FOUND, "媒体流不存在", { details: { producerId } });
  }

  async consume(
    peerId: string,
    req: { transportId: string; producerId: string; rtpCapabilities: unknown },
  ): Promise<MediaConsumerInfo> {
    const peer = this.peer(peerId);
    const transport = peer.transport(req.transportId);
    if ((transport.appData as { direction: string }).direction !== "recv") {
      throw new AppError(ErrorCode.INVALID_STATE, "该传输通道不能接收媒体");
    }
    // A client cannot make one peer pull an unbounded number of streams.
    if (peer.consumers.size >= MAX_CONSUMERS_PER_PEER) throw new AppError(ErrorCode.CONFLICT, "订阅的媒体流过多");
    const producer = this.findProducer(req.producerId);
    if (producer.appData.peerId === peerId) throw new AppError(ErrorCode.INVALID_STATE, "不能订阅自己的媒体流");
    // Asked twice (the client heard of a producer while its join's consumers were being made): the same consumer.
    for (const c of peer.consumers.values()) {
      if (c.producerId === producer.id && c.appData.transportId === transport.id) return this.consumerInfo(c);
    }
    const rtpCapabilities = req.rtpCapabilities as types.RtpCapabilities;
    const canConsume = await guard(async () => this.router.canConsume({ producerId: producer.id, rtpCapabilities }));
    if (!canConsume) throw new AppError(ErrorCode.INVALID_STATE, "浏览器不支持该媒体格式");

    const simulcastLayers = producer.type === "simulcast" ? (producer.rtpParameters.encodings?.length ?? 1) : 0;
    const data: ConsumerData = {
      peerId,
      producerPeerId: producer.appData.peerId,
      source: producer.appData.source,
      transportId: transport.id,
    };
    if (simulcastLayers > 1) data.desired = { spatialLayer: simulcastLayers - 1, temporalLayer: 2 };
    const consumer = await guard(() =>
      transport.consume<ConsumerData>({
        producerId: producer.id,
        rtpCapabilities,
        // Created paused: no RTP (and no key-frame request) before the client has set up its side.
        paused: true,
        // Every joiner starts on the same (lowest) layer, so their key-frame requests share one window of the
        // one encoder; the desired layer is applied after the first frame (layerschange below).
        preferredLayers:
          simulcastLayers > 1 && this.settings.consumerStartLayer === "lowest"
            ? { spatialLayer: 0, temporalLayer: 2 }
            : undefined,
        // Retransmissions for audio too (mediasoup's default is video only): a receiver on a lossy township line
        // NACKs a lost Opus packet and gets it from this consumer's buffer, where otherwise it could only conceal
        // it — the sender's FEC never learns of this receiver's losses, since the SFU terminates RTCP.
        enableRtx: true,
        appData: data,
      }),
    );
    peer.addConsumer(consumer);
    consumer.on("layerschange", (layers) => {
      if (layers && !data.started) {
        data.started = true;
        if (data.desired && data.desired.spatialLayer !== layers.spatialLayer) {
          consumer.setPreferredLayers(data.desired).catch(() => undefined);
        }
      }
      if (this.quiet) return;
      this.emit({
        roomKey: this.key,
        name: "media:consumerLayers",
        toPeerId: peerId,
        payload: {
          consumerId: consumer.id,
          spatialLayer: layers?.spatialLayer ?? null,
          temporalLayer: layers?.temporalLayer ?? null,
        },
      });
    });
    return this.consumerInfo(consumer);
  }

  private consumerInfo(consumer: types.Consumer<ConsumerData>): MediaConsumerInfo {
    return {
      id: consumer.id,
      producerId: consumer.producerId,
      peerId: consumer.appData.producerPeerId,
      kind: consumer.kind,
      source: consumer.appData.source,
      rtpParameters: consumer.rtpParameters,
      producerPaused: consumer.producerPaused,
    };
  }

  /** Consumers of every producer the peer sees (the snapshot's), made together: a joiner's in one answer. */
  async consumeAll(
    peerId: string,
    req: { transportId: string; rtpCapabilities: unknown },
  ): Promise<MediaConsumerInfo[]> {
    // A wrong transport is the caller's error; the per-producer refusals below are not.
    const transport = this.peer(peerId).transport(req.transportId);
    if ((transport.appData as { direction: string }).direction !== "recv")
      throw new AppError(ErrorCode.INVALID_STATE, "该传输通道不能接收媒体");
    // Video first: the client sets them up in this order, and the camera is what the joiner waits to see.
    const producers = this.snapshot(peerId).producers.sort((a, b) =>
      a.kind === b.kind ? 0 : a.kind === "video" ? -1 : 1,
    );
    const made = await Promise.allSettled(
      producers.map((p) => this.consume(peerId, { ...req, producerId: p.producerId })),
    );
    for (const r of made) {
      // A producer that closed meanwhile or that this browser cannot decode is left out; anything else is a fault.
      if (r.status === "rejected" && !(r.reason instanceof AppError)) throw r.reason;
    }
    return made.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  }

  async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    await this.peer(peerId).consumer(consumerId).resume();
  }

  async requestKeyFrame(peerId: string, consumerId: string): Promise<void> {
    const consumer = this.peer(peerId).consumer(consumerId);
    if (consumer.kind === "video") await consumer.requestKeyFrame();
  }

  async setPreferredLayers(
    peerId: string,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number; urgent?: boolean },
  ): Promise<void> {
    const consumer = this.peer(peerId).consumer(consumerId);
    if (consumer.type !== "simulcast" && consumer.type !== "svc") return; // nothing to choose
    const desired = { spatialLayer: layers.spatialLayer, temporalLayer: layers.temporalLayer ?? 2 };
    consumer.appData.desired = desired;
    // Before the first frame the consumer stays on the start layer (see consume()).
    if (!consumer.appData.started) return;
    const current = consumer.currentLayers?.spatialLayer;
    if (layers.urgent && !consumer.paused && current !== undefined && current > desired.spatialLayer) {
      // Pausing stops the higher layer now and empties the consumer's retransmission buffer: on a collapsed link
      // the receiver's NACKs for it would otherwise keep the link flooded (measured: 1.7 Mb/s offered to a
      // 600 kb/s line for a second after the switch). Resuming asks the lower layer's key frame.
      await consumer.pause();
      await consumer.setPreferredLayers(desired);
      await consumer.resume();
      return;
    }
    await consumer.setPreferredLayers(desired);
  }

  private emitProducerState(producer: types.Producer<ProducerData>): void {
    this.emit({
      roomKey: this.key,
      name: producer.paused ? "media:producerPaused" : "media:producerResumed",
      payload: {
        producerId: producer.id,
        peerId: producer.appData.peerId,
        source: producer.appData.source,
        paused: producer.paused,
      },
      exceptPeerId: producer.appData.peerId,
    });
  }

  async pauseProducer(peerId: string, producerId: string): Promise<void> {
    const producer = this.peer(peerId).producer(producerId);
    if (producer.paused) return;
    await producer.pause();
    this.emitProducerState(producer);
  }

  async resumeProducer(peerId: string, producerId: string): Promise<void> {
    const producer = this.peer(peerId).producer(producerId);
    if (!producer.paused) return;
    await producer.resume();
    this.emitProducerState(producer);
  }

  closeProducer(peerId: string, producerId: string): void {
    this.peer(peerId).producer(producerId).close();
  }

  closeProducersBySource(peerId: string, source: MediaSource): void {
    for (const p of [...this.peer(peerId).producers.values()]) if (p.appData.source === source) p.close();
  }

  resetPeerMedia(peerId: string): void {
    this.peer(peerId).resetMedia();
  }

  /** After the worker died: a new router on the replacement worker; every peer rebuilds its transports. */
  async migrate(worker: PoolWorker): Promise<void> {
    this.worker = worker;
    for (const peer of this.peers.values()) peer.resetMedia();
    await this.setupRouter();
    this.emit({ roomKey: this.key, name: "media:restart", payload: { reason: "worker-replaced" } });
  }

  close(reason: "ended" | "empty" | "replaced" | "error"): void {
    if (this.closed) return;
    this.closed = true;
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    if (!this.router.closed) this.router.close();
    this.emit({ roomKey: this.key, name: "media:roomClosed", payload: { reason } });
  }
}
