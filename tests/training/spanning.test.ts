// One training session spanning two media node processes, driven by the signalling server (MEDIA_IN_PROCESS=
// false) with real Chromium participants: a node takes two peers of the session, so the lecturer and the first
// viewer land on one node and the next two viewers on the other, joined by a PipeTransport pair. Everyone
// decodes the lecture; a viewer on the second node is promoted and heard on the first; the session's end
// closes the room on both nodes.
import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import { Redis } from "ioredis";
import { listMediaNodes } from "@yilian/media/remote";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb } from "../helpers/db";
import { startMediaNodes, type MediaNodes } from "../helpers/media-nodes";
import { ensureSdkBuilt, flowing, inbound, launchBrowser, openParticipant, pageEvents, waitFor, type Participant } from "../browser/helpers";
import { provinceLecturers, sessionBody, tokenFor } from "./helpers";
import { enter, publishMic, request } from "./live-page";

jest.setTimeout(120_000);

const PREFIX = `${process.env.REDIS_PREFIX}-span-${randomUUID().slice(0, 8)}`;

describe("a training session spanning two media nodes", () => {
  let nodes: MediaNodes;
  let redis: Redis;
  let ts: TestServer;
  let browser: Browser;
  let lecturer: Participant;
  let viewers: Participant[];
  let viewerIds: string[];
  let sessionId: string;
  const peerIdOf = (p: Participant) => p.page.evaluate(() => (window as any).yl.room.peerId as string);
  const homes = async () => redis.hgetall(`${PREFIX}:media:peers:training:${sessionId}`);

  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL!);
    await ensureSdkBuilt();
    nodes = await startMediaNodes(PREFIX, ["node-a", "node-b"]);
    ts = await startTestServer({ REDIS_PREFIX: PREFIX, MEDIA_IN_PROCESS: "false", MEDIA_SPAN_AFTER_PEERS: "2", MEDIA_PEER_GRACE_MS: "0" });
    browser = await launchBrowser();
    const lect = await tokenFor(ts, (await provinceLecturers())[6]!.username);
    const start = new Date(Date.now() + 60_000);
    const s = await ts.api("/api/training/sessions", {
      token: lect.token,
      body: sessionBody({ startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3600_000).toISOString(), registrationRequired: false, audience: [{ kind: "TIER", tier: "TOWNSHIP" }] }),
    });
    expect(s.status).toBe(201);
    sessionId = s.body.id;
    const vs = await Promise.all(["trainee.hadashan", "doctor.hadashan", "doctor.nongan"].map((u) => tokenFor(ts, u)));
    viewerIds = vs.map((v) => v.id);
    lecturer = await openParticipant(browser, ts.baseUrl, lect.token);
    viewers = [];
    for (const v of vs) viewers.push(await openParticipant(browser, ts.baseUrl, v.token));
  });

  afterAll(async () => {
    await browser?.close();
    await ts?.stop();
    await nodes?.stop();
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await closeTestDb();
  });

  it("the session fills one node, then spans to the other; every viewer decodes the lecture", async () => {
    expect((await listMediaNodes(redis, PREFIX)).map((n) => n.nodeId).sort()).toEqual(["node-a", "node-b"]);
    expect(await enter(lecturer, sessionId)).toEqual({ ok: true, role: "LECTURER" });
    await lecturer.page.evaluate(async () => {
      const room = (window as any).yl.room;
      await room.publishCamera();
      await room.publishMicrophone();
    });
    for (const v of viewers) expect(await enter(v, sessionId)).toEqual({ ok: true, role: "VIEWER" });

    const placed = await homes();
    const origin = placed[await peerIdOf(lecturer)]!;
    const [v0, v1, v2] = await Promise.all(viewers.map(peerIdOf));
    expect(placed[v0!]).toBe(origin);
    const edge = placed[v1!]!;
    expect(edge).not.toBe(origin);
    expect(placed[v2!]).toBe(edge);
    expect(Object.keys(await redis.hgetall(`${PREFIX}:media:span:training:${sessionId}`))).toEqual([edge]);

    const lecturerPeer = await peerIdOf(lecturer);
    const videos = await Promise.all(viewers.map((v) => flowing(v, (t) => t.peerId === lecturerPeer && t.source === "camera", 45_000)));
    for (const v of videos) expect(v.framesDecoded).toBeGreaterThan(0);
    await Promise.all(viewers.map((v) => flowing(v, (t) => t.peerId === lecturerPeer && t.source === "microphone", 30_000)));
    // Viewers are not told about each other, across nodes either.
    for (const v of viewers) expect((await pageEvents(v)).filter((x) => x.ev === "peerJoined").map((x) => x.e.peerId)).not.toContain(v0);
  });

  it("a promoted viewer on the second node is heard on the first; the demotion ends it everywhere", async () => {
    const [a, b, c] = viewers as [Participant, Participant, Participant];
    // b lives on the edge node; a (and the lecturer) on the origin.
    expect(await request(b, "training:hand-raise", { sessionId })).toMatchObject({ ok: true, data: { status: "RAISED" } });
    expect(await request(lecturer, "training:promote", { sessionId, userId: viewerIds[1] })).toMatchObject({ ok: true });
    await waitFor("b to learn it may speak", async () => (await pageEvents(b)).some((x) => x.ev === "training:speaker" && x.e.speaking));
    expect(await publishMic(b)).toEqual({ ok: true });
    const bPeer = await peerIdOf(b);
    await Promise.all([a, c, lecturer].map((p) => flowing(p, (t) => t.peerId === bPeer && t.source === "microphone", 30_000)));

    expect(await request(lecturer, "training:demote", { sessionId, userId: viewerIds[1] })).toMatchObject({ ok: true });
    for (const p of [a, c, lecturer]) await waitFor("b's microphone to end", async () => !(await inbound(p)).some((t) => t.peerId === bPeer), 15_000);
    expect(await publishMic(b, true)).toMatchObject({ ok: false, code: "FORBIDDEN" });
  });

  it("viewers leaving free their node's place; the last peer out closes the room on both nodes", async () => {
    const v2 = await peerIdOf(viewers[2]!);
    await viewers[2]!.page.evaluate(() => (window as any).yl.room.leave());
    await waitFor("c to leave the session's placement", async () => !(v2 in (await homes())));
    for (const p of [viewers[0]!, viewers[1]!, lecturer]) await p.page.evaluate(() => (window as any).yl.room.leave());
    await waitFor("the session to close on every node", async () => {
      const [peers, span, rooms] = await Promise.all([
        redis.exists(`${PREFIX}:media:peers:training:${sessionId}`),
        redis.exists(`${PREFIX}:media:span:training:${sessionId}`),
        listMediaNodes(redis, PREFIX),
      ]);
      return peers === 0 && span === 0 && rooms.every((n) => n.rooms === 0);
    }, 20_000);
  });
});
