// One training session spanning two media node processes, driven by the signalling server (MEDIA_IN_PROCESS=
// false) with real Chromium participants: a node takes two peers of the session, so the lecturer and the first
// viewer land on one node and the next two viewers on the other, joined by a PipeTransport pair. Everyone
// decodes the lecture; a viewer on the second node is promoted and heard on the first; the session's end
// closes the room on both nodes.
import { listMediaNodes } from "@yilian/media/remote";
import { mediaCluster } from "../helpers/media-nodes";
import { flowing, inbound, pageEvents, peerIdOf, waitFor, type Participant } from "../browser/helpers";
import { goLive, openLecture, publishMic, request } from "./live-page";

jest.setTimeout(120_000);

describe("a training session spanning two media nodes", () => {
  const cluster = mediaCluster("span", ["node-a", "node-b"], {
    server: { MEDIA_SPAN_AFTER_PEERS: "2", MEDIA_PEER_GRACE_MS: "0" },
  });
  const { prefix: PREFIX, redis } = cluster;
  let lecturer: Participant;
  let viewers: Participant[];
  let viewerIds: string[];
  let sessionId: string;
  const homes = async () => redis.hgetall(`${PREFIX}:media:peers:training:${sessionId}`);

  beforeAll(async () => {
    ({ sessionId, lecturer, viewers, viewerIds } = await openLecture(cluster.ts, cluster.browser, 6));
  });

  it("the session fills one node, then spans to the other; every viewer decodes the lecture", async () => {
    expect((await listMediaNodes(redis, PREFIX)).map((n) => n.nodeId).sort()).toEqual(["node-a", "node-b"]);
    await goLive({ sessionId, lecturer, viewers });

    const placed = await homes();
    const origin = placed[await peerIdOf(lecturer)]!;
    const [v0, v1, v2] = await Promise.all(viewers.map(peerIdOf));
    expect(placed[v0!]).toBe(origin);
    const edge = placed[v1!]!;
    expect(edge).not.toBe(origin);
    expect(placed[v2!]).toBe(edge);
    expect(Object.keys(await redis.hgetall(`${PREFIX}:media:span:training:${sessionId}`))).toEqual([edge]);

    const lecturerPeer = await peerIdOf(lecturer);
    const videos = await Promise.all(
      viewers.map((v) => flowing(v, (t) => t.peerId === lecturerPeer && t.source === "camera", 45_000)),
    );
    for (const v of videos) expect(v.framesDecoded).toBeGreaterThan(0);
    await Promise.all(
      viewers.map((v) => flowing(v, (t) => t.peerId === lecturerPeer && t.source === "microphone", 30_000)),
    );
    // Viewers are not told about each other, across nodes either.
    for (const v of viewers)
      expect((await pageEvents(v)).filter((x) => x.ev === "peerJoined").map((x) => x.e.peerId)).not.toContain(v0);
  });

  it("a promoted viewer on the second node is heard on the first; the demotion ends it everywhere", async () => {
    const [a, b, c] = viewers as [Participant, Participant, Participant];
    // b lives on the edge node; a (and the lecturer) on the origin.
    expect(await request(b, "training:hand-raise", { sessionId })).toMatchObject({
      ok: true,
      data: { status: "RAISED" },
    });
    expect(await request(lecturer, "training:promote", { sessionId, userId: viewerIds[1] })).toMatchObject({
      ok: true,
    });
    await waitFor("b to learn it may speak", async () =>
      (await pageEvents(b)).some((x) => x.ev === "training:speaker" && x.e.speaking),
    );
    expect(await publishMic(b)).toEqual({ ok: true });
    const bPeer = await peerIdOf(b);
    await Promise.all(
      [a, c, lecturer].map((p) => flowing(p, (t) => t.peerId === bPeer && t.source === "microphone", 30_000)),
    );

    expect(await request(lecturer, "training:demote", { sessionId, userId: viewerIds[1] })).toMatchObject({ ok: true });
    for (const p of [a, c, lecturer])
      await waitFor("b's microphone to end", async () => !(await inbound(p)).some((t) => t.peerId === bPeer), 15_000);
    expect(await publishMic(b, true)).toMatchObject({ ok: false, code: "FORBIDDEN" });
  });

  it("viewers leaving free their node's place; the last peer out closes the room on both nodes", async () => {
    const v2 = await peerIdOf(viewers[2]!);
    await viewers[2]!.page.evaluate(() => (window as any).yl.room.leave());
    await waitFor("c to leave the session's placement", async () => !(v2 in (await homes())));
    for (const p of [viewers[0]!, viewers[1]!, lecturer]) await p.page.evaluate(() => (window as any).yl.room.leave());
    await waitFor(
      "the session to close on every node",
      async () => {
        const [peers, span, rooms] = await Promise.all([
          redis.exists(`${PREFIX}:media:peers:training:${sessionId}`),
          redis.exists(`${PREFIX}:media:span:training:${sessionId}`),
          listMediaNodes(redis, PREFIX),
        ]);
        return peers === 0 && span === 0 && rooms.every((n) => n.rooms === 0);
      },
      20_000,
    );
  });
});
