// Media nodes in Redis: the keys every party agrees on (nodes, room pins, RPC and event channels, room members)
// and the list of live nodes. Shared by the node side (remote.ts serveMediaNode), the signalling server's remote
// client (remote.ts) and spanning sessions (span.ts).
import type { Redis } from "ioredis";
import type { MediaLoad } from "./api";

export const mediaKeys = (prefix: string) => ({
  nodes: `${prefix}:media:nodes`,
  node: (id: string) => `${prefix}:media:node:${id}`,
  /** The node a room is pinned to. */
  room: (roomKey: string) => `${prefix}:media:room:${roomKey}`,
  /** Rooms ever pinned to a node (pins are checked again before use): what moves when it is lost. */
  nodeRooms: (id: string) => `${prefix}:media:node-rooms:${id}`,
  /** Nodes that hold (or held) rooms: the watchdog's list. */
  placed: `${prefix}:media:placed`,
  /** The peers of a room (peerId → JoinPeer), whoever's signalling server they came through. */
  members: (roomKey: string) => `${prefix}:media:members:${roomKey}`,
  /** Taken by the server that moves a lost node's rooms (once, cluster-wide). */
  lost: (id: string) => `${prefix}:media:lost:${id}`,
  rpc: (id: string) => `${prefix}:media:rpc:${id}`,
  reply: (id: string) => `${prefix}:media:reply:${id}`,
  events: (id: string) => `${prefix}:media:events:${id}`,
  eventsPattern: `${prefix}:media:events:*`,
});

export interface NodeRecord extends MediaLoad {
  /** Epoch ms of the last heartbeat. */
  at: number;
  /** Epoch ms the node process started serving: a change means it restarted and lost its rooms. */
  since?: number;
  /**
   * The name of the node's Redis connection (its RPC subscription). Redis drops a connection the moment its
   * process dies, so a record whose connection is gone is a lost node without waiting for the record to expire.
   */
  connection?: string;
}

/** The Redis client name a media node's RPC connection carries (no spaces: Redis refuses them in names). */
export const nodeConnectionName = (prefix: string, nodeId: string) =>
  `${prefix}:media-node:${nodeId}`.replace(/\s/g, "_");

/** The names of the open subscriber connections, or null where Redis will not say (ACL, a proxy). */
export async function subscriberNames(redis: Redis): Promise<Set<string> | null> {
  const list = await redis.call("CLIENT", "LIST", "TYPE", "pubsub").catch(() => null);
  if (typeof list !== "string") return null;
  return new Set([...list.matchAll(/ name=(\S+)/g)].map((m) => m[1]!));
}

/** The live media nodes and their load, least loaded first. */
export async function listMediaNodes(redis: Redis, prefix: string): Promise<NodeRecord[]> {
  const k = mediaKeys(prefix);
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

/** Channel on which anyone (e.g. the worker closing a session nobody ended) asks the servers to end a room. */
export const roomCloseChannel = (prefix: string) => `${prefix}:media:close-room`;

export interface RoomCloseRequest {
  roomKey: string;
  reason: "ended" | "error";
}

/** Asks every signalling server to end the room (whichever holds it closes it; the others find nothing). */
export async function requestRoomClose(redis: Redis, prefix: string, req: RoomCloseRequest): Promise<number> {
  return redis.publish(roomCloseChannel(prefix), JSON.stringify(req));
}
