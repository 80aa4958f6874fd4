// What a room receives: one consumer per remote producer, created paused on the server and resumed once the
// track exists here, and the remote tracks the application shows.
import type { types } from "mediasoup-client";
import type { MediaConsumerInfo, MediaProducerInfo } from "@yilian/contract";
import { receiveCapabilities } from "./capabilities";
import type { RoomTransports } from "./room-transports";
import type { RemoteTrack, RoomConnection } from "./room-types";

/** What the consumers need of their room. */
export interface ConsumersHost {
  readonly closed: boolean;
  readonly generation: number;
  error(e: Error): void;
  track(t: RemoteTrack): void;
  trackEnded(t: RemoteTrack): void;
  /** Spatial layer to receive remote cameras in, asked for as each one arrives. */
  readonly preferredSpatialLayer?: number;
  setPreferredLayers(consumerId: string, spatialLayer: number): Promise<void>;
}

export class RoomConsumers {
  /** Remote tracks by consumer id. */
  readonly tracks = new Map<string, RemoteTrack>();
  private readonly byProducer = new Map<string, types.Consumer>();
  private readonly consuming = new Set<string>();

  constructor(
    private readonly client: RoomConnection,
    private readonly transports: RoomTransports,
    private readonly host: ConsumersHost,
  ) {}

  /** The remote track of a producer, if it is received here. */
  trackOf(producerId: string): RemoteTrack | undefined {
    const c = this.byProducer.get(producerId);
    return c && this.tracks.get(c.id);
  }

  producerIds(): string[] {
    return [...this.byProducer.keys()];
  }

  /** The RTP receivers of the open consumers (weak-link detection reads their statistics). */
  receivers(): RTCRtpReceiver[] {
    return [...this.byProducer.values()]
      .filter((c) => !c.closed)
      .map((c) => c.rtpReceiver)
      .filter((r) => r !== undefined);
  }

  /** A producer heard of later (media:newProducer, a resumed join): its consumer is asked for. */
  async consume(p: MediaProducerInfo): Promise<void> {
    if (this.host.closed || this.byProducer.has(p.producerId) || this.consuming.has(p.producerId)) return;
    this.consuming.add(p.producerId);
    const generation = this.host.generation;
    try {
      const transport = await this.transports.recvReady;
      if (generation !== this.host.generation || this.host.closed) return;
      const info = await this.client.request<MediaConsumerInfo>("media:consume", {
        transportId: transport.id,
        producerId: p.producerId,
        rtpCapabilities: receiveCapabilities(this.transports.device!.rtpCapabilities),
      });
      await this.attach(transport, info, generation);
    } catch (e) {
      if (!this.host.closed && generation === this.host.generation) this.host.error(e as Error);
    } finally {
      this.consuming.delete(p.producerId);
    }
  }

  /** Consumers the server made (a join's or a reset's): set up together, so the browser negotiates them at once. */
  async attachAll(transport: types.Transport, infos: MediaConsumerInfo[], generation: number): Promise<void> {
    const fresh = infos.filter((i) => !this.byProducer.has(i.producerId) && !this.consuming.has(i.producerId));
    for (const i of fresh) this.consuming.add(i.producerId);
    await Promise.all(
      fresh.map((info) =>
        this.attach(transport, info, generation)
          .catch((e) => !this.host.closed && generation === this.host.generation && this.host.error(e as Error))
          .finally(() => this.consuming.delete(info.producerId)),
      ),
    );
  }

  drop(producerId: string): void {
    const consumer = this.byProducer.get(producerId);
    if (!consumer) return;
    this.byProducer.delete(producerId);
    consumer.close();
    const remote = this.tracks.get(consumer.id);
    if (remote) {
      this.tracks.delete(consumer.id);
      this.host.trackEnded(remote);
    }
  }

  /** Drops every consumer (their transport is going away). */
  dropAll(): void {
    for (const producerId of this.producerIds()) this.drop(producerId);
    this.consuming.clear();
  }

  /** The client side of a (paused) server consumer: the track, then resumed so media flows. */
  private async attach(transport: types.Transport, info: MediaConsumerInfo, generation: number): Promise<void> {
    if (generation !== this.host.generation || this.host.closed) return;
    const consumer = await transport.consume({
      id: info.id,
      producerId: info.producerId,
      kind: info.kind,
      rtpParameters: info.rtpParameters as types.RtpParameters,
    });
    if (generation !== this.host.generation || this.host.closed) {
      consumer.close();
      return;
    }
    this.byProducer.set(info.producerId, consumer);
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
    this.host.track(remote);
    // The server created it paused; now that the track exists here, let the media flow.
    await this.client.request("media:resumeConsumer", { consumerId: consumer.id });
    if (this.host.preferredSpatialLayer !== undefined && info.kind === "video") {
      await this.host.setPreferredLayers(consumer.id, this.host.preferredSpatialLayer).catch(() => undefined);
    }
  }
}
