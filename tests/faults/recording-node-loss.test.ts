// A media node dies while it carries a recorded consultation (real mediasoup node processes, ffmpeg as the
// doctor's camera and microphone, the real recording job): the room moves to the other node, the recorder
// follows it and records the media that comes back, and the playback MP4 holds both stretches with a visible
// "录制中断" card between them — as long as the wall-clock time, never silently short. With no node left the
// recording ends where the media ended, with a zh-CN reason.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { createRedis } from "@yilian/server";
import { createStorage } from "@yilian/storage";
import type { MediaApi, MediaEvent } from "@yilian/media/api";
import { initRecording } from "../../worker/src/queues/recording";
import { probeOutput } from "../../worker/src/recording/compose";
import { startTestServer, type TestServer } from "../helpers/server";
import { startMediaNodes, type MediaNodes } from "../helpers/media-nodes";
import { produceFromFfmpeg, type RtpSource } from "../helpers/rtp-source";
import { testDb, closeTestDb } from "../helpers/db";
import { composed, expectPlaybackAsLongAsRecorded, roomWithDoctorMedia } from "../helpers/recording";

jest.setTimeout(150_000);

const PREFIX = `${process.env.REDIS_PREFIX}-recloss-${randomUUID().slice(0, 8)}`;
const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-recloss-"));
process.env.STORAGE_DIR = storageDir;
const db = testDb();
const redis = new Redis(process.env.REDIS_URL!);
const connection = createRedis(process.env.REDIS_URL!);
let nodes: MediaNodes;
let ts: TestServer;
let api: MediaApi;
let worker: Awaited<ReturnType<typeof initRecording>>;
const senders: RtpSource[] = [];

beforeAll(async () => {
  // Nodes beat every 500 ms and expire after 1.5 s; the server checks as often.
  nodes = await startMediaNodes(PREFIX, ["rec-a", "rec-b"], { MEDIA_NODE_HEARTBEAT_MS: "500", MEDIA_WORKERS: "1" });
  ts = await startTestServer({ REDIS_PREFIX: PREFIX, MEDIA_IN_PROCESS: "false", MEDIA_NODE_HEARTBEAT_MS: "500" });
  api = await ts.server.media.hub.media();
  worker = await initRecording({ db, storage: createStorage() }, connection, `${PREFIX}:bull`);
}, 90_000);

afterAll(async () => {
  for (const s of senders) s.stop();
  await worker?.worker.close();
  await worker?.queue.close();
  await ts?.stop();
  await nodes?.stop();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  connection.disconnect();
  await closeTestDb();
  rmSync(storageDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A consultation room on `node` with the doctor sending media, recorded with everyone's consent. */
async function recordedRoom(node: string) {
  const { consultationId, roomKey, sender } = await roomWithDoctorMedia(db, api, {
    // placed on `node` before anyone opens it
    beforeOpen: (roomKey) => redis.set(`${PREFIX}:media:room:${roomKey}`, node),
  });
  senders.push(sender);
  const spec = (await ts.login("spec.youtian.1")).accessToken;
  const doctor = (await ts.login("doctor.hadashan")).accessToken;
  const asked = await ts.api("/api/recordings/consent-requests", {
    token: spec,
    body: { subjectId: consultationId, patientConsent: true },
  });
  const agreed = await ts.api(`/api/recordings/consent-requests/${asked.body.id}/answer`, {
    token: doctor,
    body: { agree: true },
  });
  expect(agreed.body).toMatchObject({ status: "STARTED", recordingId: expect.any(String) });
  return { consultationId, roomKey, recordingId: agreed.body.recordingId as string, spec };
}

/** Mean RGB of one frame of the MP4 at `atS` seconds. */
function frameColour(mp4: string, atS: number): [number, number, number] {
  const raw = execFileSync("ffmpeg", [
    "-hide_banner",
    "-loglevel",
    "error",
    "-ss",
    atS.toFixed(2),
    "-i",
    mp4,
    "-frames:v",
    "1",
    "-vf",
    "scale=16:9",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-",
  ]);
  const sum = [0, 0, 0];
  for (let i = 0; i < raw.length; i += 3) for (let c = 0; c < 3; c++) sum[c]! += raw[i + c]!;
  const n = raw.length / 3;
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

test("the recorder follows the room to the surviving node; the MP4 shows both stretches and a gap card", async () => {
  const { roomKey, recordingId, spec } = await recordedRoom("rec-a");
  const restarted = new Promise<Extract<MediaEvent, { name: "media:restart" }>>((resolve) => {
    const off = api.onEvent((e) => {
      if (e.roomKey === roomKey && e.name === "media:restart") {
        off();
        resolve(e);
      }
    });
  });
  await sleep(4000);
  const killedAt = Date.now();
  await nodes.kill("rec-a", "SIGKILL");
  const e = await restarted;
  expect(e.moved).toMatchObject({ "doctor-peer": "rec-b", [`recorder-${recordingId}`]: "rec-b" });
  // The doctor's client rebuilds on the new node, as the SDK does on media:restart.
  senders.pop()!.stop();
  senders.push(await produceFromFfmpeg(api, roomKey, "doctor-peer"));
  const backAt = Date.now();
  await sleep(4000);
  expect((await db.recording.findUniqueOrThrow({ where: { id: recordingId } })).status).toBe("RECORDING");

  const stop = await ts.api(`/api/recordings/${recordingId}/stop`, { token: spec, method: "POST" });
  expect(stop.status).toBe(200);
  const row = await db.recording.findUniqueOrThrow({ where: { id: recordingId } });
  const parts = row.parts as { kind: string; segment: number; offsetMs: number }[];
  // Camera and microphone before the loss, and again after it.
  expect(parts.map((p) => `${p.segment}:${p.kind}`).sort()).toEqual(["0:audio", "0:video", "1:audio", "1:video"]);

  // Not short: the gap is in the playback, so it lasts about as long as the recording did.
  const gaps = await expectPlaybackAsLongAsRecorded(db, row);
  expect(gaps).toHaveLength(1);
  const startOffsetS = (killedAt - row.startedAt.getTime()) / 1000;
  // Where the first stretch's media ends (its parts' own timestamps: a loaded test source drifts a little).
  expect(Math.abs(gaps[0]!.fromS - startOffsetS)).toBeLessThan(2.5);
  expect(gaps[0]!.toS).toBeLessThan((backAt - row.startedAt.getTime()) / 1000 + 3);

  const mp4 = path.join(storageDir, "played.mp4");
  const res = await fetch(`${ts.baseUrl}/api/recordings/${recordingId}/video`, {
    headers: { authorization: `Bearer ${spec}` },
  });
  expect(res.status).toBe(200);
  writeFileSync(mp4, Buffer.from(await res.arrayBuffer()));
  expect(await probeOutput(mp4)).toMatchObject({ video: "h264", audio: "aac" });
  // The card (dark slate, 0x1f2937 with a little white text) in the gap; the test pattern before and after it.
  const card = frameColour(mp4, (gaps[0]!.fromS + Math.max(gaps[0]!.toS, gaps[0]!.fromS + 3)) / 2);
  expect(card[0]).toBeLessThan(70);
  expect(card[2]).toBeGreaterThan(card[0]);
  const before = frameColour(mp4, Math.max(0.5, gaps[0]!.fromS - 1.5));
  expect(before[0] + before[1] + before[2]).toBeGreaterThan(300); // colour bars are bright
  await api.closeRoom(roomKey, "ended");
});

test("with no node left the recording ends where the media ended, with a reason", async () => {
  // rec-a is gone: the room is on rec-b.
  const { recordingId } = await recordedRoom("rec-b");
  await sleep(3000);
  await nodes.kill("rec-b", "SIGKILL");
  const done = await composed(db, recordingId);
  expect(done.status).toBe("READY");
  expect(done.durationMs!).toBeGreaterThan(1500);
  const stopped = await db.auditLog.findFirstOrThrow({ where: { action: "recording.stop", entityId: recordingId } });
  expect((stopped.detail as { reason?: string }).reason).toMatch(/节点.*故障/);
});
