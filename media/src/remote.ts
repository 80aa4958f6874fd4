// Media nodes: separate processes (media/src/main.ts) that each run a MediaService and register in Redis with
// their load. The signalling server talks to them through the same MediaApi, carried over Redis pub/sub:
// requests on the node's channel, replies on the caller's channel, room events on the node's event channel.
// Each room is placed once on the least loaded live node and pinned there (key media:room:<roomKey>); a training
// session larger than one node spans several (span.ts).
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { AppError, ErrorCode, type ErrorCode as Code } from "@yilian/contract";
import type { MediaApi, MediaEvent, MediaLoad, RoomSnapshot } from "./api";
import { SessionSpans, spansNodes } from "./span";

const keys = (prefix: string) => ({
  nodes: `${prefix}:media:nodes`,
  node: (id: string) => `${prefix}:media:node:${id}`,
  room: (roomKey: string) => `${prefix}:media:room:${roomKey}`,
  rpc: (id: string) => `${prefix}:media:rpc:${id}`,
  reply: (id: string) => `${prefix}:media:reply:${id}`,
  events: (id: string) => `${prefix}:media:events:${id}`,
  eventsPattern: `${prefix}:media:events:*`,
});

interface RpcRequest {
  id: string;
  replyTo: string;
  method: keyof MediaApi;
  args: unknown[];
}
type RpcReply = { id: string; ok: true; data: unknown } | { id: string; ok: false; error: { code: Code; message: string; details?: Record<string, unknown> } };

/** Deletes the room's pin only if it still points at this node. */
const UNPIN = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;
/** Pins the room to ARGV[2] if it is unpinned or still pinned to the dead node ARGV[1]; returns the pin. */
const REPIN = `local cur = redis.call("GET", KEYS[1]) if not cur or cur == ARGV[1] then redis.call("SET", KEYS[1], ARGV[2]) return ARGV[2] end return cur`;
/** Shown when a spanning training session lost its origin node. */
const SESSION_NODE_LOST = "承载本场直播的音视频节点出现故障，直播已中断，请稍后重新进入。";

const REMOTE_METHODS = [
  "openRoom", "closeRoom", "hasRoom", "joinPeer", "leavePeer", "resetPeerMedia", "snapshot", "getRouterRtpCapabilities",
  "createTransport", "createPlainTransport", "connectTransport", "produce", "consume", "consumeAll", "resumeConsumer", "setPreferredLayers", "pauseProducer",
  "resumeProducer", "closeProducer", "closeProducersBySource", "restartIce", "load",
  "setAudioOnly", "pipeListen", "pipeOffer", "pipeConnect", "pipeProducers", "pipeAdopt",
] as const satisfies readonly (keyof MediaApi)[];

export interface NodeRecord extends MediaLoad {
  /** Epoch ms of the last heartbeat. */
  at: number;
}

/** Runs on a media node: serves its MediaApi over Redis and keeps its load record fresh. */
export async function serveMediaNode(redis: Redis, prefix: string, api: MediaApi, opts: { heartbeatMs: number }): Promise<{ stop(): Promise<void> }> {
  const k = keys(prefix);
  const { nodeId } = await api.load();
  const sub = redis.duplicate();
  const offEvents = api.onEvent((e) => {
    void redis.publish(k.events(nodeId), JSON.stringify({ ...e, nodeId }));
    // A closed room is no longer pinned here: it is placed afresh when it opens again.
    if (e.name === "media:roomClosed") void redis.eval(UNPIN, 1, k.room(e.roomKey), nodeId);
  });
  await sub.subscribe(k.rpc(nodeId));
  sub.on("message", async (_channel, raw) => {
    let req: RpcRequest;
    try {
      req = JSON.parse(raw) as RpcRequest;
    } catch {
      return;
    }
    let reply: RpcReply;
    try {
      if (!(REMOTE_METHODS as readonly string[]).includes(req.method)) throw new AppError(ErrorCode.VALIDATION_FAILED, "unknown media method");
      const fn = api[req.method] as (...a: unknown[]) => Promise<unknown>;
      reply = { id: req.id, ok: true, data: (await fn.apply(api, req.args)) ?? null };
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError(ErrorCode.INTERNAL);
      reply = { id: req.id, ok: false, error: err.toPayload() };
    }
    await redis.publish(req.replyTo, JSON.stringify(reply));
  });

  let stopped = false;
  const beat = async () => {
    if (stopped) return;
    const record: NodeRecord = { ...(await api.load()), at: Date.now() };
    await redis.multi().set(k.node(nodeId), JSON.stringify(record), "PX", opts.heartbeatMs * 3).sadd(k.nodes, nodeId).exec();
  };
  await beat();
  const timer = setInterval(() => void beat().catch(() => undefined), opts.heartbeatMs);
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      offEvents();
      await redis.multi().del(k.node(nodeId)).srem(k.nodes, nodeId).exec();
      await sub.quit().catch(() => sub.disconnect());
    },
  };
}

/** The live media nodes and their load, least loaded first. */
export async function listMediaNodes(redis: Redis, prefix: string): Promise<NodeRecord[]> {
  const k = keys(prefix);
  const ids = await redis.smembers(k.nodes);
  if (!ids.length) return [];
  const raws = await redis.mget(ids.map(k.node));
  const live: NodeRecord[] = [];
  for (const [i, raw] of raws.entries()) {
    if (raw) live.push(JSON.parse(raw) as NodeRecord);
    else await redis.srem(k.nodes, ids[i]!); // expired: the node stopped heart-beating
  }
  return live.sort((a, b) => a.peers + a.rooms - (b.peers + b.rooms));
}

/**
 * Runs in the signalling server: a MediaApi whose rooms live on media nodes. A watchdog checks, every node
 * heartbeat, that the nodes holding this server's rooms still beat; for a room on a node that vanished it emits
 * `media:restart` with reason `node-lost` and that node's id (the hub re-opens the room elsewhere and re-joins its
 * peers), or `media:roomClosed` (`node-lost`) when a spanning session lost its origin.
 */
export async function connectRemoteMedia(
  redis: Redis,
  prefix: string,
  opts: { timeoutMs?: number; spanAfterPeers?: number; heartbeatMs?: number } = {},
): Promise<MediaApi> {
  const k = keys(prefix);
  const clientId = randomUUID();
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const sub = redis.duplicate();
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }>();
  const events = new EventEmitter<{ event: [MediaEvent] }>();
  const roomNode = new Map<string, string>();
  /** Every node each of this server's rooms lives on (a spanning session's origin and edges): what the watchdog checks. */
  const roomNodes = new Map<string, Set<string>>();
  const track = (roomKey: string, nodeId: string) => {
    const set = roomNodes.get(roomKey) ?? new Set<string>();
    roomNodes.set(roomKey, set.add(nodeId));
  };
  const untrack = (roomKey: string, nodeId: string): boolean => {
    const set = roomNodes.get(roomKey);
    if (!set?.delete(nodeId)) return false;
    if (!set.size) roomNodes.delete(roomKey);
    return true;
  };

  await sub.subscribe(k.reply(clientId));
  await sub.psubscribe(k.eventsPattern);
  sub.on("message", (_channel, raw) => {
    const reply = JSON.parse(raw) as RpcReply;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.data);
    else p.reject(new AppError(reply.error.code, reply.error.message, { details: reply.error.details }));
  });
  sub.on("pmessage", (_pattern, _channel, raw) => {
    const e = JSON.parse(raw) as MediaEvent;
    if (e.name === "media:roomClosed" && e.nodeId) {
      untrack(e.roomKey, e.nodeId);
      if (roomNode.get(e.roomKey) === e.nodeId) roomNode.delete(e.roomKey); // the origin: placed afresh on reopening
    }
    events.emit("event", e);
    void spans.onNodeEvent(e).catch(() => undefined);
  });

  const call = (nodeId: string, method: keyof MediaApi, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new AppError(ErrorCode.UNAVAILABLE, "音视频节点无响应"));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      const req: RpcRequest = { id, replyTo: k.reply(clientId), method, args };
      void redis.publish(k.rpc(nodeId), JSON.stringify(req)).then((receivers) => {
        if (receivers === 0) {
          pending.delete(id);
          clearTimeout(timer);
          reject(new AppError(ErrorCode.UNAVAILABLE, "音视频节点不可用"));
        }
      });
    });

  const nodeOf = async (roomKey: string): Promise<string> => {
    const known = roomNode.get(roomKey) ?? (await redis.get(k.room(roomKey)));
    if (known) {
      roomNode.set(roomKey, known);
      return known;
    }
    throw new AppError(ErrorCode.INVALID_STATE, "房间未开启或已关闭");
  };
  const spans = new SessionSpans({
    redis,
    prefix,
    call,
    originOf: nodeOf,
    liveNodes: () => listMediaNodes(redis, prefix),
    spanAfterPeers: opts.spanAfterPeers ?? 600,
  });
  /** The node serving a peer's media: its home in a spanning session, else the room's node. */
  const peerNode = (roomKey: string, peerId: string) => (spansNodes(roomKey) ? spans.homeOf(roomKey, peerId) : nodeOf(roomKey));

  /** A node of the room stopped heart-beating: reported once per room and node. */
  const nodeLost = async (roomKey: string, nodeId: string) => {
    if (!untrack(roomKey, nodeId)) return;
    const origin = roomNode.get(roomKey) ?? (await redis.get(k.room(roomKey)));
    if (spansNodes(roomKey) && (await spans.links(roomKey)).size) {
      if (origin === nodeId) {
        // The origin carried the lecture into every edge: the session cannot go on without it.
        roomNode.delete(roomKey);
        roomNodes.delete(roomKey);
        events.emit("event", { roomKey, name: "media:roomClosed", payload: { reason: "node-lost", message: SESSION_NODE_LOST } });
        await spans.closeAll(roomKey, "error");
        return;
      }
      // An edge: its peers are placed again (origin or another edge) when the hub re-joins them.
      await spans.edgeLost(roomKey, nodeId);
    } else if (origin === nodeId) {
      roomNode.delete(roomKey); // openRoom places it afresh
    }
    events.emit("event", { roomKey, name: "media:restart", payload: { reason: "node-lost" }, nodeId });
  };
  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  let watching = false;
  const watchdog = setInterval(() => {
    if (watching || !roomNodes.size) return;
    watching = true;
    void (async () => {
      const live = new Set((await listMediaNodes(redis, prefix)).map((n) => n.nodeId));
      for (const [roomKey, nodes] of [...roomNodes]) for (const nodeId of [...nodes]) if (!live.has(nodeId)) await nodeLost(roomKey, nodeId);
    })()
      .catch(() => undefined)
      .finally(() => (watching = false));
  }, heartbeatMs);
  watchdog.unref();

  const api: Partial<MediaApi> = {
    async openRoom(kind, roomId) {
      const roomKey = `${kind}:${roomId}`;
      const live = await listMediaNodes(redis, prefix);
      let nodeId = (await redis.get(k.room(roomKey))) ?? undefined;
      if (!nodeId || !live.some((n) => n.nodeId === nodeId)) {
        const dead = nodeId;
        const best = live[0];
        if (!best) throw new AppError(ErrorCode.UNAVAILABLE, "没有可用的音视频节点");
        // First server to place the room (or re-place it off its dead node) wins; the others use its choice.
        nodeId = (await redis.eval(REPIN, 1, k.room(roomKey), dead ?? "", best.nodeId)) as string;
        // Someone joins before the watchdog noticed: this server's peers on the dead node move now.
        if (dead && roomNodes.get(roomKey)?.has(dead)) await nodeLost(roomKey, dead);
      }
      roomNode.set(roomKey, nodeId);
      track(roomKey, nodeId);
      return (await call(nodeId, "openRoom", [kind, roomId])) as { roomKey: string };
    },
    async closeRoom(roomKey, reason) {
      if (spansNodes(roomKey)) await spans.closeAll(roomKey, reason);
      else await call(await nodeOf(roomKey), "closeRoom", [roomKey, reason]);
    },
    async joinPeer(roomKey, peer) {
      const nodeId = spansNodes(roomKey) ? await spans.place(roomKey, peer) : await nodeOf(roomKey);
      const snapshot = (await call(nodeId, "joinPeer", [roomKey, peer])) as RoomSnapshot;
      track(roomKey, nodeId);
      return { ...snapshot, nodeId };
    },
    async leavePeer(roomKey, peerId) {
      const nodeId = await peerNode(roomKey, peerId);
      await call(nodeId, "leavePeer", [roomKey, peerId]);
      if (spansNodes(roomKey)) await spans.left(roomKey, peerId, nodeId);
    },
    async produce(roomKey, peerId, req) {
      const nodeId = await peerNode(roomKey, peerId);
      const produced = (await call(nodeId, "produce", [roomKey, peerId, req])) as { id: string };
      if (spansNodes(roomKey)) await spans.fanOut(roomKey, nodeId, [produced.id]);
      return produced;
    },
    async hasRoom(roomKey) {
      const nodeId = roomNode.get(roomKey) ?? (await redis.get(k.room(roomKey)));
      return nodeId ? ((await call(nodeId, "hasRoom", [roomKey]).catch(() => false)) as boolean) : false;
    },
    async load() {
      const nodes = await listMediaNodes(redis, prefix);
      return nodes.reduce<MediaLoad>(
        (sum, n) => ({ ...sum, workers: sum.workers + n.workers, rooms: sum.rooms + n.rooms, peers: sum.peers + n.peers, consumers: sum.consumers + n.consumers }),
        { nodeId: nodes.map((n) => n.nodeId).join(",") || "none", workers: 0, rooms: 0, peers: 0, consumers: 0 },
      );
    },
    onEvent(listener) {
      events.on("event", listener);
      return () => events.off("event", listener);
    },
    async close() {
      clearInterval(watchdog);
      for (const p of pending.values()) clearTimeout(p.timer);
      pending.clear();
      events.removeAllListeners();
      await sub.quit().catch(() => sub.disconnect());
    },
  };
  // Everything else is addressed to the node of the peer (second argument) or of the room (first argument).
  const perPeer = new Set<keyof MediaApi>([
    "resetPeerMedia", "createTransport", "createPlainTransport", "connectTransport", "consume", "consumeAll", "resumeConsumer", "setPreferredLayers",
    "pauseProducer", "resumeProducer", "closeProducer", "closeProducersBySource", "restartIce", "setAudioOnly",
  ]);
  for (const method of REMOTE_METHODS) {
    if (api[method]) continue;
    (api as Record<string, unknown>)[method] = perPeer.has(method)
      ? async (roomKey: string, peerId: string, ...rest: unknown[]) => call(await peerNode(roomKey, peerId), method, [roomKey, peerId, ...rest])
      : async (roomKey: string, ...rest: unknown[]) => call(await nodeOf(roomKey), method, [roomKey, ...rest]);
  }
  return api as MediaApi;
}
