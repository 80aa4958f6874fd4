// The in-process media service: a worker pool and the rooms on it. Implements MediaApi, the boundary the
// signalling server talks to (a remote media node serves the same interface).
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { AppError, ErrorCode, type MediaSource, type RoomKind, type TransportDirection } from "@yilian/contract";
import {
  roomKeyOf,
  type JoinPeer,
  type MediaApi,
  type MediaEvent,
  type MediaLoad,
  type PipedProducer,
  type RoomSnapshot,
} from "./api";
import { Room } from "./room";
import { BroadcastRoom } from "./broadcast-room";
import { defaultMediaSettings, type MediaSettings } from "./settings";
import { WorkerPool, type PoolWorker } from "./worker-pool";

export interface MediaServiceOptions extends Partial<MediaSettings> {
  nodeId?: string;
  log?: (level: "info" | "warn" | "error", msg: string, data?: Record<string, unknown>) => void;
}

export class MediaService implements MediaApi {
  readonly nodeId: string;
  private readonly rooms = new Map<string, Room>();
  private readonly opening = new Map<string, Promise<Room>>();
  private readonly events = new EventEmitter<{ event: [MediaEvent] }>();
  private readonly log: NonNullable<MediaServiceOptions["log"]>;

  private constructor(
    readonly pool: WorkerPool,
    readonly settings: MediaSettings,
    opts: MediaServiceOptions,
  ) {
    this.nodeId = opts.nodeId ?? randomUUID();
    this.log = opts.log ?? (() => undefined);
    this.events.setMaxListeners(0);
    pool.on("died", (dead) => void this.onWorkerDied(dead));
    pool.on("replaced", (entry, died) => void this.onWorkerReplaced(entry, died));
    pool.on("replaceFailed", (index, error) => void this.onWorkerLost(index, error));
  }

  static async start(opts: MediaServiceOptions = {}): Promise<MediaService> {
    const { nodeId: _n, log: _l, ...rest } = opts;
    const settings = defaultMediaSettings(rest);
    if (settings.listenIp === "0.0.0.0" && !settings.announcedIp) {
      throw new Error("media: listening on 0.0.0.0 needs an announced IP (MEDIA_ANNOUNCED_IP) that browsers can reach");
    }
    const pool = await WorkerPool.create(settings);
    return new MediaService(pool, settings, opts);
  }

  private emit = (e: MediaEvent): void => {
    if (e.name === "media:roomClosed") this.rooms.delete(e.roomKey);
    this.events.emit("event", e);
  };

  onEvent(listener: (e: MediaEvent) => void): () => void {
    this.events.on("event", listener);
    return () => this.events.off("event", listener);
  }

  private room(roomKey: string): Room {
    const room = this.rooms.get(roomKey);
    if (!room || room.closed) throw new AppError(ErrorCode.INVALID_STATE, "房间未开启或已关闭");
    return room;
  }

  /** Peers + rooms on a worker: new rooms go where the fewest people are. */
  private workerLoad = (w: PoolWorker): number => {
    let load = 0;
    for (const r of this.rooms.values()) if (r.worker.index === w.index) load += 1 + r.peers.size;
    return load;
  };

  async openRoom(kind: RoomKind, roomId: string): Promise<{ roomKey: string }> {
    const roomKey = roomKeyOf(kind, roomId);
    if (this.rooms.get(roomKey)?.closed === false) return { roomKey };
    // Concurrent joins of a new room create one router, not two.
    let pending = this.opening.get(roomKey);
    if (!pending) {
      // Training rooms broadcast: producers piped to a router on every worker, viewers spread over them.
      const origin = this.pool.pick(this.workerLoad);
      const created: Promise<Room> =
        kind === "training"
          ? BroadcastRoom.open(roomKey, origin, this.pool, this.settings, this.emit)
          : Room.create(roomKey, origin, this.settings, this.emit);
      pending = created.then((room) => {
        this.rooms.set(roomKey, room);
        return room;
      });
      this.opening.set(roomKey, pending);
      pending.finally(() => this.opening.delete(roomKey)).catch(() => undefined);
    }
    await pending;
    return { roomKey };
  }

  async closeRoom(roomKey: string, reason: "ended" | "empty" | "replaced" | "error"): Promise<void> {
    this.rooms.get(roomKey)?.close(reason);
  }

  async hasRoom(roomKey: string): Promise<boolean> {
    return this.rooms.get(roomKey)?.closed === false;
  }

  async joinPeer(roomKey: string, peer: JoinPeer): Promise<RoomSnapshot> {
    return this.room(roomKey).join(peer);
  }

  async leavePeer(roomKey: string, peerId: string): Promise<void> {
    const room = this.rooms.get(roomKey);
    if (!room) return;
    room.leave(peerId);
    // A session spanning media nodes is emptied by its orchestrator (remote.ts), which sees every node's peers.
    if (room.peers.size === 0 && !(room instanceof BroadcastRoom && room.spansNodes)) room.close("empty");
  }

  async resetPeerMedia(roomKey: string, peerId: string): Promise<void> {
    this.room(roomKey).resetPeerMedia(peerId);
  }

  async snapshot(roomKey: string): Promise<RoomSnapshot> {
    return this.room(roomKey).snapshot();
  }

  async getRouterRtpCapabilities(roomKey: string): Promise<unknown> {
    return this.room(roomKey).router.rtpCapabilities;
  }

  createTransport(roomKey: string, peerId: string, direction: TransportDirection) {
    return this.room(roomKey).createTransport(peerId, direction);
  }

  createPlainTransport(roomKey: string, peerId: string, opts: Parameters<MediaApi["createPlainTransport"]>[2]) {
    return this.room(roomKey).createPlainTransport(peerId, opts);
  }

  connectTransport(roomKey: string, peerId: string, transportId: string, dtlsParameters: unknown) {
    return this.room(roomKey).connectTransport(peerId, transportId, dtlsParameters);
  }

  produce(roomKey: string, peerId: string, req: Parameters<MediaApi["produce"]>[2]) {
    return this.room(roomKey).produce(peerId, req);
  }

  consume(roomKey: string, peerId: string, req: Parameters<MediaApi["consume"]>[2]) {
    return this.room(roomKey).consume(peerId, req);
  }

  consumeAll(roomKey: string, peerId: string, req: Parameters<MediaApi["consumeAll"]>[2]) {
    return this.room(roomKey).consumeAll(peerId, req);
  }

  resumeConsumer(roomKey: string, peerId: string, consumerId: string) {
    return this.room(roomKey).resumeConsumer(peerId, consumerId);
  }

  requestKeyFrame(roomKey: string, peerId: string, consumerId: string) {
    return this.room(roomKey).requestKeyFrame(peerId, consumerId);
  }

  setPreferredLayers(
    roomKey: string,
    peerId: string,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number; urgent?: boolean },
  ) {
    return this.room(roomKey).setPreferredLayers(peerId, consumerId, layers);
  }

  pauseProducer(roomKey: string, peerId: string, producerId: string) {
    return this.room(roomKey).pauseProducer(peerId, producerId);
  }

  resumeProducer(roomKey: string, peerId: string, producerId: string) {
    return this.room(roomKey).resumeProducer(peerId, producerId);
  }

  async closeProducer(roomKey: string, peerId: string, producerId: string): Promise<void> {
    this.room(roomKey).closeProducer(peerId, producerId);
  }

  async closeProducersBySource(roomKey: string, peerId: string, source: MediaSource): Promise<void> {
    this.room(roomKey).closeProducersBySource(peerId, source);
  }

  restartIce(roomKey: string, peerId: string, transportId: string) {
    return this.room(roomKey).restartIce(peerId, transportId);
  }

  private broadcast(roomKey: string): BroadcastRoom {
    const room = this.room(roomKey);
    if (!(room instanceof BroadcastRoom)) throw new AppError(ErrorCode.INVALID_STATE, "只有培训直播间可以跨节点");
    return room;
  }

  async setAudioOnly(roomKey: string, peerId: string, on: boolean): Promise<void> {
    const room = this.room(roomKey);
    if (room instanceof BroadcastRoom) await room.setAudioOnly(peerId, on);
  }

  pipeListen(roomKey: string) {
    return this.broadcast(roomKey).pipeListen();
  }

  pipeOffer(roomKey: string, remote: { ip: string; port: number }) {
    return this.broadcast(roomKey).pipeOffer(remote);
  }

  pipeConnect(roomKey: string, transportId: string, remote: { ip: string; port: number }, producers: PipedProducer[]) {
    return this.broadcast(roomKey).pipeConnect(transportId, remote, producers);
  }

  pipeProducers(roomKey: string, transportId: string, producerIds?: string[]) {
    return this.broadcast(roomKey).pipeProducers(transportId, producerIds);
  }

  pipeAdopt(roomKey: string, transportId: string, producers: PipedProducer[]) {
    return this.broadcast(roomKey).pipeAdopt(transportId, producers);
  }

  async pipeClose(roomKey: string, transportId: string): Promise<void> {
    this.broadcast(roomKey).pipeClose(transportId);
  }

  async load(): Promise<MediaLoad> {
    let peers = 0;
    let consumers = 0;
    for (const r of this.rooms.values()) {
      peers += r.peers.size;
      for (const p of r.peers.values()) consumers += p.consumers.size;
    }
    return { nodeId: this.nodeId, workers: this.pool.workers.length, rooms: this.rooms.size, peers, consumers };
  }

  /** The rooms hosted by a worker (tests, diagnostics). */
  roomsOnWorker(index: number): string[] {
    return [...this.rooms.values()].filter((r) => r.worker.index === index).map((r) => r.key);
  }

  /** The room object itself (tests, benchmarks: e.g. a BroadcastRoom's edges). */
  roomObject(roomKey: string): Room | undefined {
    return this.rooms.get(roomKey);
  }

  /** The worker hosting a room (tests, diagnostics). */
  workerOf(roomKey: string): PoolWorker | undefined {
    return this.rooms.get(roomKey)?.worker;
  }

  /**
   * With another live worker the rooms move there at once: a replacement process takes a while to start, and
   * the peers are waiting without media. Alone, the rooms wait for the replacement (onWorkerReplaced).
   */
  private async onWorkerDied(dead: PoolWorker): Promise<void> {
    if (!this.pool.workers.length) return;
    const moving = [...this.rooms.values()].filter((r) => r.worker === dead && !r.closed);
    if (moving.length)
      this.log("warn", "mediasoup worker died; its rooms move to a live worker", {
        pid: dead.worker.pid,
        rooms: moving.length,
      });
    for (const room of moving) {
      try {
        await room.migrate(this.pool.pick(this.workerLoad));
      } catch (e) {
        this.log("error", "room could not move to a live worker", { room: room.key, err: String(e) });
        room.close("error");
      }
    }
  }

  private async onWorkerReplaced(entry: PoolWorker, died: { pid: number; error: Error }): Promise<void> {
    // Rooms still on the dead worker (it was the only one): they move to its replacement.
    const moving = [...this.rooms.values()].filter(
      (r) => r.worker.index === entry.index && r.worker !== entry && r.worker.worker.closed && !r.closed,
    );
    this.log("warn", "mediasoup worker died and was replaced", {
      pid: died.pid,
      newPid: entry.worker.pid,
      rooms: moving.length,
    });
    for (const room of moving) {
      try {
        await room.migrate(entry);
      } catch (e) {
        this.log("error", "room could not move to the replacement worker", { room: room.key, err: String(e) });
        room.close("error");
      }
    }
  }

  private async onWorkerLost(index: number, error: Error): Promise<void> {
    this.log("error", "mediasoup worker died and could not be replaced", { index, err: error.message });
    // Move its rooms to the remaining workers, if any.
    const moving = [...this.rooms.values()].filter((r) => r.worker.index === index && !r.closed);
    for (const room of moving) {
      try {
        await room.migrate(this.pool.pick(this.workerLoad));
      } catch {
        room.close("error");
      }
    }
  }

  async close(): Promise<void> {
    for (const room of [...this.rooms.values()]) room.close("ended");
    this.rooms.clear();
    await this.pool.close();
    this.events.removeAllListeners();
  }
}
