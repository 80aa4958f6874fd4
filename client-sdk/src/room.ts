// A live room in the browser: one mediasoup-client Device, a send and a receive transport, local publications
// (camera, microphone, screen) and remote tracks. Reconnects by itself: after a network drop it resumes the same
// peer (restarting ICE) or, when the server let it go, rebuilds transports and publications.
// This file is the room's signalling (join, the server's events, rejoin, leave); the media path, what is sent and
// what is received are room-transports.ts, room-publications.ts and room-consumers.ts.
import type {
  MediaChatMessage,
  MediaConsumerInfo,
  MediaJoinResult,
  MediaPeerInfo,
  MediaPermissions,
  MediaResetTransportsResult,
  MediaSetup,
  MediaSource,
  RoomKind,
} from "@yilian/contract";
import { Emitter } from "./emitter";
import type { YilianError } from "./errors";
import { IceConfig } from "./ice";
import { QualityMonitor, type ConnectionQuality, type LinkStats, type TrackStats } from "./quality";
import { WeakLinkPolicy } from "./weak-link";
import { receiveCapabilities } from "./capabilities";
import { RoomConsumers } from "./room-consumers";
import { RoomPublications } from "./room-publications";
import { loadDevice, RoomTransports } from "./room-transports";
import type { JoinOptions, JoinTimeline, RemoteTrack, RoomConnection, RoomEvents } from "./room-types";

export type { JoinOptions, JoinTimeline, LoadedDevice, RemoteTrack, RoomConnection, RoomEvents } from "./room-types";
export { loadDevice } from "./room-transports";

/** A fresh random UUID (v4) naming a message the caller is about to send; getRandomValues works outside HTTPS too. */
export function newClientRef(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export class Room extends Emitter<RoomEvents> {
  readonly peers = new Map<string, MediaPeerInfo>();
  /** Remote tracks by consumer id. */
  readonly tracks: Map<string, RemoteTrack>;
  peerId = "";
  role = "";
  permissions: MediaPermissions = { camera: false, microphone: false, screen: false, chat: false };
  closed = false;
  /** When each step of the last join finished. */
  timeline: JoinTimeline;

  private generation = 0;
  private resumeKey?: string;
  private readonly offs: (() => void)[] = [];
  private disconnected = false;
  private readonly transports: RoomTransports;
  private readonly publications: RoomPublications;
  private readonly consumers: RoomConsumers;
  private readonly quality: QualityMonitor;
  private readonly weakLink: WeakLinkPolicy;
  /** Tracks made during the join, announced after joinRoom() returned (see join). */
  private joinTracks: RemoteTrack[] | null = [];

  private constructor(
    private readonly client: RoomConnection,
    readonly kind: RoomKind,
    readonly roomId: string,
    opts: JoinOptions,
    timeline: JoinTimeline,
  ) {
    super();
    this.timeline = timeline;
    // The parts see the room's current generation and state through getters, never a stale copy.
    const room = this;
    const error = (e: Error) => this.emit("error", e);
    this.transports = new RoomTransports(client, new IceConfig(opts), {
      get closed() {
        return room.closed;
      },
      get generation() {
        return room.generation;
      },
      error,
      relayFallback: (f) => this.emit("relayFallback", f),
      rebuild: () => this.rebuild(),
    });
    this.publications = new RoomPublications(
      client,
      this.transports,
      () => this.permissions,
      (source) => source === "camera" && void this.weakLink.published(),
    );
    this.consumers = new RoomConsumers(client, this.transports, {
      get closed() {
        return room.closed;
      },
      get generation() {
        return room.generation;
      },
      error,
      track: (t) => {
        if (this.joinTracks) this.joinTracks.push(t);
        else this.emit("track", t);
      },
      trackEnded: (t) => this.emit("trackEnded", t),
      preferredSpatialLayer: opts.preferredSpatialLayer,
      setPreferredLayers: (consumerId, spatialLayer) => this.setPreferredLayers(consumerId, spatialLayer),
    });
    this.tracks = this.consumers.tracks;
    this.weakLink = new WeakLinkPolicy({
      requestLayer: (consumerId, spatialLayer, temporalLayer, urgent) =>
        this.client.request("media:setPreferredLayers", { consumerId, spatialLayer, temporalLayer, urgent }),
      cameraConsumers: () => [...this.tracks.values()].filter((t) => t.source === "camera").map((t) => t.consumerId),
      cameraProducer: () => this.publications.cameraProducer(),
      receivers: () => this.consumers.receivers(),
      rttMs: () => this.quality.link().rttMs,
      defaultLayer: opts.preferredSpatialLayer,
    });
    this.quality = new QualityMonitor(
      {
        localPeerId: () => this.peerId,
        peerIds: () => [...this.peers.keys()],
        transports: () => [this.transports.send, this.transports.recv],
        tracks: () => [...this.tracks.values()],
        online: () => this.client.socket.connected,
      },
      (q) => {
        if (q.local) {
          void this.weakLink.onReceivingQuality(q.receiving ?? q.quality);
          void this.weakLink.onSendingQuality(q.sending ?? q.quality);
        }
        this.emit("connectionQuality", q);
      },
      opts.qualityIntervalMs,
      () => this.weakLink.onSample(),
    );
    this.on("track", (t) => void this.weakLink.added(t.consumerId, t.source === "camera"));
    this.on("trackEnded", (t) => this.weakLink.forget(t.consumerId));
  }

  /**
   * One round trip: the join carries the device's RTP capabilities (loaded while the socket connected) and its
   * answer everything else (transports, paused consumers), so the media path is set up without asking again.
   */
  static async join(
    client: RoomConnection,
    kind: RoomKind,
    roomId: string,
    opts: JoinOptions,
    timeline: JoinTimeline,
  ): Promise<Room> {
    const room = new Room(client, kind, roomId, opts, timeline);
    const preloaded = await client.mediaDevice?.();
    const res = await client.request<MediaJoinResult>("media:join", {
      kind,
      roomId,
      rtpCapabilities: receiveCapabilities(preloaded?.device.rtpCapabilities),
    });
    timeline.joinAnswered = performance.now();
    room.transports.ice.update(res);
    room.applyJoin(res);
    room.listen();
    const fits = preloaded && preloaded.routerRtpCapabilities === JSON.stringify(res.routerRtpCapabilities);
    room.transports.device = fits ? preloaded.device : (await loadDevice(res.routerRtpCapabilities)).device;
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
  publishCamera(opts: { track?: MediaStreamTrack; simulcast?: boolean } = {}): Promise<MediaStreamTrack> {
    return this.publications.publishCamera(opts);
  }

  publishMicrophone(opts: { track?: MediaStreamTrack } = {}): Promise<MediaStreamTrack> {
    return this.publications.publishMicrophone(opts);
  }

  /** Shares the screen (or the given track) as its own publication; ends when the user stops sharing. */
  shareScreen(opts: { track?: MediaStreamTrack } = {}): Promise<MediaStreamTrack> {
    return this.publications.shareScreen(opts);
  }

  /**
   * Sends another track in place of a publication's (device switching): the producer stays, so the others keep
   * their consumer and see no interruption; the old track is stopped. Publishes when nothing is published yet.
   */
  replaceTrack(source: MediaSource, track: MediaStreamTrack): Promise<void> {
    return this.publications.replaceTrack(source, track);
  }

  async stopScreenShare(): Promise<void> {
    await this.publications.unpublish("screen");
  }

  /** Mutes a publication (default: the microphone); the others see it (producer paused). */
  async mute(source: MediaSource = "microphone"): Promise<void> {
    await this.publications.setMuted(source, true);
  }

  async unmute(source: MediaSource = "microphone"): Promise<void> {
    await this.publications.setMuted(source, false);
  }

  isMuted(source: MediaSource = "microphone"): boolean {
    return this.publications.isMuted(source);
  }

  unpublish(source: MediaSource): Promise<void> {
    return this.publications.unpublish(source);
  }

  /** Send rights changed during the call (training: promoted or demoted); the server still checks each produce. */
  updatePermissions(permissions: MediaPermissions): void {
    this.permissions = permissions;
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
    return this.transports.recv?.getStats();
  }

  // ------------------------------------------------------------------------------------------ media setup

  /**
   * A media setup from the server (join, reset): its transports, then its consumers; when the request could not
   * carry the device's capabilities (no device yet), the consumers are asked for now (media:ready).
   */
  private async applySetup(setup: MediaSetup, generation: number): Promise<void> {
    if (setup.transports && generation === this.generation)
      this.transports.create(setup.transports.recv, setup.transports.send);
    this.timeline.transportsCreated = performance.now();
    const transport = this.transports.recv;
    if (!transport || generation !== this.generation) return;
    let consumers = setup.consumers;
    if (!consumers.length && setup.producers.length && setup.transports) {
      consumers = await this.client.request<MediaConsumerInfo[]>("media:ready", {
        transportId: transport.id,
        rtpCapabilities: receiveCapabilities(this.transports.device!.rtpCapabilities),
      });
    }
    await this.consumers.attachAll(transport, consumers, generation);
    this.timeline.consumersCreated = performance.now();
    // Producers the server made no consumer for (e.g. a resumed join's new ones) are asked for one by one.
    for (const p of setup.producers) void this.consumers.consume(p);
  }

  /** New transports and consumers in one request (media:resetTransports), publications produced again. */
  private async rebuild(): Promise<void> {
    const generation = this.dropMedia();
    const res = await this.client.request<MediaResetTransportsResult>("media:resetTransports", {
      rtpCapabilities: receiveCapabilities(this.transports.device?.rtpCapabilities),
    });
    this.transports.ice.update(res);
    await this.rebuildFrom(res, generation);
  }

  /** Forgets the transports and what ran over them; returns the new generation. */
  private dropMedia(): number {
    this.generation++;
    this.consumers.dropAll();
    this.transports.drop();
    return this.generation;
  }

  private async rebuildFrom(setup: MediaSetup, generation: number): Promise<void> {
    if (generation !== this.generation) return;
    await Promise.all([
      this.applySetup(setup, generation),
      ...this.publications.produceAgain((e) => this.emit("error", e)),
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
      for (const t of [...this.tracks.values()]) if (t.peerId === peerId) this.consumers.drop(t.producerId);
      if (peer) {
        this.peers.delete(peerId);
        this.emit("peerLeft", peer);
      }
    });
    on("media:newProducer", (p) => void this.consumers.consume(p));
    on("media:producerClosed", ({ producerId }) => this.consumers.drop(producerId));
    const onPause = (muted: boolean) => (e: { producerId: string; peerId: string; source: MediaSource }) => {
      const t = this.consumers.trackOf(e.producerId);
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
    on("media:chat:withdrawn", (e) => this.emit("chatWithdrawn", e));
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
        rtpCapabilities: receiveCapabilities(this.transports.device?.rtpCapabilities),
      });
      this.timeline.joinAnswered = performance.now();
      this.transports.ice.update(res);
      this.applyJoin(res);
      if (res.resumed) {
        // Same peer, same transports: refresh ICE in case the path broke, then catch up on missed producers.
        await Promise.all(
          [this.transports.send, this.transports.recv]
            .filter((t) => t !== undefined)
            .map((t) => this.transports.restartIce(t)),
        );
        const live = new Set(res.producers.map((p) => p.producerId));
        for (const producerId of this.consumers.producerIds())
          if (!live.has(producerId)) this.consumers.drop(producerId);
        for (const p of res.producers) void this.consumers.consume(p);
      } else {
        // A new peer (or one whose media was reset): new transports and consumers came with the answer.
        await this.rebuildFrom(res, this.dropMedia());
      }
      this.emit("reconnected", { resumed: res.resumed });
    } catch (e) {
      this.emit("error", e as Error);
      if ((e as YilianError).code === "NOT_FOUND" || (e as YilianError).code === "INVALID_STATE")
        this.teardown("refused");
    }
  }

  // ------------------------------------------------------------------------------------------ chat, leave

  /**
   * Sends a chat message. Keep `clientRef` (newClientRef()) with the draft and pass it again when resending after a
   * failure: if the first attempt was stored after all, the room keeps one copy.
   */
  async sendChat(text: string, clientRef: string = newClientRef()): Promise<MediaChatMessage> {
    return this.client.request<MediaChatMessage>("media:chat:send", { text, clientRef });
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
    this.consumers.dropAll();
    this.transports.close();
    this.publications.stopAll();
    this.emit("closed", message ? { reason, message } : { reason });
  }
}
