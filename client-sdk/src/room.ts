// A live room in the browser: one mediasoup-client Device, a send and a receive transport, local publications
// (camera, microphone, screen) and remote tracks. Reconnects by itself: after a network drop it resumes the same
// peer (restarting ICE) or, when the server let it go, rebuilds transports and publications.
import { Device, type types } from "mediasoup-client";
import type {
  MediaChatMessage,
  MediaResetTransportsResult,
  MediaSetup,
  MediaRestartIceResult,
  MediaConsumerInfo,
  MediaJoinResult,
  MediaPeerInfo,
  MediaPermissions,
  MediaProducerInfo,
  MediaSource,
  MediaTransportInfo,
  RoomKind,
} from "@yilian/contract";
import type { Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "@yilian/contract";
import { Emitter } from "./emitter";
import { YilianError } from "./errors";
import { IceConfig, type IceFailure, type IceOptions } from "./ice";
import { QualityMonitor, type ConnectionQuality, type LinkStats, type TrackStats } from "./quality";
import { WeakLinkPolicy } from "./weak-link";
import { receiveCapabilities } from "./capabilities";

export interface RemoteTrack {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: "audio" | "video";
  source: MediaSource;
  track: MediaStreamTrack;
  /** The sender muted it (producer paused). */
  muted: boolean;
  /** Simulcast video: the spatial layer the media server forwards now (0 lowest; null: none, e.g. paused). */
  spatialLayer?: number | null;
}

export interface RoomEvents {
  peerJoined: (peer: MediaPeerInfo) => void;
  peerLeft: (peer: MediaPeerInfo) => void;
  track: (t: RemoteTrack) => void;
  trackEnded: (t: RemoteTrack) => void;
  /** A remote publication was muted or unmuted. */
  mute: (e: { peerId: string; source: MediaSource; producerId: string; muted: boolean }) => void;
  activeSpeaker: (e: { peerId: string | null }) => void;
  audioLevels: (levels: { peerId: string; volume: number }[]) => void;
  chat: (m: MediaChatMessage) => void;
  reconnecting: () => void;
  reconnected: (e: { resumed: boolean }) => void;
  /** `message`: a zh-CN explanation for the user, when the server gave one (e.g. the media node was lost). */
  closed: (e: { reason: string; message?: string }) => void;
  error: (e: Error) => void;
  /** A peer's link quality changed (this client's own link: `local: true`); from WebRTC statistics. */
  connectionQuality: (q: ConnectionQuality) => void;
  /** The media server changed the layer it forwards of a remote camera (bandwidth, preference, weak link). */
  layers: (e: { consumerId: string; peerId: string; spatialLayer: number | null; temporalLayer: number | null }) => void;
  /** The direct path failed: the transports are rebuilt to go through TURN only. */
  relayFallback: (f: IceFailure) => void;
}

export interface JoinOptions extends IceOptions {
  /** Spatial layer (0 low … 2 high) to receive remote cameras in; default: the highest. */
  preferredSpatialLayer?: number;
  /** How often link quality is sampled from WebRTC statistics (default 1000 ms; 0: never). */
  qualityIntervalMs?: number;
}

/** What a room needs of the client: the shared socket and acknowledged requests (YilianClient is one). */
export interface RoomConnection {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  request<T>(event: keyof ClientToServerEvents, ...payload: unknown[]): Promise<T>;
  /** A device loaded ahead of the join (see loadDevice), so the join can carry its RTP capabilities. */
  mediaDevice?(): Promise<LoadedDevice | undefined>;
}

/** A mediasoup device and the router capabilities it was loaded with. */
export interface LoadedDevice {
  device: Device;
  routerRtpCapabilities: string;
}

export async function loadDevice(routerRtpCapabilities: unknown): Promise<LoadedDevice> {
  // factory() picks the browser handler from navigator.userAgentData (secure origins only).
  const device = await Device.factory();
  await device.load({ routerRtpCapabilities: routerRtpCapabilities as types.RtpCapabilities });
  return { device, routerRtpCapabilities: JSON.stringify(routerRtpCapabilities) };
}

/**
 * performance.now() at each step of the last join (or rejoin): where the time to the first frame goes.
 * Diagnostics for the console and the `ttff` benchmark.
 */
export interface JoinTimeline {
  started: number;
  socketReady: number;
  joinAnswered?: number;
  deviceLoaded?: number;
  transportsCreated?: number;
  /** The consumers of what the room already sent are set up (tracks exist, resumes asked for). */
  consumersCreated?: number;
}

interface LocalPublication {
  source: MediaSource;
  track: MediaStreamTrack;
  options: Pick<types.ProducerOptions, "encodings" | "codecOptions">;
  producer?: types.Producer;
  muted: boolean;
}

const CAMERA_SIMULCAST: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: "L1T3" },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: "L1T3" },
  { scaleResolutionDownBy: 1, maxBitrate: 1_200_000, scalabilityMode: "L1T3" },
];

export class Room extends Emitter<RoomEvents> {
  readonly peers = new Map<string, MediaPeerInfo>();
  /** Remote tracks by consumer id. */
  readonly tracks = new Map<string, RemoteTrack>();
  peerId = "";
  role = "";
  permissions: MediaPermissions = { camera: false, microphone: false, screen: false, chat: false };
  closed = false;
  /** When each step of the last join finished. */
  timeline: JoinTimeline;

  private device?: Device;
  private sendTransport?: types.Transport;
  private recvTransport?: types.Transport;
  private recvReady!: Promise<types.Transport>;
  private markRecvReady!: (t: types.Transport) => void;
  private generation = 0;
  private resumeKey?: string;
  private readonly local = new Map<MediaSource, LocalPublication>();
  private readonly consumers = new Map<string, types.Consumer>(); // by producer id
  private readonly consuming = new Set<string>();
  private readonly offs: (() => void)[] = [];
  private disconnected = false;
  private readonly ice: IceConfig;
  private readonly quality: QualityMonitor;
  private readonly weakLink: WeakLinkPolicy;
  private fallingBack = false;
  /** Tracks made during the join, announced after joinRoom() returned (see join). */
  private joinTracks: RemoteTrack[] | null = [];

  private constructor(
    private readonly client: RoomConnection,
    readonly kind: RoomKind,
    readonly roomId: string,
    private readonly opts: JoinOptions,
    timeline: JoinTimeline,
  ) {
    super();
    this.timeline = timeline;
    this.resetRecvReady();
    this.ice = new IceConfig(opts);
    this.weakLink = new WeakLinkPolicy({
      requestLayer: (consumerId, spatialLayer, temporalLayer) =>
        this.client.request("media:setPreferredLayers", { consumerId, spatialLayer, temporalLayer }),
      cameraConsumers: () => [...this.tracks.values()].filter((t) => t.source === "camera").map((t) => t.consumerId),
      cameraProducer: () => this.local.get("camera")?.producer,
      receivers: () => [...this.consumers.values()].filter((c) => !c.closed).map((c) => c.rtpReceiver).filter((r) => r !== undefined),
      rttMs: () => this.quality.link().rttMs,
      defaultLayer: opts.preferredSpatialLayer,
    });
    this.quality = new QualityMonitor(
      {
        localPeerId: () => this.peerId,
        peerIds: () => [...this.peers.keys()],
        transports: () => [this.sendTransport, this.recvTransport],
        tracks: () => [...this.tracks.values()],
        online: () => this.client.socket.connected,
      },
      (q) => {
        if (q.local) void this.weakLink.onLocalQuality(q.quality);
        this.emit("connectionQuality", q);
      },
      opts.qualityIntervalMs,
    );
    this.on("track", (t) => void this.weakLink.added(t.consumerId, t.source === "camera"));
    this.on("trackEnded", (t) => this.weakLink.forget(t.consumerId));
  }

  /**
   * One round trip: the join carries the device's RTP capabilities (loaded while the socket connected) and its
   * answer everything else (transports, paused consumers), so the media path is set up without asking again.
   */
  static async join(client: RoomConnection, kind: RoomKind, roomId: string, opts: JoinOptions, timeline: JoinTimeline): Promise<Room> {
    const room = new Room(client, kind, roomId, opts, timeline);
    const preloaded = await client.mediaDevice?.();
    const res = await client.request<MediaJoinResult>("media:join", { kind, roomId, rtpCapabilities: receiveCapabilities(preloaded?.device.rtpCapabilities) });
    timeline.joinAnswered = performance.now();
    room.ice.update(res);
    room.applyJoin(res);
    room.listen();
    const fits = preloaded && preloaded.routerRtpCapabilities === JSON.stringify(res.routerRtpCapabilities);
    room.device = fits ? preloaded.device : (await loadDevice(res.routerRtpCapabilities)).device;
    timeline.deviceLoaded = performance.now();
    await room.applySetup(res, room.generation);
    room.quality.start();
    // The tracks that came with the join are announced once joinRoom() has returned, so a listener attached right
    // after it (room.on("track", …)) hears every track; room.tracks holds them already.
    const announced = room.joinTracks ?? [];
    room.joinTracks = null;
    setTimeout(() => {
      for (const t of announced) if (room.tracks.get(t.consumerId) === t) room.emit("track", t);
    }, 0);
    return room;
  }

  // ------------------------------------------------------------------------------------------ publishing

  /** Publishes the camera (or the given track) in 3 simulcast layers. */
  async publishCamera(opts: { track?: MediaStreamTrack; simulcast?: boolean } = {}): Promise<MediaStreamTrack> {
    const track =
      opts.track ??
      (await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } })).getVideoTracks()[0]!;
    await this.publish("camera", track, {
      encodings: opts.simulcast === false ? undefined : CAMERA_SIMULCAST,
      codecOptions: { videoGoogleStartBitrate: 1000 },
    });
    return track;
  }

  async publishMicrophone(opts: { track?: MediaStreamTrack } = {}): Promise<MediaStreamTrack> {
    const track =
      opts.track ?? (await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } })).getAudioTracks()[0]!;
    await this.publish("microphone", track, { codecOptions: { opusStereo: false, opusDtx: true, opusFec: true } });
    return track;
  }

  /** Shares the screen (or the given track) as its own publication; ends when the user stops sharing. */
  async shareScreen(opts: { track?: MediaStreamTrack } = {}): Promise<MediaStreamTrack> {
    const track = opts.track ?? (await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false })).getVideoTracks()[0]!;
    // Text and images on a shared screen must stay sharp: favour resolution over frame rate.
    if ("contentHint" in track) track.contentHint = "detail";
    await this.publish("screen", track, { encodings: [{ maxBitrate: 1_500_000 }], codecOptions: { videoGoogleStartBitrate: 1000 } });
    return track;
  }

  /**
   * Sends another track in place of a publication's (device switching): the producer stays, so the others keep
   * their consumer and see no interruption; the old track is stopped. Publishes when nothing is published yet.
   */
  async replaceTrack(source: MediaSource, track: MediaStreamTrack): Promise<void> {
    const pub = this.local.get(source);
    if (!pub?.producer) {
      if (source === "camera") await this.publishCamera({ track });
      else if (source === "microphone") await this.publishMicrophone({ track });
      else await this.shareScreen({ track });
      return;
    }
    const old = pub.track;
    await pub.producer.replaceTrack({ track });
    pub.track = track;
    if (old !== track) old.stop();
  }

  async stopScreenShare(): Promise<void> {
    await this.unpublish("screen");
  }

  /** Mutes a publication (default: the microphone); the others see it (producer paused). */
  async mute(source: MediaSource = "microphone"): Promise<void> {
    await this.setMuted(source, true);
  }

  async unmute(source: MediaSource = "microphone"): Promise<void> {
    await this.setMuted(source, false);
  }

  isMuted(source: MediaSource = "microphone"): boolean {
    return this.local.get(source)?.muted ?? false;
  }

  async unpublish(source: MediaSource): Promise<void> {
    const pub = this.local.get(source);
    if (!pub) return;
    this.local.delete(source);
    const producer = pub.producer;
    producer?.close();
    pub.track.stop();
    if (producer) await this.client.request("media:closeProducer", { producerId: producer.id }).catch(() => undefined);
  }

  private async publish(source: MediaSource, track: MediaStreamTrack, options: LocalPublication["options"]): Promise<void> {
    if (!this.permissions[source]) throw new YilianError("FORBIDDEN", source === "screen" ? "您在此房间中不能共享屏幕" : "您在此房间中不能发送音视频");
    const previous = this.local.get(source);
    if (previous) {
      previous.producer?.close();
      if (previous.track !== track) previous.track.stop();
    }
    const pub: LocalPublication = { source, track, options, muted: false };
    this.local.set(source, pub);
    await this.produce(pub);
  }

  private async produce(pub: LocalPublication): Promise<void> {
    if (!this.sendTransport && this.device) await this.createSendTransport();
    const transport = this.sendTransport;
    if (!transport) throw new YilianError("INVALID_STATE", "发送通道尚未就绪");
    const producer = await transport.produce({
      track: pub.track,
      ...pub.options,
      stopTracks: false, // the track outlives a producer: it is produced again after a reconnect
      appData: { source: pub.source, paused: pub.muted },
    });
    if (pub.muted) producer.pause();
    pub.producer = producer;
    producer.on("trackended", () => {
      // The user ended the share from the browser's own bar (or the device went away).
      void this.unpublish(pub.source);
    });
  }

  private async setMuted(source: MediaSource, muted: boolean): Promise<void> {
    const pub = this.local.get(source);
    if (!pub) return;
    pub.muted = muted;
    const producer = pub.producer;
    if (!producer) return;
    if (muted) producer.pause();
    else producer.resume();
    await this.client.request(muted ? "media:pauseProducer" : "media:resumeProducer", { producerId: producer.id });
  }

  // ------------------------------------------------------------------------------------------ receiving

  /** Asks for a remote camera in another quality (0 low … 2 high), e.g. small tiles in a gallery. */
  async setPreferredLayers(consumerId: string, spatialLayer: number, temporalLayer?: number): Promise<void> {
    // On a weak link the camera stays on the lowest layer until the link recovers (weak-link.ts).
    await this.weakLink.want(consumerId, spatialLayer, temporalLayer);
  }

  /** Per remote track: loss, jitter, bitrate, resolution, freezes, audio concealment (last quality sample). */
  trackStats(): TrackStats[] {
    return this.quality.tracks();
  }

  /** This client's link to the media server: RTT, loss both ways, whether it goes through TURN. */
  linkStats(): LinkStats {
    return this.quality.link();
  }

  /** Current link quality of each peer (this client's own under its peerId). */
  connectionQualities(): ConnectionQuality[] {
    return [...this.quality.qualities.values()];
  }

  /** WebRTC statistics of the receive transport (inbound-rtp per remote track). */
  async getStats(): Promise<RTCStatsReport | undefined> {
    return this.recvTransport?.getStats();
  }

  /** A producer heard of later (media:newProducer, a resumed join): its consumer is asked for. */
  private async consume(p: MediaProducerInfo): Promise<void> {
    if (this.closed || this.consumers.has(p.producerId) || this.consuming.has(p.producerId)) return;
    this.consuming.add(p.producerId);
    const generation = this.generation;
    try {
      const transport = await this.recvReady;
      if (generation !== this.generation || this.closed) return;
      const info = await this.client.request<MediaConsumerInfo>("media:consume", {
        transportId: transport.id,
        producerId: p.producerId,
        rtpCapabilities: receiveCapabilities(this.device!.rtpCapabilities),
      });
      await this.attach(transport, info, generation);
    } catch (e) {
      if (!this.closed && generation === this.generation) this.emit("error", e as Error);
    } finally {
      this.consuming.delete(p.producerId);
    }
  }

  /** Consumers the server made (a join's or a reset's): set up together, so the browser negotiates them at once. */
  private async attachAll(transport: types.Transport, infos: MediaConsumerInfo[], generation: number): Promise<void> {
    const fresh = infos.filter((i) => !this.consumers.has(i.producerId) && !this.consuming.has(i.producerId));
    for (const i of fresh) this.consuming.add(i.producerId);
    await Promise.all(
      fresh.map((info) =>
        this.attach(transport, info, generation)
          .catch((e) => !this.closed && generation === this.generation && this.emit("error", e as Error))
          .finally(() => this.consuming.delete(info.producerId)),
      ),
    );
  }

  /** The client side of a (paused) server consumer: the track, then resumed so media flows. */
  private async attach(transport: types.Transport, info: MediaConsumerInfo, generation: number): Promise<void> {
    if (generation !== this.generation || this.closed) return;
    const consumer = await transport.consume({
      id: info.id,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters as types.RtpParameters,
    });
    if (generation !== this.generation || this.closed) {
      consumer.close();
      return;
    }
    this.consumers.set(info.producerId, consumer);
    const remote: RemoteTrack = {
      consumerId: consumer.id,
      producerId: info.producerId,
      peerId: info.peerId,
      kind: info.kind,
      source: info.source,
      track: consumer.track,
      muted: info.producerPaused,
    };
    this.tracks.set(consumer.id, remote);
    if (this.joinTracks) this.joinTracks.push(remote);
    else this.emit("track", remote);
    // The server created it paused; now that the track exists here, let the media flow.
    await this.client.request("media:resumeConsumer", { consumerId: consumer.id });
    if (this.opts.preferredSpatialLayer !== undefined && info.kind === "video") {
      await this.setPreferredLayers(consumer.id, this.opts.preferredSpatialLayer).catch(() => undefined);
    }
  }

  private dropConsumer(producerId: string): void {
    const consumer = this.consumers.get(producerId);
    if (!consumer) return;
    this.consumers.delete(producerId);
    consumer.close();
    const remote = this.tracks.get(consumer.id);
    if (remote) {
      this.tracks.delete(consumer.id);
      this.emit("trackEnded", remote);
    }
  }

  // ------------------------------------------------------------------------------------------ transports

  private resetRecvReady(): void {
    this.recvReady = new Promise((resolve) => (this.markRecvReady = resolve));
  }

  /**
   * A media setup from the server (join, reset): its transports, then its consumers; when the request could not
   * carry the device's capabilities (no device yet), the consumers are asked for now (media:ready).
   */
  private async applySetup(setup: MediaSetup, generation: number): Promise<void> {
    if (setup.transports && generation === this.generation) {
      const { recv: recvInfo, send } = setup.transports;
      const recv = this.device!.createRecvTransport({ ...(recvInfo as types.TransportOptions), ...this.ice.transportOptions() });
      this.wire(recv, "recv");
      this.recvTransport = recv;
      this.markRecvReady(recv);
      if (send) this.makeSendTransport(send);
    }
    this.timeline.transportsCreated = performance.now();
    const transport = this.recvTransport;
    if (!transport || generation !== this.generation) return;
    let consumers = setup.consumers;
    if (!consumers.length && setup.producers.length && setup.transports) {
      consumers = await this.client.request<MediaConsumerInfo[]>("media:ready", { transportId: transport.id, rtpCapabilities: receiveCapabilities(this.device!.rtpCapabilities) });
    }
    await this.attachAll(transport, consumers, generation);
    this.timeline.consumersCreated = performance.now();
    // Producers the server made no consumer for (e.g. a resumed join's new ones) are asked for one by one.
    for (const p of setup.producers) void this.consume(p);
  }

  /**
   * The send transport; in the join's setup when the peer may send, or made on the first publish of a peer allowed
   * to send later (a training viewer promoted to speak): thousands of viewers do not hold idle send transports.
   */
  private async createSendTransport(): Promise<void> {
    const generation = this.generation;
    const sendInfo = await this.client.request<MediaTransportInfo>("media:createTransport", { direction: "send" });
    if (generation !== this.generation || this.sendTransport) return;
    this.makeSendTransport(sendInfo);
  }

  private makeSendTransport(sendInfo: MediaTransportInfo): void {
    const send = this.device!.createSendTransport({ ...(sendInfo as types.TransportOptions), ...this.ice.transportOptions() });
    this.wire(send, "send");
    send.on("produce", ({ kind, rtpParameters, appData }, callback, errback) => {
      const a = appData as { source: MediaSource; paused?: boolean };
      this.client
        .request<{ id: string }>("media:produce", { transportId: send.id, kind, source: a.source, rtpParameters, paused: !!a.paused })
        .then(callback, errback);
    });
    this.sendTransport = send;
  }

  /** Send rights changed during the call (training: promoted or demoted); the server still checks each produce. */
  updatePermissions(permissions: MediaPermissions): void {
    this.permissions = permissions;
  }

  private wire(transport: types.Transport, direction: "send" | "recv"): void {
    transport.on("connect", ({ dtlsParameters }, callback) => {
      // Nothing waits for the answer (mediasoup-client would hold back ICE until it came): the server sends the
      // first DTLS flight of a send transport itself, and the browser retransmits a receive transport's early one.
      this.client
        .request("media:connectTransport", { transportId: transport.id, dtlsParameters })
        .catch((e) => !this.closed && this.emit("error", e as Error));
      callback();
    });
    transport.on("connectionstatechange", (state) => {
      // A path change (Wi-Fi to wired, VPN reconnect): new ICE credentials rather than a new call. A transport
      // that never connected, or failed, is the ICE watcher's (below): relay-only first when that is untried.
      if ((state === "disconnected" || (state === "failed" && !this.ice.canFallBack())) && this.client.socket.connected && !this.closed) {
        void this.restartIce(transport);
      }
    });
    this.ice.watch(transport, direction, (f) => void this.onIceFailure(transport, f));
  }

  private async onIceFailure(transport: types.Transport, f: IceFailure): Promise<void> {
    if (this.closed || !this.client.socket.connected) return;
    if (this.ice.canFallBack()) await this.fallBackToRelay(f);
    else if (f.reason === "timeout") await this.restartIce(transport);
  }

  /**
   * The direct path did not work (UDP blocked and the media port closed, or a firewall that passes ICE checks but
   * not media): the server drops this peer's transports and the room builds new ones that only use TURN relays.
   */
  private async fallBackToRelay(f: IceFailure): Promise<void> {
    if (this.fallingBack) return;
    this.fallingBack = true;
    try {
      this.ice.policy = "relay";
      this.emit("relayFallback", f);
      await this.rebuild();
    } catch (e) {
      if (!this.closed) this.emit("error", e as Error);
    } finally {
      this.fallingBack = false;
    }
  }

  private async restartIce(transport: types.Transport): Promise<void> {
    if (transport.closed) return;
    try {
      const res = await this.client.request<MediaRestartIceResult>("media:restartIce", { transportId: transport.id });
      // Fresh TURN credentials for the new gathering: those of the join may have expired in a long call.
      this.ice.update(res);
      if (!transport.closed && this.ice.iceServers.length) await transport.updateIceServers({ iceServers: this.ice.iceServers });
      if (!transport.closed) await transport.restartIce({ iceParameters: res.iceParameters as types.IceParameters });
    } catch (e) {
      if (!this.closed) this.emit("error", e as Error);
    }
  }

  /** New transports and consumers in one request (media:resetTransports), publications produced again. */
  private async rebuild(): Promise<void> {
    const generation = this.dropMedia();
    const res = await this.client.request<MediaResetTransportsResult>("media:resetTransports", { rtpCapabilities: receiveCapabilities(this.device?.rtpCapabilities) });
    this.ice.update(res);
    await this.rebuildFrom(res, generation);
  }

  /** Forgets the transports and what ran over them; returns the new generation. */
  private dropMedia(): number {
    this.generation++;
    for (const producerId of [...this.consumers.keys()]) this.dropConsumer(producerId);
    this.consuming.clear();
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = this.recvTransport = undefined;
    this.resetRecvReady();
    return this.generation;
  }

  private async rebuildFrom(setup: MediaSetup, generation: number): Promise<void> {
    if (generation !== this.generation) return;
    await Promise.all([
      this.applySetup(setup, generation),
      ...[...this.local.values()].map((pub) => {
        pub.producer = undefined;
        return this.produce(pub).catch((e) => this.emit("error", e as Error));
      }),
    ]);
  }

  // ------------------------------------------------------------------------------------------ signalling

  private applyJoin(res: MediaJoinResult): void {
    this.peerId = res.peerId;
    this.resumeKey = res.resumeKey;
    this.role = res.role;
    this.permissions = res.permissions;
    const seen = new Set(res.peers.map((p) => p.peerId));
    for (const [id, peer] of [...this.peers]) {
      if (!seen.has(id)) {
        this.peers.delete(id);
        this.emit("peerLeft", peer);
      }
    }
    for (const p of res.peers) {
      if (!this.peers.has(p.peerId)) {
        this.peers.set(p.peerId, p);
        this.emit("peerJoined", p);
      }
    }
  }

  private listen(): void {
    const s = this.client.socket;
    const on = <E extends Parameters<typeof s.on>[0]>(event: E, fn: Parameters<typeof s.on<E>>[1]) => {
      // Listeners are removed on teardown so a closed room never reacts to the shared socket again.
      const untyped = s as unknown as { on(e: string, f: unknown): void; off(e: string, f: unknown): void };
      untyped.on(event, fn);
      this.offs.push(() => untyped.off(event, fn));
    };
    on("media:peerJoined", (p) => {
      this.peers.set(p.peerId, p);
      this.emit("peerJoined", p);
    });
    on("media:peerLeft", ({ peerId }) => {
      const peer = this.peers.get(peerId);
      for (const t of [...this.tracks.values()]) if (t.peerId === peerId) this.dropConsumer(t.producerId);
      if (peer) {
        this.peers.delete(peerId);
        this.emit("peerLeft", peer);
      }
    });
    on("media:newProducer", (p) => void this.consume(p));
    on("media:producerClosed", ({ producerId }) => this.dropConsumer(producerId));
    const onPause = (muted: boolean) => (e: { producerId: string; peerId: string; source: MediaSource }) => {
      const c = this.consumers.get(e.producerId);
      const t = c && this.tracks.get(c.id);
      if (t) t.muted = muted;
      this.emit("mute", { peerId: e.peerId, source: e.source, producerId: e.producerId, muted });
    };
    on("media:producerPaused", onPause(true));
    on("media:producerResumed", onPause(false));
    on("media:consumerLayers", ({ consumerId, spatialLayer, temporalLayer }) => {
      const t = this.tracks.get(consumerId);
      if (!t) return;
      t.spatialLayer = spatialLayer;
      this.emit("layers", { consumerId, peerId: t.peerId, spatialLayer, temporalLayer });
    });
    on("media:activeSpeaker", (e) => this.emit("activeSpeaker", e));
    on("media:audioLevels", (e) => this.emit("audioLevels", e.levels));
    on("media:chat", (m) => this.emit("chat", m));
    on("media:restart", () => {
      // The room moved to a new mediasoup worker or media node: the peer is kept, its transports are gone; the
      // publications are produced again, and the others' come back in the reset's answer or as media:newProducer.
      void this.rebuild().catch((e) => this.emit("error", e as Error));
    });
    on("media:roomClosed", ({ reason, message }) => this.teardown(reason, message));
    on("disconnect", () => {
      if (this.closed) return;
      this.disconnected = true;
      this.emit("reconnecting");
    });
    on("connect", () => {
      if (this.closed || !this.disconnected) return;
      this.disconnected = false;
      void this.rejoin();
    });
  }

  private async rejoin(): Promise<void> {
    try {
      const started = performance.now();
      this.timeline = { started, socketReady: started };
      const res = await this.client.request<MediaJoinResult>("media:join", {
        kind: this.kind,
        roomId: this.roomId,
        resumeKey: this.resumeKey,
        rtpCapabilities: receiveCapabilities(this.device?.rtpCapabilities),
      });
      this.timeline.joinAnswered = performance.now();
      this.ice.update(res);
      this.applyJoin(res);
      if (res.resumed) {
        // Same peer, same transports: refresh ICE in case the path broke, then catch up on missed producers.
        await Promise.all([this.sendTransport, this.recvTransport].filter((t): t is types.Transport => !!t).map((t) => this.restartIce(t)));
        const live = new Set(res.producers.map((p) => p.producerId));
        for (const producerId of [...this.consumers.keys()]) if (!live.has(producerId)) this.dropConsumer(producerId);
        for (const p of res.producers) void this.consume(p);
      } else {
        // A new peer (or one whose media was reset): new transports and consumers came with the answer.
        await this.rebuildFrom(res, this.dropMedia());
      }
      this.emit("reconnected", { resumed: res.resumed });
    } catch (e) {
      this.emit("error", e as Error);
      if ((e as YilianError).code === "NOT_FOUND" || (e as YilianError).code === "INVALID_STATE") this.teardown("refused");
    }
  }

  // ------------------------------------------------------------------------------------------ chat, leave

  async sendChat(text: string): Promise<MediaChatMessage> {
    return this.client.request<MediaChatMessage>("media:chat:send", { text });
  }

  async chatHistory(): Promise<MediaChatMessage[]> {
    return this.client.request<MediaChatMessage[]>("media:chat:history");
  }

  async leave(): Promise<void> {
    if (this.closed) return;
    await this.client.request("media:leave").catch(() => undefined);
    this.teardown("left");
  }

  private teardown(reason: string, message?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.quality.stop();
    for (const off of this.offs.splice(0)) off();
    for (const producerId of [...this.consumers.keys()]) this.dropConsumer(producerId);
    this.sendTransport?.close();
    this.recvTransport?.close();
    for (const pub of this.local.values()) pub.track.stop();
    this.local.clear();
    this.emit("closed", message ? { reason, message } : { reason });
  }
}
