// Recording end to end with real pieces: mediasoup (the server's media backend) receives RTP from an ffmpeg test
// source through PlainTransports, the recorder records it through PlainTransports into ffmpeg, the `recording` job
// composes the MP4 (H.264/AAC) and poster, and the video plays back over HTTP with Range for allowed users only.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID, createHash } from "node:crypto";
import { createRedis } from "@yilian/server";
import { createStorage, recordingChunkKey } from "@yilian/storage";
import { recordingOwnerKey, type StoredRecordingPart } from "@yilian/jobs";
import type { BroadcastRoom, MediaService } from "@yilian/media";
import { initRecording, execComposeRecording, execSweepRecordings } from "../../worker/src/queues/recording";
import { composeMp4, probeParts, probeOutput } from "../../worker/src/recording/compose";
import { startTestServer, type TestServer } from "../helpers/server";
import { produceFromFfmpeg, type RtpSource } from "../helpers/rtp-source";
import { testDb, closeTestDb } from "../helpers/db";
import { makeConsultation, waitFor } from "./helpers";
import { provinceLecturers, sessionBody, tokenFor } from "../training/helpers";

// Own queue prefix: test files run in parallel and each runs its own processors.
process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-rec`;

jest.setTimeout(120_000);

const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-recst-"));
process.env.STORAGE_DIR = storageDir;
const db = testDb();
const connection = createRedis(process.env.REDIS_URL!);
let ts: TestServer;
let worker: Awaited<ReturnType<typeof initRecording>>;
let sender: RtpSource | null = null;

const work = mkdtempSync(path.join(tmpdir(), "yilian-rec-"));

beforeAll(async () => {
  // Two mediasoup workers: a training room's recorder receives through a piped edge router, as its viewers do.
  ts = await startTestServer({ MEDIA_WORKERS: "2" });
  worker = await initRecording({ db, storage: createStorage() }, connection, `${process.env.REDIS_PREFIX}:bull`);
}, 60_000);

afterAll(async () => {
  sender?.stop();
  await worker?.worker.close();
  await worker?.queue.close();
  connection.disconnect();
  await ts?.stop();
  await closeTestDb();
  rmSync(storageDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test("record a live consultation room, compose the MP4, play it back with Range", async () => {
  const consultationId = await makeConsultation(db, { status: "IN_PROGRESS" });
  const api = await ts.server.media.hub.media();
  const { roomKey } = await api.openRoom("consultation", consultationId);
  const doctorUser = await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } });
  await api.joinPeer(roomKey, {
    peerId: "doctor-peer",
    userId: doctorUser.id,
    displayName: "乡镇医生",
    role: "REQUESTER",
  });
  sender = await produceFromFfmpeg(api, roomKey, "doctor-peer");

  const spec = (await ts.login("spec.youtian.1")).accessToken;
  const doctor = (await ts.login("doctor.hadashan")).accessToken;
  // Consent is required for consultations; only the assigned specialist asks, and never around the participants.
  expect(
    (await ts.api("/api/recordings", { token: spec, body: { subject: "CONSULTATION", subjectId: consultationId } }))
      .status,
  ).toBe(400);
  expect(
    (
      await ts.api("/api/recordings", {
        token: doctor,
        body: { subject: "CONSULTATION", subjectId: consultationId, consent: true },
      })
    ).status,
  ).toBe(403);
  const direct = await ts.api("/api/recordings", {
    token: spec,
    body: { subject: "CONSULTATION", subjectId: consultationId, consent: true },
  });
  expect(direct.status).toBe(409);
  expect(direct.body).toMatchObject({ code: "INVALID_STATE", next: "/api/recordings/consent-requests" });
  expect(
    (
      await ts.api("/api/recordings/consent-requests", {
        token: doctor,
        body: { subjectId: consultationId, patientConsent: true },
      })
    ).status,
  ).toBe(403);

  // The doctor in the room refuses: nothing is recorded. Asked again, the doctor agrees: the recording starts.
  const refused = await ts.api("/api/recordings/consent-requests", {
    token: spec,
    body: { subjectId: consultationId, patientConsent: true },
  });
  expect(refused.status).toBe(201);
  expect(refused.body).toMatchObject({
    status: "PENDING",
    participants: [{ userId: doctorUser.id, answer: "PENDING" }],
  });
  expect(
    (
      await ts.api(`/api/recordings/consent-requests/${refused.body.id}/answer`, {
        token: doctor,
        body: { agree: false },
      })
    ).body.status,
  ).toBe("DECLINED");
  expect(await db.recording.count({ where: { subjectId: consultationId } })).toBe(0);
  const asked = await ts.api("/api/recordings/consent-requests", {
    token: spec,
    body: { subjectId: consultationId, patientConsent: true },
  });
  const agreed = await ts.api(`/api/recordings/consent-requests/${asked.body.id}/answer`, {
    token: doctor,
    body: { agree: true },
  });
  expect(agreed.body).toMatchObject({ status: "STARTED", recordingId: expect.any(String) });
  const start = await ts.api(`/api/recordings/${agreed.body.recordingId}`, { token: spec, method: "GET" });
  expect(start.body).toMatchObject({ status: "RECORDING", consentRecorded: true });
  expect(
    (
      await ts.api("/api/recordings/consent-requests", {
        token: spec,
        body: { subjectId: consultationId, patientConsent: true },
      })
    ).status,
  ).toBe(409);
  // Everyone in the room sees the recorder.
  expect((await api.snapshot(roomKey)).peers.some((p) => p.displayName === "录制")).toBe(true);

  await new Promise((r) => setTimeout(r, 6000));
  const stop = await ts.api(`/api/recordings/${start.body.id}/stop`, { token: spec, method: "POST" });
  expect(stop.status).toBe(200);
  expect(stop.body.status).toBe("PROCESSING");
  const row = await db.recording.findUniqueOrThrow({ where: { id: start.body.id } });
  // Camera and microphone, each stored while it was recorded: chunks of 5 s.
  const parts = row.parts as unknown as StoredRecordingPart[];
  expect(parts.map((p) => p.kind).sort()).toEqual(["audio", "video"]);
  for (const p of parts) expect(p.chunks).toBeGreaterThanOrEqual(2);

  const done = await waitFor(
    async () => {
      const r = await db.recording.findUniqueOrThrow({ where: { id: start.body.id } });
      return r.status === "READY" || r.status === "FAILED" ? r : null;
    },
    90_000,
    250,
  );
  expect(done.failureReason).toBeNull();
  expect(done.status).toBe("READY");
  expect(done.durationMs).toBeGreaterThan(1500);
  expect(done.durationMs).toBeLessThan(15_000);

  const full = await fetch(`${ts.baseUrl}/api/recordings/${done.id}/video`, {
    headers: { authorization: `Bearer ${doctor}` },
  });
  expect(full.status).toBe(200);
  expect(full.headers.get("content-type")).toBe("video/mp4");
  const bytes = Buffer.from(await full.arrayBuffer());
  expect(bytes.length).toBe(Number(done.sizeBytes));
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(done.sha256);
  const mp4 = path.join(work, "played.mp4");
  writeFileSync(mp4, bytes);
  const probe = await probeOutput(mp4);
  expect(probe).toMatchObject({ video: "h264", audio: "aac" });
  const part = await fetch(`${ts.baseUrl}/api/recordings/${done.id}/video`, {
    headers: { authorization: `Bearer ${spec}`, range: "bytes=0-99" },
  });
  expect(part.status).toBe(206);
  expect(part.headers.get("content-range")).toBe(`bytes 0-99/${bytes.length}`);
  expect(
    (
      await fetch(`${ts.baseUrl}/api/recordings/${done.id}/poster`, { headers: { authorization: `Bearer ${doctor}` } })
    ).headers.get("content-type"),
  ).toBe("image/jpeg");

  // Someone outside the consultation: the recording does not exist for them.
  const outsider = (await ts.login("doctor.nongan")).accessToken;
  expect((await ts.api(`/api/recordings/${done.id}/video`, { token: outsider })).status).toBe(404);
  expect((await ts.api(`/api/recordings/${done.id}`, { token: outsider })).status).toBe(404);
  const audits = await db.auditLog.findMany({
    where: { entityType: "Recording", entityId: done.id },
    select: { action: true },
  });
  expect(audits.map((a) => a.action)).toEqual(
    expect.arrayContaining(["recording.start", "recording.stop", "recording.process", "recording.play"]),
  );
  sender?.stop();
  await api.closeRoom(roomKey, "ended");
});

test("record a live training lecture in its broadcast room; the audience plays it back", async () => {
  const lecturer = await tokenFor(ts, (await provinceLecturers())[9]!.username);
  const trainee = await tokenFor(ts, "trainee.hadashan"); // township: in the audience, not a lecturer
  const outsider = await tokenFor(ts, "coord.youtian"); // city tier: outside the audience
  const startsAt = new Date(Date.now() + 60_000);
  const created = await ts.api("/api/training/sessions", {
    token: lecturer.token,
    body: sessionBody({
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3600_000).toISOString(),
      registrationRequired: false,
      audience: [{ kind: "TIER", tier: "TOWNSHIP" }],
    }),
  });
  expect(created.status).toBe(201);
  const sessionId: string = created.body.id;
  expect(
    (await ts.api(`/api/training/sessions/${sessionId}/start`, { token: lecturer.token, method: "POST" })).body.status,
  ).toBe("LIVE");

  // The lecture room: the lecturer publishes camera and microphone, a trainee watches.
  const api = await ts.server.media.hub.media();
  const media = (await ts.server.media.hub.started!) as MediaService;
  const { roomKey } = await api.openRoom("training", sessionId);
  await api.joinPeer(roomKey, {
    peerId: "lecturer-peer",
    userId: lecturer.id,
    displayName: "授课专家",
    role: "LECTURER",
  });
  await api.joinPeer(roomKey, { peerId: "trainee-peer", userId: trainee.id, displayName: "学员", role: "VIEWER" });
  sender = await produceFromFfmpeg(api, roomKey, "lecturer-peer");

  // Only a lecturer starts and stops; the audience is refused, anyone else does not see the session.
  const body = { subject: "TRAINING", subjectId: sessionId };
  expect((await ts.api("/api/recordings", { token: trainee.token, body })).status).toBe(403);
  expect((await ts.api("/api/recordings", { token: outsider.token, body })).status).toBe(404);
  const start = await ts.api("/api/recordings", { token: lecturer.token, body });
  expect(start.status).toBe(201);
  expect(start.body).toMatchObject({
    subject: "TRAINING",
    subjectId: sessionId,
    status: "RECORDING",
    consentRecorded: false,
  });
  const id: string = start.body.id;
  expect((await ts.api("/api/recordings", { token: lecturer.token, body })).status).toBe(409);
  expect((await ts.api(`/api/recordings/${id}/stop`, { token: trainee.token, method: "POST" })).status).toBe(403);
  expect((await ts.api(`/api/recordings/${id}/stop`, { token: outsider.token, method: "POST" })).status).toBe(404);
  // The audience sees it running.
  const listed = await ts.api(`/api/recordings?subject=TRAINING&subjectId=${sessionId}`, { token: trainee.token });
  expect(listed.body.items).toEqual([expect.objectContaining({ id, status: "RECORDING" })]);

  // The recorder is a receiver of the broadcast like a viewer: on an edge router (another worker), fed by the pipes.
  const room = media.roomObject(roomKey) as BroadcastRoom;
  expect(room.edgeRouters()).toHaveLength(2);
  expect(room.linkOf(`recorder-${id}`)!.workerIndex).not.toBe(room.worker.index);
  await waitFor(async () => room.peers.get(`recorder-${id}`)!.consumers.size === 2, 5000);

  await new Promise((r) => setTimeout(r, 5000));
  // The lecturer steps out while the trainee stays: the recording goes on (it stops by itself only when the
  // recorder is alone in the room, and a broadcast snapshot lists the senders only).
  await api.leavePeer(roomKey, "lecturer-peer");
  await new Promise((r) => setTimeout(r, 500));
  expect((await db.recording.findUniqueOrThrow({ where: { id } })).status).toBe("RECORDING");

  const stop = await ts.api(`/api/recordings/${id}/stop`, { token: lecturer.token, method: "POST" });
  expect(stop.status).toBe(200);
  expect(stop.body.status).toBe("PROCESSING");
  expect((await db.recording.findUniqueOrThrow({ where: { id } })).parts as unknown[]).toHaveLength(2);
  const done = await waitFor(
    async () => {
      const r = await db.recording.findUniqueOrThrow({ where: { id } });
      return r.status === "READY" || r.status === "FAILED" ? r : null;
    },
    90_000,
    250,
  );
  expect(done.failureReason).toBeNull();
  expect(done.status).toBe("READY");
  expect(done.durationMs).toBeGreaterThan(1500);

  // Outside the audience: the recording does not exist.
  expect(
    (await ts.api(`/api/recordings?subject=TRAINING&subjectId=${sessionId}`, { token: outsider.token })).status,
  ).toBe(404);
  expect((await ts.api(`/api/recordings/${id}`, { token: outsider.token })).status).toBe(404);
  expect((await ts.api(`/api/recordings/${id}/video`, { token: outsider.token })).status).toBe(404);

  // A trainee lists the session's recordings and plays the ready one the way a player does (Range from 0).
  const mine = await ts.api(`/api/recordings?subject=TRAINING&subjectId=${sessionId}`, { token: trainee.token });
  expect(mine.status).toBe(200);
  expect(mine.body.items).toEqual([expect.objectContaining({ id, status: "READY", hasPoster: true })]);
  const plays = () =>
    db.auditLog.count({
      where: { action: "recording.play", entityType: "Recording", entityId: id, actorId: trainee.id },
    });
  const play = await fetch(`${ts.baseUrl}/api/recordings/${id}/video`, {
    headers: { authorization: `Bearer ${trainee.token}`, range: "bytes=0-" },
  });
  expect(play.status).toBe(206);
  expect(play.headers.get("content-type")).toBe("video/mp4");
  const bytes = Buffer.from(await play.arrayBuffer());
  expect(bytes.length).toBe(Number(done.sizeBytes));
  expect(play.headers.get("content-range")).toBe(`bytes 0-${bytes.length - 1}/${bytes.length}`);
  const mp4 = path.join(work, "lecture.mp4");
  writeFileSync(mp4, bytes);
  expect(await probeOutput(mp4)).toMatchObject({ video: "h264", audio: "aac" });
  expect(await plays()).toBe(1);
  // Seeking within the same playback is not a new playback; playing it again is.
  const seek = await fetch(`${ts.baseUrl}/api/recordings/${id}/video`, {
    headers: { authorization: `Bearer ${trainee.token}`, range: "bytes=100-199" },
  });
  expect(seek.status).toBe(206);
  expect((await seek.arrayBuffer()).byteLength).toBe(100);
  expect(await plays()).toBe(1);
  const again = await fetch(`${ts.baseUrl}/api/recordings/${id}/video`, {
    headers: { authorization: `Bearer ${trainee.token}`, range: "bytes=0-1023" },
  });
  expect(again.status).toBe(206);
  await again.arrayBuffer();
  expect(await plays()).toBe(2);
  const audits = await db.auditLog.findMany({
    where: { entityType: "Recording", entityId: id },
    select: { action: true, actorId: true },
  });
  expect(audits).toEqual(
    expect.arrayContaining([
      { action: "recording.start", actorId: lecturer.id },
      { action: "recording.stop", actorId: lecturer.id },
      expect.objectContaining({ action: "recording.process" }),
    ]),
  );
  sender?.stop();
  await api.closeRoom(roomKey, "ended");
});

test("compose: bad parts are skipped, a recording with none usable ends FAILED with the reason", async () => {
  const run = (args: string[]) =>
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { cwd: work });
  run(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "2", "-c:v", "libvpx", "v1.mkv"]);
  run(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2", "-c:v", "libvpx", "v2.mkv"]);
  run(["-f", "lavfi", "-i", "sine=frequency=300", "-t", "2", "-c:a", "libopus", "a1.mkv"]);
  writeFileSync(path.join(work, "junk.mkv"), Buffer.alloc(5000, 7));
  const probed = await probeParts([
    { file: path.join(work, "v1.mkv"), kind: "video", offsetMs: 0 },
    { file: path.join(work, "v2.mkv"), kind: "video", offsetMs: 1000 },
    { file: path.join(work, "a1.mkv"), kind: "audio", offsetMs: 500 },
    { file: path.join(work, "junk.mkv"), kind: "video", offsetMs: 0 },
  ]);
  expect(probed.ok).toHaveLength(3);
  expect(probed.bad).toHaveLength(1);
  const out = path.join(work, "grid.mp4");
  await composeMp4(probed.ok, out);
  const info = await probeOutput(out);
  expect(info).toMatchObject({ video: "h264", audio: "aac" });
  expect(info.durationS).toBeGreaterThan(2.8); // the second video starts at 1 s

  // All parts unusable → FAILED with a readable reason, no retry storm.
  const storage = createStorage();
  const id = randomUUID();
  const key = recordingChunkKey(id, 1, "video", 0);
  await storage.putFile(key, path.join(work, "junk.mkv"));
  const user = await db.user.findUniqueOrThrow({ where: { username: "spec.youtian.1" } });
  await db.recording.create({
    data: {
      id,
      subject: "CONSULTATION",
      subjectId: randomUUID(),
      institutionId: user.institutionId,
      startedById: user.id,
      status: "PROCESSING",
      parts: [
        { part: 1, kind: "video", offsetMs: 0, segment: 0, producerId: "p", peerId: "x", chunks: 1 },
      ] satisfies StoredRecordingPart[] as object[],
    },
  });
  const r = await execComposeRecording({ db, storage }, id);
  expect(r.status).toBe("FAILED");
  const row = await db.recording.findUniqueOrThrow({ where: { id } });
  expect(row.status).toBe("FAILED");
  expect(row.failureReason).toMatch(/无效/);
  // Running the job again changes nothing.
  expect((await execComposeRecording({ db, storage }, id)).skipped).toBe(true);

  // Some parts usable: READY, and the audit names each part left out and why (for whoever looks into a gap).
  const partly = randomUUID();
  await storage.putFile(recordingChunkKey(partly, 1, "video", 0), path.join(work, "v1.mkv"));
  await storage.putFile(recordingChunkKey(partly, 2, "audio", 0), path.join(work, "a1.mkv"));
  await storage.putFile(recordingChunkKey(partly, 3, "video", 0), path.join(work, "junk.mkv"));
  const part = (n: number, kind: "audio" | "video", segment: number): StoredRecordingPart => ({
    part: n,
    kind,
    offsetMs: segment * 3000,
    segment,
    producerId: `p${n}`,
    peerId: "x",
    chunks: 1,
  });
  await db.recording.create({
    data: {
      id: partly,
      subject: "CONSULTATION",
      subjectId: randomUUID(),
      institutionId: user.institutionId,
      startedById: user.id,
      status: "PROCESSING",
      // Part 4's chunk never reached the storage.
      parts: [part(1, "video", 0), part(2, "audio", 0), part(3, "video", 1), part(4, "audio", 1)] as object[],
    },
  });
  expect(await execComposeRecording({ db, storage }, partly)).toMatchObject({ status: "READY", skippedParts: 2 });
  const processed = await db.auditLog.findFirstOrThrow({ where: { action: "recording.process", entityId: partly } });
  expect(processed.detail).toMatchObject({
    parts: 4,
    usable: 2,
    skipped: 2,
    leftOut: [expect.stringMatching(/^1\/audio #4: no chunk in storage$/), expect.stringMatching(/^1\/video #3: /)],
  });
});

test("a recording whose server process died and that nobody took over is ended by the sweep with what it stored", async () => {
  const user = await db.user.findUniqueOrThrow({ where: { username: "spec.youtian.1" } });
  const prefix = process.env.REDIS_PREFIX!;
  const [empty, stored, alive] = [randomUUID(), randomUUID(), randomUUID()];
  // `stored` kept 2 s of camera, in two chunks, before its process died.
  const storage = createStorage();
  const run = (args: string[]) =>
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { cwd: work });
  for (const c of [0, 1]) {
    run(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "1", "-c:v", "libvpx", `chunk${c}.mkv`]);
    await storage.putFile(recordingChunkKey(stored, 1, "video", c), path.join(work, `chunk${c}.mkv`));
  }
  const part: StoredRecordingPart = {
    part: 1,
    kind: "video",
    offsetMs: 0,
    segment: 0,
    producerId: "p",
    peerId: "x",
    chunks: 2,
  };
  for (const id of [empty, stored, alive]) {
    await db.recording.create({
      data: {
        id,
        subject: "CONSULTATION",
        subjectId: randomUUID(),
        institutionId: user.institutionId,
        startedById: user.id,
        status: "RECORDING",
        startedAt: new Date(Date.now() - 90_000),
        parts: id === stored ? [part as object] : [],
      },
    });
  }
  // The process running `alive`'s recorder keeps its key; the others' process died (their keys expired).
  await connection.set(recordingOwnerKey(prefix, alive), "1", "PX", 60_000);
  const ctx = { db, storage, owners: { redis: connection, prefix } };
  // First seen orphaned: left to the server processes, which take such a recording over within seconds.
  await execSweepRecordings(ctx, worker.queue);
  expect((await db.recording.findUniqueOrThrow({ where: { id: stored } })).status).toBe("RECORDING");
  // Still orphaned a sweep later: ended.
  const r = await execSweepRecordings(ctx, worker.queue, Date.now() + 31_000);
  expect(r.ended).toBeGreaterThanOrEqual(2); // (and any other test's recording left running in this database)
  expect(await db.recording.findUniqueOrThrow({ where: { id: empty } })).toMatchObject({
    status: "FAILED",
    failureReason: expect.stringMatching(/意外中断/),
  });
  expect((await db.recording.findUniqueOrThrow({ where: { id: alive } })).status).toBe("RECORDING");
  // What `stored` recorded plays back: its two chunks joined.
  const done = await waitFor(async () => {
    const x = await db.recording.findUniqueOrThrow({ where: { id: stored } });
    return x.status === "READY" || x.status === "FAILED" ? x : null;
  }, 60_000);
  expect(done.status).toBe("READY");
  expect(done.durationMs!).toBeGreaterThan(1800);
  const stop = await db.auditLog.findFirstOrThrow({ where: { action: "recording.stop", entityId: stored } });
  expect((stop.detail as { reason: string }).reason).toMatch(/录制服务已停止/);
  await connection.del(recordingOwnerKey(prefix, alive));
  await db.recording.delete({ where: { id: alive } });
});

test("the sweep fails recordings whose recorder was lost and re-enqueues stopped ones without a job", async () => {
  const user = await db.user.findUniqueOrThrow({ where: { username: "spec.youtian.1" } });
  const lost = randomUUID();
  const orphaned = randomUUID();
  await db.recording.create({
    data: {
      id: lost,
      subject: "CONSULTATION",
      subjectId: randomUUID(),
      institutionId: user.institutionId,
      startedById: user.id,
      status: "RECORDING",
      startedAt: new Date(Date.now() - 13 * 3600_000),
    },
  });
  await db.recording.create({
    data: {
      id: orphaned,
      subject: "CONSULTATION",
      subjectId: randomUUID(),
      institutionId: user.institutionId,
      startedById: user.id,
      status: "PROCESSING",
      stoppedAt: new Date(Date.now() - 3600_000),
      parts: [],
    },
  });
  const r = await execSweepRecordings({ db, storage: createStorage() }, worker.queue);
  expect(r.ended).toBeGreaterThanOrEqual(1);
  expect(r.requeued).toBeGreaterThanOrEqual(1);
  expect((await db.recording.findUniqueOrThrow({ where: { id: lost } })).failureReason).toMatch(/意外中断/);
  // The re-enqueued job runs: no parts → FAILED with a reason.
  const done = await waitFor(async () => {
    const x = await db.recording.findUniqueOrThrow({ where: { id: orphaned } });
    return x.status !== "PROCESSING" ? x : null;
  }, 30_000);
  expect(done.status).toBe("FAILED");
});
