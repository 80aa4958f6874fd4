// The server process running a recording's recorder is SIGKILLed in the middle of a recorded consultation (the
// cluster shape: 2 server processes behind the front, a media node, a BullMQ worker; ffmpeg as the doctor's camera
// and microphone). What the recorder stored before it died is kept (chunks of 5 s, stored as they close); the other
// server process notices the recorder's owner key expire, takes the recording over in the same room as a new
// segment, and the playback MP4 holds both stretches with a visible "录制中断" card between them — as long as the
// wall-clock time, never silently short. A stop that reaches a server process other than the recorder's owner is
// passed on to the owner. A room that is away when the takeover comes (its media node died too, its peers not yet
// rebuilt elsewhere) is waited for: the recording goes on once they are back, it does not end.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { recordingOwnerKey, recordingOwnerPid, type StoredRecordingPart } from "@yilian/jobs";
import { connectRemoteMedia } from "@yilian/media/remote";
import type { MediaApi } from "@yilian/media/api";
import { startCluster, type Cluster } from "../../scripts/cluster/harness";
import type { RtpSource } from "../helpers/rtp-source";
import { doctorJoins, expectPlaybackAsLongAsRecorded, roomWithDoctorMedia } from "../helpers/recording";
import { testDb, closeTestDb } from "../helpers/db";
import { waitFor } from "../worker/helpers";

jest.setTimeout(180_000);

const PREFIX = `${process.env.REDIS_PREFIX}-recsrv-${randomUUID().slice(0, 8)}`;
const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-recsrv-"));
const db = testDb();
let cluster: Cluster;
let redis: Redis;
let api: MediaApi;
/** The doctor's media (ffmpeg) of every test, stopped at the end. */
const senders: RtpSource[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    prefix: PREFIX,
    mediaNodes: 1,
    workers: 1,
    env: { STORAGE_DIR: storageDir, LOG_LEVEL: "warn", MEDIA_WORKERS: "1" },
  });
  redis = new Redis(cluster.redisUrl);
  // The doctor's side of the call comes from this process, straight to the media node (as a client's would).
  api = await connectRemoteMedia(redis, PREFIX);
}, 120_000);

afterAll(async () => {
  for (const s of senders) s.stop();
  await api?.close();
  await cluster?.stop();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis?.disconnect();
  await closeTestDb();
  rmSync(storageDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(pathname: string, token: string | null, body?: unknown) {
  const r = await fetch(cluster.url + pathname, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}
const login = async (username: string) =>
  (await call("/api/auth/login", null, { username, password: "Yilian@2024" })).body.accessToken as string;

/** A consultation room with the doctor's media, recorded with everyone's consent (asked by the specialist). */
async function recordedRoom() {
  const { consultationId, roomKey, sender: doctorMedia } = await roomWithDoctorMedia(db, api);
  senders.push(doctorMedia);
  const [spec, doctor] = [await login("spec.youtian.1"), await login("doctor.hadashan")];
  const asked = await call("/api/recordings/consent-requests", spec, {
    subjectId: consultationId,
    patientConsent: true,
  });
  expect(asked.status).toBe(201);
  const agreed = await call(`/api/recordings/consent-requests/${asked.body.id}/answer`, doctor, { agree: true });
  expect(agreed.body).toMatchObject({ status: "STARTED", recordingId: expect.any(String) });
  return { roomKey, spec, doctorMedia, recordingId: agreed.body.recordingId as string };
}

test("SIGKILL the server process running a recorder: another one takes the recording over; nothing stored is lost", async () => {
  const { roomKey, spec, recordingId } = await recordedRoom();

  // 12 s recorded: two chunks of each track stored while the recording runs.
  await sleep(12_000);
  const before = (await db.recording.findUniqueOrThrow({ where: { id: recordingId } }))
    .parts as unknown as StoredRecordingPart[];
  expect(before.map((p) => p.kind).sort()).toEqual(["audio", "video"]);
  for (const p of before) expect(p.chunks).toBeGreaterThanOrEqual(2);
  const ownerPid = recordingOwnerPid(await redis.get(recordingOwnerKey(PREFIX, recordingId)));
  const victim = cluster.members.find((m) => m.kind === "server" && m.pid === ownerPid)!;
  expect(victim).toBeDefined();
  const killedAt = Date.now();
  await victim.kill("SIGKILL");

  // The surviving server process takes it over once the owner key expired (9 s), in the same room.
  const takeover = await waitFor(
    () => db.auditLog.findFirst({ where: { action: "recording.takeover", entityId: recordingId } }),
    30_000,
    250,
  );
  expect(takeover.at.getTime() - killedAt).toBeLessThan(15_000);
  // The killed process is back (as an orchestrator restarts it); the stop goes to it, not to the recorder's owner,
  // which hears it over Redis.
  await victim.start();
  await sleep(4000);
  const stopped = await fetch(`${victim.url}/api/recordings/${recordingId}/stop`, {
    method: "POST",
    headers: { authorization: `Bearer ${spec}` },
  });
  expect(stopped.status).toBe(200);
  expect(await stopped.json()).toMatchObject({ status: "PROCESSING" });
  const row = await db.recording.findUniqueOrThrow({ where: { id: recordingId } });
  const parts = row.parts as unknown as StoredRecordingPart[];
  // Camera and microphone before the loss, and again after it; every chunk stored before the kill still listed.
  expect(parts.map((p) => `${p.segment}:${p.kind}`).sort()).toEqual(["0:audio", "0:video", "1:audio", "1:video"]);
  for (const b of before) expect(parts.find((p) => p.part === b.part)!.chunks).toBeGreaterThanOrEqual(b.chunks);

  // Not short: the gap is in the playback, so it lasts about as long as the recording did.
  const gaps = await expectPlaybackAsLongAsRecorded(db, row, { short: 3000, long: 4000 });
  expect(gaps).toHaveLength(1);
  // The gap starts no earlier than what was stored before the kill, and ends by the takeover.
  expect(gaps[0]!.fromS).toBeGreaterThan(10);
  expect(gaps[0]!.toS).toBeLessThan((takeover.at.getTime() - row.startedAt.getTime()) / 1000 + 3);
  await api.closeRoom(roomKey, "ended");
});

test("the recorder's server dies while the room is empty (its peers rebuilding elsewhere): the recording waits for them and goes on", async () => {
  const { roomKey, spec, doctorMedia, recordingId } = await recordedRoom();
  // Camera and microphone both stored (a chunk of each closed) before the doctor leaves: on a loaded machine the
  // first video chunk can close seconds after the first audio one.
  await waitFor(
    async () => {
      const row = await db.recording.findUniqueOrThrow({ where: { id: recordingId } });
      const kinds = (row.parts as unknown as StoredRecordingPart[]).filter((p) => p.chunks > 0).map((p) => p.kind);
      return kinds.includes("audio") && kinds.includes("video") ? kinds : null;
    },
    30_000,
    250,
  );

  // The doctor's media leaves the room, and the server process running the recorder dies.
  doctorMedia.stop();
  await api.leavePeer(roomKey, "doctor-peer");
  const ownerPid = recordingOwnerPid(await redis.get(recordingOwnerKey(PREFIX, recordingId)));
  const victim = cluster.members.find((m) => m.kind === "server" && m.pid === ownerPid)!;
  await victim.kill("SIGKILL");

  // Past the owner key's expiry and the first takeover attempts: still recording, waiting for the room.
  await sleep(15_000);
  expect((await db.recording.findUniqueOrThrow({ where: { id: recordingId } })).status).toBe("RECORDING");
  expect(await db.auditLog.count({ where: { action: "recording.takeover", entityId: recordingId } })).toBe(0);

  // The doctor is back (as after rebuilding on another media node): the recording is taken over and goes on.
  senders.push(await doctorJoins(db, api, roomKey, "doctor-peer-2"));
  await waitFor(
    () => db.auditLog.findFirst({ where: { action: "recording.takeover", entityId: recordingId } }),
    15_000,
    250,
  );
  await victim.start();
  await sleep(6000);
  const stopped = await call(`/api/recordings/${recordingId}/stop`, spec, {});
  expect(stopped.status).toBe(200);
  const parts = (await db.recording.findUniqueOrThrow({ where: { id: recordingId } }))
    .parts as unknown as StoredRecordingPart[];
  expect(parts.map((p) => `${p.segment}:${p.kind}`).sort()).toEqual(["0:audio", "0:video", "1:audio", "1:video"]);
  await api.closeRoom(roomKey, "ended");
});
