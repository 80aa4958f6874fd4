// Media nodes dying under a training session that spans them (three node processes, a node takes two peers of
// the session, real Chromium): the lecturer and the first viewer are on the origin, the next two viewers on an
// edge. The edge dies: its viewers are placed again (on the third node, a new edge) and decode the lecture
// again. Then the origin dies: the session cannot go on without it and ends for everyone with a reason.
import { mediaCluster } from "../helpers/media-nodes";
import { flowing, pageEvents, peerIdOf, waitFor, type Participant } from "../browser/helpers";
import { enter, openLecture } from "./live-page";

jest.setTimeout(120_000);

const HEARTBEAT = "500";

describe("media nodes dying under a spanning training session", () => {
  const cluster = mediaCluster("spanloss", ["node-a", "node-b", "node-c"], {
    nodes: { MEDIA_WORKERS: "1", MEDIA_NODE_HEARTBEAT_MS: HEARTBEAT },
    server: { MEDIA_SPAN_AFTER_PEERS: "2", MEDIA_PEER_GRACE_MS: "0", MEDIA_NODE_HEARTBEAT_MS: HEARTBEAT },
  });
  const { prefix: PREFIX, redis } = cluster;
  let lecturer: Participant;
  let viewers: Participant[];
  let sessionId: string;
  let edge: string;
  const homes = async () => redis.hgetall(`${PREFIX}:media:peers:training:${sessionId}`);
  const restarts = async (p: Participant) => (await pageEvents(p)).filter((x) => x.ev === "media:restart");

  beforeAll(async () => {
    ({ sessionId, lecturer, viewers } = await openLecture(cluster.ts, cluster.browser, 8));
  });

  it("an edge dies: its viewers are placed again and decode the lecture again", async () => {
    await redis.set(`${PREFIX}:media:room:training:${sessionId}`, "node-a"); // the origin
    for (const p of [lecturer, ...viewers]) {
      expect(await enter(p, sessionId)).toMatchObject({ ok: true });
      await p.page.evaluate(() => {
        const yl = (window as any).yl;
        yl.client.socket.on("media:restart", (e: unknown) =>
          yl.events.push({ ev: "media:restart", e, at: performance.now() }),
        );
      });
      if (p === lecturer) await p.page.evaluate(async () => (window as any).yl.room.publishCamera());
    }
    const lecturerPeer = await peerIdOf(lecturer);
    const [v0, v1, v2] = await Promise.all(viewers.map(peerIdOf));
    const placed = await homes();
    expect([placed[lecturerPeer], placed[v0!]]).toEqual(["node-a", "node-a"]);
    edge = placed[v1!]!;
    expect(edge).not.toBe("node-a");
    expect(placed[v2!]).toBe(edge);
    await Promise.all(
      viewers.map((v) => flowing(v, (t) => t.peerId === lecturerPeer && t.source === "camera", 30_000)),
    );

    await cluster.nodes.kill(edge, "SIGKILL");
    for (const v of [viewers[1]!, viewers[2]!]) {
      await waitFor(
        "the edge's viewers to be told to rebuild",
        async () => (await restarts(v)).some((x) => x.e.reason === "node-lost"),
        8_000,
      );
    }
    const third = ["node-b", "node-c"].find((n) => n !== edge)!;
    await waitFor("the edge's viewers to be placed on the third node", async () => {
      const now = await homes();
      return now[v1!] === third && now[v2!] === third;
    });
    await Promise.all(
      [viewers[1]!, viewers[2]!].map((v) =>
        flowing(v, (t) => t.peerId === lecturerPeer && t.source === "camera", 30_000),
      ),
    );
    // The origin's peers did not notice.
    for (const p of [lecturer, viewers[0]!]) expect(await restarts(p)).toEqual([]);
    await flowing(viewers[0]!, (t) => t.peerId === lecturerPeer && t.source === "camera");
  });

  it("the origin dies: the session ends for everyone with a reason", async () => {
    await cluster.nodes.kill("node-a", "SIGKILL");
    for (const p of [lecturer, ...viewers]) {
      const closed = await waitFor(
        "the room to close",
        async () => (await pageEvents(p)).find((x) => x.ev === "closed"),
        8_000,
      );
      expect(closed.e).toEqual({ reason: "node-lost", message: expect.stringContaining("音视频节点") });
    }
    await waitFor(
      "the session's placement to be cleared",
      async () => (await redis.exists(`${PREFIX}:media:peers:training:${sessionId}`)) === 0,
    );
  });
});
