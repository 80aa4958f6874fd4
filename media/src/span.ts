// A training session larger than one media node spans several (run by the signalling server's remote media
// client, remote.ts). The session's room opens on an origin node; the lecturer publishes there. Viewers fill
// the origin up to `spanAfterPeers`, then the next node: it opens the same room and is joined to the origin by
// a PipeTransport pair (BroadcastRoom.pipeListen/pipeOffer/pipeConnect), through which every producer of the
// session crosses once; inside each node the producers are piped on to every worker as usual.
//
// State lives in Redis so every signalling server sees the same session:
//   media:peers:<roomKey>  hash peerId → node the peer's media lives on (its "home")
//   media:span:<roomKey>   hash edge node → { origin, edge } pipe transport ids
// Producers follow the pipes in both directions (a promoted viewer on an edge speaks to everyone); their
// close / pause / resume is relayed from the producer's home node to the others, because a cross-host pipe
// carries RTP only. Relays are idempotent: every signalling server receives every node's events.
import type { Redis } from "ioredis";
import { AppError, ErrorCode } from "@yilian/contract";
import {
  parseRoomKey,
  type JoinPeer,
  type MediaApi,
  type MediaEvent,
  type PipeEndpoint,
  type PipedProducer,
} from "./api";
import type { NodeRecord } from "./registry";

interface SpanLink {
  /** Pipe transport on the origin towards this edge, and the edge's end. */
  origin: string;
  edge: string;
}

type Call = (nodeId: string, method: keyof MediaApi, args: unknown[]) => Promise<unknown>;

export interface SessionSpansDeps {
  redis: Redis;
  prefix: string;
  call: Call;
  originOf(roomKey: string): Promise<string>;
  liveNodes(): Promise<NodeRecord[]>;
  spanAfterPeers: number;
}

/** Rooms that may span nodes: broadcast (training) rooms. */
export const spansNodes = (roomKey: string) => roomKey.startsWith("training:");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SessionSpans {
  constructor(private readonly d: SessionSpansDeps) {}

  private peersKey = (roomKey: string) => `${this.d.prefix}:media:peers:${roomKey}`;
  private spanKey = (roomKey: string) => `${this.d.prefix}:media:span:${roomKey}`;
  private lockKey = (roomKey: string, edge: string) => `${this.d.prefix}:media:spanlock:${roomKey}:${edge}`;

  async links(roomKey: string): Promise<Map<string, SpanLink>> {
    const raw = await this.d.redis.hgetall(this.spanKey(roomKey));
    return new Map(Object.entries(raw).map(([node, v]) => [node, JSON.parse(v) as SpanLink]));
  }

  /** Every node of the session (origin first, then its edges), but `except`. */
  private async nodesOf(roomKey: string, except?: string): Promise<string[]> {
    const [origin, links] = await Promise.all([this.d.originOf(roomKey).catch(() => undefined), this.links(roomKey)]);
    return [origin, ...links.keys()].filter((n): n is string => !!n && n !== except);
  }

  /** Takes an edge out of the session: its link and its peers' placements; returns those peers. */
  private async dropEdge(roomKey: string, edge: string): Promise<string[]> {
    await this.d.redis.hdel(this.spanKey(roomKey), edge);
    const homes = await this.d.redis.hgetall(this.peersKey(roomKey));
    const gone = Object.entries(homes)
      .filter(([, n]) => n === edge)
      .map(([p]) => p);
    if (gone.length) await this.d.redis.hdel(this.peersKey(roomKey), ...gone);
    return gone;
  }

  /** The node a peer's media lives on (the origin for peers placed before spanning, and for other rooms). */
  async homeOf(roomKey: string, peerId: string): Promise<string> {
    return (await this.d.redis.hget(this.peersKey(roomKey), peerId)) ?? this.d.originOf(roomKey);
  }

  /** Places a joining peer: senders on the origin; viewers fill the origin, then the session's edges, then a new edge. */
  async place(roomKey: string, peer: JoinPeer): Promise<string> {
    const origin = await this.d.originOf(roomKey);
    let home = origin;
    if (peer.role !== "LECTURER") {
      const [homes, links, live] = await Promise.all([
        this.d.redis.hvals(this.peersKey(roomKey)),
        this.links(roomKey),
        this.d.liveNodes(),
      ]);
      const alive = new Set(live.map((n) => n.nodeId));
      const count = (node: string) => homes.filter((h) => h === node).length;
      const members = [origin, ...[...links.keys()].filter((n) => alive.has(n))];
      const open = members.find((n) => count(n) < this.d.spanAfterPeers);
      const next = live.find((n) => !members.includes(n.nodeId));
      if (open) home = open;
      else if (next) home = await this.addEdge(roomKey, origin, next.nodeId);
      else home = members.reduce((best, n) => (count(n) < count(best) ? n : best)); // every node full: least full
    }
    await this.d.redis.hset(this.peersKey(roomKey), peer.peerId, home);
    return home;
  }

  /** Joins `edge` to the session: opens the room there and connects a pipe pair to the origin (once, across servers). */
  private async addEdge(roomKey: string, origin: string, edge: string): Promise<string> {
    const lock = this.lockKey(roomKey, edge);
    for (let waited = 0; ; waited += 100) {
      if (await this.d.redis.hexists(this.spanKey(roomKey), edge)) return edge;
      if (await this.d.redis.set(lock, "1", "PX", 15_000, "NX")) break;
      if (waited > 15_000) throw new AppError(ErrorCode.UNAVAILABLE, "音视频节点扩展超时，请稍后再试");
      await sleep(100); // another server is joining this node to the session
    }
    try {
      if (await this.d.redis.hexists(this.spanKey(roomKey), edge)) return edge;
      await this.d.call(edge, "openRoom", parseRoomKey(roomKey));
      const listen = (await this.d.call(edge, "pipeListen", [roomKey])) as PipeEndpoint;
      const offer = (await this.d.call(origin, "pipeOffer", [
        roomKey,
        { ip: listen.ip, port: listen.port },
      ])) as PipeEndpoint & { producers: PipedProducer[] };
      await this.d.call(edge, "pipeConnect", [
        roomKey,
        listen.transportId,
        { ip: offer.ip, port: offer.port },
        offer.producers,
      ]);
      const link: SpanLink = { origin: offer.transportId, edge: listen.transportId };
      await this.d.redis.hset(this.spanKey(roomKey), edge, JSON.stringify(link));
      return edge;
    } finally {
      await this.d.redis.del(lock);
    }
  }

  /** A new producer on `home` reaches every other node of the session (an edge's goes through the origin). */
  async fanOut(roomKey: string, home: string, producerIds: string[]): Promise<void> {
    const links = await this.links(roomKey);
    if (!links.size) return;
    const origin = await this.d.originOf(roomKey);
    if (home !== origin) {
      const up = links.get(home);
      if (!up) return;
      const producers = await this.d.call(home, "pipeProducers", [roomKey, up.edge, producerIds]);
      await this.d.call(origin, "pipeAdopt", [roomKey, up.origin, producers]);
    }
    await Promise.all(
      [...links]
        .filter(([edge]) => edge !== home)
        .map(async ([edge, link]) => {
          const producers = await this.d.call(origin, "pipeProducers", [roomKey, link.origin, producerIds]);
          await this.d.call(edge, "pipeAdopt", [roomKey, link.edge, producers]);
        }),
    );
  }

  /** The peer left: its sender copies on the other nodes go too; the session's last peer closes every node's room. */
  async left(roomKey: string, peerId: string, home: string): Promise<void> {
    await this.d.redis.hdel(this.peersKey(roomKey), peerId);
    if (!(await this.d.redis.hlen(this.spanKey(roomKey)))) return;
    const others = await this.nodesOf(roomKey, home);
    await Promise.all(others.map((n) => this.d.call(n, "leavePeer", [roomKey, peerId]).catch(() => undefined)));
    if ((await this.d.redis.hlen(this.peersKey(roomKey))) === 0) await this.closeAll(roomKey, "empty");
  }

  /**
   * An edge's node died: it leaves the session, the origin closes its pipe towards it, and its peers' copies on
   * the other nodes go (as if they left); returns those peers, for the caller to join again, placed afresh.
   */
  async edgeLost(roomKey: string, edge: string): Promise<string[]> {
    const link = (await this.links(roomKey)).get(edge);
    const gone = await this.dropEdge(roomKey, edge);
    const origin = await this.d.originOf(roomKey).catch(() => undefined);
    if (link && origin) await this.d.call(origin, "pipeClose", [roomKey, link.origin]).catch(() => undefined);
    if (!gone.length) return [];
    const others = await this.nodesOf(roomKey);
    for (const peerId of gone)
      await Promise.all(others.map((n) => this.d.call(n, "leavePeer", [roomKey, peerId]).catch(() => undefined)));
    return gone;
  }

  /** Closes the session's room on every node it spans. */
  async closeAll(roomKey: string, reason: "ended" | "empty" | "replaced" | "error"): Promise<void> {
    const links = await this.links(roomKey);
    const origin = await this.d.originOf(roomKey).catch(() => undefined);
    await Promise.all(
      [...links.keys()].map((n) => this.d.call(n, "closeRoom", [roomKey, reason]).catch(() => undefined)),
    );
    if (origin) await this.d.call(origin, "closeRoom", [roomKey, reason]).catch(() => undefined);
    await this.d.redis.del(this.spanKey(roomKey), this.peersKey(roomKey));
  }

  /** Keeps the nodes of a spanning session in step: producer lifecycle relays, a node's room closing. */
  async onNodeEvent(e: MediaEvent): Promise<void> {
    if (!e.nodeId || !spansNodes(e.roomKey)) return;
    const relay: Partial<Record<MediaEvent["name"], keyof MediaApi>> = {
      "media:producerClosed": "closeProducer",
      "media:producerPaused": "pauseProducer",
      "media:producerResumed": "resumeProducer",
    };
    if (e.name === "media:roomClosed") {
      const links = await this.links(e.roomKey);
      if (links.has(e.nodeId)) {
        // One edge went away (its node's room closed): its peers are no longer in the session.
        await this.dropEdge(e.roomKey, e.nodeId);
      } else if (links.size) {
        await this.closeAll(e.roomKey, e.payload.reason === "node-lost" ? "error" : e.payload.reason);
      } else {
        await this.d.redis.del(this.peersKey(e.roomKey));
      }
      return;
    }
    const method = relay[e.name];
    if (!method) return;
    const { producerId, peerId } = e.payload as { producerId: string; peerId: string };
    if ((await this.homeOf(e.roomKey, peerId)) !== e.nodeId) return; // a copy reacting to the relay itself
    if (!(await this.d.redis.hlen(this.spanKey(e.roomKey)))) return;
    const others = await this.nodesOf(e.roomKey, e.nodeId);
    await Promise.all(
      others.map((n) => this.d.call(n, method, [e.roomKey, peerId, producerId]).catch(() => undefined)),
    );
  }
}
