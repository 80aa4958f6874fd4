// Media nodes over real Redis: registration with load, least-loaded placement, requests and room events
// carried over pub/sub, typed errors across the wire.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { AppError } from "@yilian/contract";
import type { MediaApi, MediaEvent } from "./api";
import { MediaService } from "./service";
import { connectRemoteMedia, listMediaNodes, serveMediaNode } from "./remote";

describe("media nodes through Redis", () => {
  const prefix = `${process.env.REDIS_PREFIX}-nodes-${process.pid}`;
  let redis: Redis;
  let nodes: MediaService[];
  let served: { stop(): Promise<void> }[];
  let api: MediaApi;

  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL!);
    nodes = await Promise.all([
      MediaService.start({ numWorkers: 1, nodeId: "node-a" }),
      MediaService.start({ numWorkers: 1, nodeId: "node-b" }),
    ]);
    served = await Promise.all(nodes.map((n) => serveMediaNode(redis, prefix, n, { heartbeatMs: 500 })));
    api = await connectRemoteMedia(redis, prefix, { timeoutMs: 3000 });
  });
  afterAll(async () => {
    await api.close();
    for (const s of served) await s.stop().catch(() => undefined);
    for (const n of nodes) await n.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it("registers each node with its load and places rooms on the least loaded one", async () => {
    expect((await listMediaNodes(redis, prefix)).map((n) => n.nodeId).sort()).toEqual(["node-a", "node-b"]);
    const first = await api.openRoom("consultation", randomUUID());
    await api.joinPeer(first.roomKey, { peerId: "p1", userId: "u1", displayName: "甲", role: "REQUESTER" });
    await Promise.all(served.map(() => new Promise((r) => setTimeout(r, 600)))); // a heartbeat with the new load
    const second = await api.openRoom("consultation", randomUUID());
    const hostOf = (roomKey: string) => nodes.find((n) => n.workerOf(roomKey))?.nodeId;
    expect(hostOf(first.roomKey)).toBeDefined();
    expect(hostOf(second.roomKey)).toBeDefined();
    expect(hostOf(second.roomKey)).not.toBe(hostOf(first.roomKey));
    await new Promise((r) => setTimeout(r, 600)); // load() reads the nodes' heartbeat records
    expect((await api.load()).rooms).toBe(2);
    await api.closeRoom(first.roomKey, "ended");
    await api.closeRoom(second.roomKey, "ended");
  });

  it("carries requests, room events and typed errors", async () => {
    const events: MediaEvent[] = [];
    const off = api.onEvent((e) => events.push(e));
    const { roomKey } = await api.openRoom("consultation", randomUUID());
    await api.joinPeer(roomKey, { peerId: "a", userId: "ua", displayName: "甲", role: "REQUESTER" });
    await api.joinPeer(roomKey, { peerId: "b", userId: "ub", displayName: "乙", role: "SPECIALIST" });
    const t = await api.createTransport(roomKey, "a", "send");
    expect(t.iceCandidates.length).toBeGreaterThan(0);
    const caps = (await api.getRouterRtpCapabilities(roomKey)) as { codecs: unknown[] };
    expect(caps.codecs.length).toBeGreaterThan(0);
    await expect(api.resumeConsumer(roomKey, "a", "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(api.resumeConsumer(roomKey, "a", "nope")).rejects.toBeInstanceOf(AppError);
    await new Promise((r) => setTimeout(r, 200));
    expect(events.filter((e) => e.roomKey === roomKey && e.name === "media:peerJoined")).toHaveLength(2);
    await api.leavePeer(roomKey, "a");
    await api.leavePeer(roomKey, "b");
    await new Promise((r) => setTimeout(r, 200));
    expect(events.some((e) => e.roomKey === roomKey && e.name === "media:roomClosed")).toBe(true);
    expect(await api.hasRoom(roomKey)).toBe(false);
    off();
  });

  it("drops a node that stops from the registry", async () => {
    await served[1]!.stop();
    expect((await listMediaNodes(redis, prefix)).map((n) => n.nodeId)).toEqual(["node-a"]);
    const { roomKey } = await api.openRoom("consultation", randomUUID());
    expect(nodes[0]!.workerOf(roomKey)).toBeDefined();
    await api.closeRoom(roomKey, "ended");
  });
});
