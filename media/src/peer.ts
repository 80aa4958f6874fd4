// A peer: one user's presence in a room, holding its transports, producers and consumers. Closing a transport
// closes what runs over it; the listeners below keep the maps in step, so nothing dangles.
import type { types } from "mediasoup";
import { AppError, ErrorCode, type MediaPeerInfo, type MediaSource } from "@yilian/contract";

export type ProducerData = {
  peerId: string;
  source: MediaSource;
};
export type ConsumerData = {
  peerId: string;
  producerPeerId: string;
  source: MediaSource;
  /** The receive transport it runs on. */
  transportId: string;
  /** Layers the viewer asked for; applied after the first key frame (see Room.consume). */
  desired?: types.ConsumerLayers;
  started?: boolean;
};

export class Peer {
  readonly transports = new Map<string, types.Transport>();
  readonly producers = new Map<string, types.Producer<ProducerData>>();
  readonly consumers = new Map<string, types.Consumer<ConsumerData>>();
  closed = false;

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly displayName: string,
    readonly role: string,
  ) {}

  info(): MediaPeerInfo {
    return { peerId: this.id, userId: this.userId, displayName: this.displayName, role: this.role };
  }

  addTransport(t: types.Transport): void {
    this.transports.set(t.id, t);
    t.observer.once("close", () => this.transports.delete(t.id));
  }

  addProducer(p: types.Producer<ProducerData>): void {
    this.producers.set(p.id, p);
    p.observer.once("close", () => this.producers.delete(p.id));
  }

  addConsumer(c: types.Consumer<ConsumerData>): void {
    this.consumers.set(c.id, c);
    c.observer.once("close", () => this.consumers.delete(c.id));
  }

  transport(id: string): types.Transport {
    const t = this.transports.get(id);
    if (!t) throw new AppError(ErrorCode.NOT_FOUND, "传输通道不存在", { details: { transportId: id } });
    return t;
  }

  producer(id: string): types.Producer<ProducerData> {
    const p = this.producers.get(id);
    if (!p) throw new AppError(ErrorCode.NOT_FOUND, "媒体流不存在", { details: { producerId: id } });
    return p;
  }

  consumer(id: string): types.Consumer<ConsumerData> {
    const c = this.consumers.get(id);
    if (!c) throw new AppError(ErrorCode.NOT_FOUND, "媒体流不存在", { details: { consumerId: id } });
    return c;
  }

  /** Drops all media objects (transports cascade to producers and consumers) but keeps the peer. */
  resetMedia(): void {
    for (const t of [...this.transports.values()]) t.close();
    // After a worker death the objects are already closed in mediasoup; clear what is left.
    this.transports.clear();
    this.producers.clear();
    this.consumers.clear();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.resetMedia();
  }
}
