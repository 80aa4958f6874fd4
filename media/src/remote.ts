// Media nodes: separate processes (media/src/main.ts) that each run a MediaService and register in Redis with
// their load. The signalling server talks to them through the same MediaApi, carried over Redis pub/sub:
// requests on the node's channel, replies on the caller's channel, room events on the node's event channel.
// Each room is placed once on the least loaded live node and pinned there (key media:room:<roomKey>); a training
// session larger than one node spans several (span.ts). A lost node's rooms are moved once, cluster-wide, by
// whichever signalling server notices first (see moveLostNode); the others follow from its events.
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { AppError, ErrorCode, type ErrorCode as Code } from "@yilian/contract";
import { parseRoomKey, type JoinPeer, type MediaApi, type MediaEvent, type MediaLoad, type RoomSnapshot } from "./api";
import { listMediaNodes, mediaKeys as keys, nodeConnectionName, subscriberNames, type NodeRecord } from "./registry";
import { SessionSpans, spansNodes } from "./span";

export { listMediaNodes, type NodeRecord };

interface RpcRequest {
  id: string;
  replyTo: string;
  method: keyof MediaApi;
  args: unknown[];
}
type RpcReply =
  | { id: string; ok: true; data: unknown }
  | { id: string; ok: false; error: { code: Code; message: string; details?: Record<string, unknown> } };

/** Deletes the room's pin and its member list only if the room is still pinned to this node. */
const UNPIN = `if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[2]) return redis.call("DEL", KEYS[1]) end return 0`;
/**
 * Pins the room to ARGV[2] if it is unpinned or still pinned to the dead node ARGV[1] (and lists it among that
 * node's rooms); returns the pin.
 */
const REPIN = `local cur = redis.call("GET", KEYS[1])
if not cur or cur == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[2]) redis.call("SADD", KEYS[2], ARGV[3]) redis.call("SADD", KEYS[3], ARGV[2])
  return ARGV[2]
end
return cur`;
/** Shown when a room's node was lost and no other node is live. */
const NO_NODE_LEFT = "音视频节点出现故障，暂无可用节点，视频已中断，请稍后重新进入。";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A node's connection found missing is looked for again after this long (a reconnect takes ~50 ms). */
const CONNECTION_RECHECK_MS = 250;
/**
 * How often a server looks for lost nodes (at most; a longer heartbeat checks as often as it beats). A killed node's
 * Redis connection is gone at once, so this bounds how long its calls stay frozen before they move (with the
 * default 5 s heartbeat as the period, detection alone could take 5.5 s; bench faults at load 15 with 1 s and a
 * 500 ms recheck: ~2.1 s). Three small Redis reads per check, the connection list only while rooms are open.
 */
const LOSS_CHECK_MS = 500;
/** Shown when a spanning training session lost its origin node. */
const SESSION_NODE_LOST = "承载本场直播的音视频节点出现故障，直播已中断，请稍后重新进入。";

const REMOTE_METHODS = [
  "openRoom",
  "closeRoom",
  "hasRoom",
  "joinPeer",
  "leavePeer",
  "resetPeerMedia",
  "snapshot",
  "getRouterRtpCapabilities",
  "createTransport",
  "createPlainTransport",
  "connectTransport",
  "produce",
  "consume",
  "consumeAll",
  "resumeConsumer",
  "requestKeyFrame",
  "setPreferredLayers",
  "pauseProducer",
  "resumeProducer",
  "closeProducer",
  "closeProducersBySource",
  "restartIce",
  "load",
  "setAudioOnly",
  "pipeListen",
  "pipeOffer",
  "pipeConnect",
  "pipeProducers",
  "pipeAdopt",
  "pipeClose",
] as const satisfies readonly (keyof MediaApi)[];

/** Runs on a media node: serves its MediaApi over Redis and keeps its load record fresh. */
export async function serveMediaNode(
  redis: Redis,
  prefix: string,
  api: MediaApi,
  opts: { heartbeatMs: number },
): Promise<{ stop(): Promise<void> }> {
  const k = keys(prefix);
  const { nodeId } = await api.load();
  const since = Date.now();
  const connection = nodeConnectionName(prefix, nodeId);
  const sub = redis.duplicate({ connectionName: connection });
  sub.on("error", () => undefined); // reconnects by itself; the main connection's owner logs Redis errors
  // Nothing here may throw out of a Redis outage: a node that crashed with Redis would take its calls along.
  const ignore = () => undefined;
  const offEvents = api.onEvent((e) => {
    redis.publish(k.events(nodeId), JSON.stringify({ ...e, nodeId })).catch(ignore);
    // A closed room is no longer pinned here: it is placed afresh when it opens again.
    if (e.name === "media:roomClosed")
      redis.eval(UNPIN, 2, k.room(e.roomKey), k.members(e.roomKey), nodeId).catch(ignore);
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
      if (!(REMOTE_METHODS as readonly string[]).includes(req.method))
        throw new AppError(ErrorCode.VALIDATION_FAILED, "unknown media method");
      const fn = api[req.method] as (...a: unknown[]) => Promise<unknown>;
      reply = { id: req.id, ok: true, data: (await fn.apply(api, req.args)) ?? null };
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError(ErrorCode.INTERNAL);
      reply = { id: req.id, ok: false, error: err.toPayload() };
    }
    await redis.publish(req.replyTo, JSON.stringify(reply)).catch(ignore);
  });

  let stopped = false;
  const beat = async () => {
    if (stopped) return;
    const record: NodeRecord = { ...(await api.load()), at: Date.now(), since, connection };
    await redis
      .multi()
      .set(k.node(nodeId), JSON.stringify(record), "PX", opts.heartbeatMs * 3)
      .sadd(k.nodes, nodeId)
      .exec();
  };
  await beat();
  const timer = setInterval(() => void beat().catch(() => undefined), opts.heartbeatMs);
  // Redis came back (restarted, failed over): beat at once, so the watchdogs do not take a gap for a lost node.
  const beatOnReady = () => void beat().catch(() => undefined);
  redis.on("ready", beatOnReady);
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      redis.off("ready", beatOnReady);
      offEvents();
      await redis.multi().del(k.node(nodeId)).srem(k.nodes, nodeId).exec();
      await sub.quit().catch(() => sub.disconnect());
    },
  };
}

/**
 * Runs in the signalling server: a MediaApi whose rooms live on media nodes. A watchdog checks, every node
 * heartbeat, that the nodes holding rooms still beat (and were not restarted). The first server to notice a lost
 * node takes a Redis lock and moves every room of that node — whichever server its peers came through: it
 * re-opens the room on a live node, joins the room's members there, and publishes `media:restart` (`node-lost`,
 * with `moved`: peer → new node) on the lost node's event channel; every server tells its own peers, whose
 * clients rebuild. A spanning session that lost its origin, or a room with no live node left, ends with
 * `media:roomClosed` (`node-lost`) and a message for the user.
 */
export async function connectRemoteMedia(
  redis: Redis,
  prefix: string,
  opts: {
    timeoutMs?: number;
    spanAfterPeers?: number;
    heartbeatMs?: number;
    /** Where node losses are told (operators want to know why a call was rebuilt). */
    warn?: (msg: string, data: Record<string, unknown>) => void;
  } = {},
): Promise<MediaApi> {
  const k = keys(prefix);
  const clientId = randomUUID();
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const sub = redis.duplicate();
  sub.on("error", () => undefined); // reconnects and resubscribes by itself; the main connection's owner logs
  const pending = new Map<
    string,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }
  >();
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
    } else if (e.name === "media:roomClosed" && e.payload.reason === "node-lost") {
      roomNode.delete(e.roomKey);
      roomNodes.delete(e.roomKey);
    } else if (e.name === "media:restart" && e.moved && e.nodeId) {
      // Some server moved a lost node's room: where its peers live now.
      const tracked = roomNodes.has(e.roomKey);
      untrack(e.roomKey, e.nodeId);
      for (const node of new Set(Object.values(e.moved))) {
        if (tracked) track(e.roomKey, node);
        if (!spansNodes(e.roomKey)) roomNode.set(e.roomKey, node);
      }
      if (roomNode.get(e.roomKey) === e.nodeId) roomNode.delete(e.roomKey);
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
  /**
   * Nodes this server found lost, with the process start time they had: their records may outlive them by up
   * to three heartbeats, and nothing may be placed there meanwhile. The same node id back as a new process is live.
   */
  const lost = new Map<string, number | undefined>();
  const liveNodes = async () =>
    (await listMediaNodes(redis, prefix)).filter((n) => !lost.has(n.nodeId) || lost.get(n.nodeId) !== n.since);
  const spans = new SessionSpans({
    redis,
    prefix,
    call,
    originOf: nodeOf,
    liveNodes,
    spanAfterPeers: opts.spanAfterPeers ?? 600,
  });
  /** The node serving a peer's media: its home in a spanning session, else the room's node. */
  const peerNode = (roomKey: string, peerId: string) =>
    spansNodes(roomKey) ? spans.homeOf(roomKey, peerId) : nodeOf(roomKey);

  /** Told to every server (this one too) through the lost node's event channel. */
  const publishEvent = (nodeId: string, e: MediaEvent) => redis.publish(k.events(nodeId), JSON.stringify(e));

  /** Joins the lost node's peers again (on `node`, or placed afresh in a spanning session) and tells everyone. */
  const rejoin = async (roomKey: string, peers: JoinPeer[], dead: string, node?: string) => {
    const moved: Record<string, string> = {};
    const producers = new Map<string, RoomSnapshot["producers"][number]>();
    const join = async (peer: JoinPeer) => {
      try {
        const home = node ?? (await spans.place(roomKey, peer));
        const snap = (await call(home, "joinPeer", [roomKey, peer])) as RoomSnapshot;
        moved[peer.peerId] = home;
        for (const p of snap.producers) producers.set(p.producerId, p);
        await redis.multi().sadd(k.nodeRooms(home), roomKey).sadd(k.placed, home).exec();
      } catch {
        await redis.hdel(k.members(roomKey), peer.peerId); // its server ends it (not in `moved`)
      }
    };
    // Into one room on one node, all at once: the call is frozen until the last of them is back (bench faults at
    // load 15: the restart reached a call 2.4–2.8 s after its node was found lost with the members joined one after
    // another, 1.1–1.3 s with them together). Placement in a spanning session counts the peers already placed, so
    // those go one by one.
    if (node) await Promise.all(peers.map(join));
    else for (const peer of peers) await join(peer);
    await publishEvent(dead, {
      roomKey,
      name: "media:restart",
      payload: { reason: "node-lost", producers: [...producers.values()] },
      nodeId: dead,
      moved,
    });
  };

  /** Moves one room off the lost node `dead` (does nothing if it is no longer there). */
  const moveRoom = async (roomKey: string, dead: string) => {
    const peers = Object.values(await redis.hgetall(k.members(roomKey))).map((v) => JSON.parse(v) as JoinPeer);
    // Told before the other nodes' rooms close: the peers hear why, not the closing's own "error".
    const end = async (message: string) => {
      await publishEvent(dead, { roomKey, name: "media:roomClosed", payload: { reason: "node-lost", message } });
      if (spansNodes(roomKey)) await spans.closeAll(roomKey, "error");
      await redis.del(k.room(roomKey), k.members(roomKey));
    };
    const pin = await redis.get(k.room(roomKey));
    if (spansNodes(roomKey) && (await spans.links(roomKey)).size) {
      if (pin === dead || !pin) {
        // The origin carried the lecture into every edge: the session cannot go on without it.
        return end(SESSION_NODE_LOST);
      }
      // An edge: its peers are placed again (origin or another edge); the origin's pipe towards it is closed.
      const gone = new Set(await spans.edgeLost(roomKey, dead));
      if (gone.size)
        await rejoin(
          roomKey,
          peers.filter((p) => gone.has(p.peerId)),
          dead,
        );
      return;
    }
    if (pin !== dead) return; // moved already, or closed
    const best = (await liveNodes())[0];
    if (!best) return end(NO_NODE_LEFT);
    const placed = await redis.eval(
      REPIN,
      3,
      k.room(roomKey),
      k.nodeRooms(best.nodeId),
      k.placed,
      dead,
      best.nodeId,
      roomKey,
    );
    if (placed !== best.nodeId) return;
    await call(best.nodeId, "openRoom", parseRoomKey(roomKey));
    await rejoin(roomKey, peers, dead, best.nodeId);
  };

  /**
   * A node stopped heart-beating (or came back as a new process, without its rooms): whoever takes the lock
   * first moves every room of it; the others only forget it here and follow the mover's events.
   */
  const moveLostNode = async (dead: string, why: "absent" | "disconnected" | "restarted") => {
    if (why === "disconnected") lost.set(dead, since.get(dead));
    const local = [...roomNodes].filter(([, nodes]) => nodes.has(dead)).map(([roomKey]) => roomKey);
    for (const roomKey of local) untrack(roomKey, dead);
    for (const [roomKey, node] of [...roomNode]) if (node === dead) roomNode.delete(roomKey);
    // Not released: it expires, so a slow server does not move the same rooms a second time.
    if (!(await redis.set(k.lost(dead), clientId, "PX", 30_000, "NX"))) return;
    const rooms = new Set([...(await redis.smembers(k.nodeRooms(dead))), ...local]);
    opts.warn?.("media node lost: moving its rooms", { nodeId: dead, why, rooms: rooms.size });
    // Off the lists first: a node that restarted under the same id may get some of the rooms back.
    await redis
      .multi()
      .srem(k.nodeRooms(dead), ...rooms, "")
      .srem(k.placed, dead)
      .exec();
    for (const roomKey of rooms) await moveRoom(roomKey, dead).catch(() => undefined);
  };

  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  /**
   * When this server's Redis connection last became ready. A node's record lives three heartbeats; after Redis
   * was down or restarted (its records lost or expired meanwhile), absent records prove nothing until every live
   * node has had that long to beat again — otherwise a Redis restart would move every room of the cluster.
   */
  let readyAt = redis.status === "ready" ? 0 : Date.now();
  redis.on("ready", () => (readyAt = Date.now()));
  const trustAbsence = () => Date.now() - readyAt >= heartbeatMs * 3;
  /** The start time of each node as last seen: a node that restarted lost its rooms like one that died. */
  const since = new Map<string, number>();
  let watching = false;
  const watch = async () => {
    const live = await listMediaNodes(redis, prefix);
    const restarted = new Set<string>();
    for (const n of live) {
      const before = since.get(n.nodeId);
      if (before !== undefined && n.since !== undefined && before !== n.since) restarted.add(n.nodeId);
      if (n.since !== undefined) since.set(n.nodeId, n.since);
    }
    const holding = new Set([
      ...(await redis.smembers(k.placed)),
      ...[...roomNodes.values()].flatMap((nodes) => [...nodes]),
    ]);
    if (!holding.size) return; // no rooms anywhere: nothing to move, no need to ask Redis about connections
    // A node whose process died has lost its Redis connection at once; asked twice, a moment apart, so a node
    // that is only reconnecting is not taken for lost.
    const unconnected = async () => {
      const names = await subscriberNames(redis);
      return new Set(live.filter((n) => names && n.connection && !names.has(n.connection)).map((n) => n.nodeId));
    };
    let gone = await unconnected();
    if (gone.size) {
      await sleep(CONNECTION_RECHECK_MS);
      const again = await unconnected();
      gone = new Set([...gone].filter((id) => again.has(id)));
    }
    const liveIds = new Set(live.map((n) => n.nodeId).filter((id) => !restarted.has(id) && !gone.has(id)));
    for (const nodeId of holding)
      if (restarted.has(nodeId)) await moveLostNode(nodeId, "restarted");
      else if (!liveIds.has(nodeId) && trustAbsence())
        await moveLostNode(nodeId, gone.has(nodeId) ? "disconnected" : "absent");
  };
  const watchdog = setInterval(
    () => {
      if (watching) return;
      watching = true;
      void watch()
        .catch(() => undefined)
        .finally(() => (watching = false));
    },
    Math.min(heartbeatMs, LOSS_CHECK_MS),
  );
  watchdog.unref();

  const api: Partial<MediaApi> = {
    async openRoom(kind, roomId) {
      const roomKey = `${kind}:${roomId}`;
      const live = await liveNodes();
      let nodeId = (await redis.get(k.room(roomKey))) ?? undefined;
      if (nodeId && !live.some((n) => n.nodeId === nodeId) && trustAbsence()) {
        // Someone joins before the watchdogs noticed the node is gone: its room (and peers) move first.
        const dead = nodeId;
        await moveLostNode(dead, "absent");
        for (
          let waited = 0;
          (nodeId = (await redis.get(k.room(roomKey))) ?? undefined) === dead && waited < 10_000;
          waited += 100
        )
          await sleep(100);
        if (nodeId === dead) throw new AppError(ErrorCode.UNAVAILABLE, "音视频节点正在切换，请稍后再试");
      }
      if (!nodeId) {
        const best = live[0];
        if (!best) throw new AppError(ErrorCode.UNAVAILABLE, "没有可用的音视频节点");
        // First server to place the room wins; the others use its choice.
        nodeId = (await redis.eval(
          REPIN,
          3,
          k.room(roomKey),
          k.nodeRooms(best.nodeId),
          k.placed,
          "",
          best.nodeId,
          roomKey,
        )) as string;
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
      // Members are what a lost node's mover joins again elsewhere; an edge's rooms move with it too.
      await redis
        .multi()
        .hset(k.members(roomKey), peer.peerId, JSON.stringify(peer))
        .sadd(k.nodeRooms(nodeId), roomKey)
        .sadd(k.placed, nodeId)
        .exec();
      return { ...snapshot, nodeId };
    },
    async leavePeer(roomKey, peerId) {
      const nodeId = await peerNode(roomKey, peerId);
      await redis.hdel(k.members(roomKey), peerId);
      await call(nodeId, "leavePeer", [roomKey, peerId]);
      if (spansNodes(roomKey)) await spans.left(roomKey, peerId, nodeId);
    },
    async produce(roomKey, peerId, req) {
      const nodeId = await peerNode(roomKey, peerId);
      const produced = (await call(nodeId, "produce", [roomKey, peerId, req])) as { id: string };
      if (spansNodes(roomKey)) await spans.fanOut(roomKey, nodeId, [produced.id]);
      return produced;
    },
    async nodeOfPeer(roomKey, peerId) {
      if (!(await redis.hexists(k.members(roomKey), peerId))) return undefined;
      return peerNode(roomKey, peerId).catch(() => undefined);
    },
    async hasRoom(roomKey) {
      const nodeId = roomNode.get(roomKey) ?? (await redis.get(k.room(roomKey)));
      return nodeId ? ((await call(nodeId, "hasRoom", [roomKey]).catch(() => false)) as boolean) : false;
    },
    async load() {
      // The nodes rooms may be placed on: a node found lost is not counted while its record outlives it.
      const nodes = await liveNodes();
      return nodes.reduce<MediaLoad>(
        (sum, n) => ({
          ...sum,
          workers: sum.workers + n.workers,
          rooms: sum.rooms + n.rooms,
          peers: sum.peers + n.peers,
          consumers: sum.consumers + n.consumers,
        }),
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
    "resetPeerMedia",
    "createTransport",
    "createPlainTransport",
    "connectTransport",
    "consume",
    "consumeAll",
    "resumeConsumer",
    "requestKeyFrame",
    "setPreferredLayers",
    "pauseProducer",
    "resumeProducer",
    "closeProducer",
    "closeProducersBySource",
    "restartIce",
    "setAudioOnly",
  ]);
  for (const method of REMOTE_METHODS) {
    if (api[method]) continue;
    (api as Record<string, unknown>)[method] = perPeer.has(method)
      ? async (roomKey: string, peerId: string, ...rest: unknown[]) =>
          call(await peerNode(roomKey, peerId), method, [roomKey, peerId, ...rest])
      : async (roomKey: string, ...rest: unknown[]) => call(await nodeOf(roomKey), method, [roomKey, ...rest]);
  }
  return api as MediaApi;
}
