// A media node process dies under a consultation call (MEDIA_IN_PROCESS=false, two node processes, real
// Chromium peers): the server notices its heartbeat expire, re-opens the room on the other node and re-joins
// both peers, whose SDKs rebuild their transports and produce again — each side decodes the other's video
// again. With no node left, the room ends for them with a reason they can read.
import { testDb } from "../helpers/db";
import { mediaCluster } from "../helpers/media-nodes";
import { createConsultationRoom } from "./fixtures";
import {
  flowing,
  joinInPage,
  openParticipant,
  pageEvents,
  peerIdOf,
  waitFor,
  type Participant,
} from "../browser/helpers";

jest.setTimeout(90_000);

// Nodes beat every 500 ms and expire after 1.5 s; the server checks as often.
const HEARTBEAT = "500";

describe("a media node dies under a consultation call", () => {
  const cluster = mediaCluster("loss", ["node-a", "node-b"], {
    nodes: { MEDIA_NODE_HEARTBEAT_MS: HEARTBEAT },
    server: { MEDIA_NODE_HEARTBEAT_MS: HEARTBEAT, MEDIA_PEER_GRACE_MS: "20000" },
  });
  const { prefix: PREFIX, redis } = cluster;
  let doctor: Participant;
  let specialist: Participant;
  let roomId: string;
  const consumerIds = (p: Participant) => p.page.evaluate(() => [...(window as any).yl.room.tracks.keys()] as string[]);
  const pin = () => redis.get(`${PREFIX}:media:room:consultation:${roomId}`);

  beforeAll(async () => {
    const { ts, browser } = cluster;
    ({ consultationId: roomId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    }));
    const [d, s] = await Promise.all([ts.login("doctor.hadashan"), ts.login("spec.youtian.1")]);
    doctor = await openParticipant(browser, ts.baseUrl, d.accessToken);
    specialist = await openParticipant(browser, ts.baseUrl, s.accessToken);
  });

  const joinAndPublish = async (p: Participant) => {
    expect(await joinInPage(p, roomId)).toEqual({ ok: true });
    await p.page.evaluate(async () => {
      const yl = (window as any).yl;
      // The signalling the SDK reacts to, recorded next to the room's own events.
      yl.client.socket.on("media:restart", (e: unknown) =>
        yl.events.push({ ev: "media:restart", e, at: performance.now() }),
      );
      await yl.room.publishCamera();
      await yl.room.publishMicrophone();
    });
  };

  it("both peers move to the surviving node within seconds and decode each other's video again", async () => {
    // The room is placed on node A (pinned before anyone opens it).
    await redis.set(`${PREFIX}:media:room:consultation:${roomId}`, "node-a");
    await joinAndPublish(doctor);
    await joinAndPublish(specialist);
    const [doctorPeer, specPeer] = await Promise.all([peerIdOf(doctor), peerIdOf(specialist)]);
    await Promise.all([
      flowing(doctor, (t) => t.peerId === specPeer && t.source === "camera"),
      flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "camera"),
    ]);
    expect(await pin()).toBe("node-a");
    const before = [...(await consumerIds(doctor)), ...(await consumerIds(specialist))];

    await cluster.nodes.kill("node-a", "SIGKILL");
    const killedAt = Date.now();
    await waitFor(
      "both peers to be told to rebuild",
      async () => {
        const [d, s] = await Promise.all([pageEvents(doctor), pageEvents(specialist)]);
        return [d, s].every((evs) => evs.some((x) => x.ev === "media:restart" && x.e.reason === "node-lost"));
      },
      8_000,
    );
    expect(Date.now() - killedAt).toBeLessThan(6_000);
    expect(await pin()).toBe("node-b");

    // Same peers (nobody left or joined again from the SDK's view), new consumers, media flowing both ways.
    const [dv, sv, sa] = await Promise.all([
      flowing(doctor, (t) => t.peerId === specPeer && t.source === "camera", 20_000),
      flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "camera", 20_000),
      flowing(specialist, (t) => t.peerId === doctorPeer && t.source === "microphone", 20_000),
    ]);
    expect(dv.framesDecoded).toBeGreaterThan(0);
    expect(sv.framesDecoded).toBeGreaterThan(0);
    expect(sa.packetsReceived).toBeGreaterThan(0);
    expect(await Promise.all([peerIdOf(doctor), peerIdOf(specialist)])).toEqual([doctorPeer, specPeer]);
    const after = [...(await consumerIds(doctor)), ...(await consumerIds(specialist))];
    expect(after.some((id) => before.includes(id))).toBe(false);
    for (const p of [doctor, specialist])
      expect((await pageEvents(p)).some((x) => x.ev === "closed" || x.ev === "peerLeft")).toBe(false);
    const load = await (await cluster.ts.server.media.hub.media()).load();
    expect(load.nodeId).toBe("node-b");
  });

  it("with no node left, the room ends for its peers with a reason", async () => {
    await cluster.nodes.kill("node-b", "SIGKILL");
    for (const p of [doctor, specialist]) {
      const closed = await waitFor(
        "the room to close",
        async () => (await pageEvents(p)).find((x) => x.ev === "closed"),
        8_000,
      );
      expect(closed.e).toEqual({ reason: "node-lost", message: expect.stringContaining("音视频节点") });
    }
  });
});
