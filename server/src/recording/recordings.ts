// Recordings (录像) of consultation and training rooms: start/stop by the assigned specialist or the lecturer
// (consultations only with the patient's consent recorded), post-processing by the `recording` job, playback with
// range requests for the people allowed to see the consultation or the training session. Every step is audited.
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Request, Response } from "express";
import type { Redis } from "ioredis";
import type { Recording } from "@prisma/client";
import { z } from "zod";
import { AppError, ErrorCode, type RecordingChangedEvent, type RecordingView } from "@yilian/contract";
import { roomKeyOf, type MediaApi } from "@yilian/media/api";
import { RoomRecorder, type RecordedPart, type RecorderOptions } from "@yilian/media/recording/recorder";
import { sqlOf, type Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import { loadConsultation } from "../consultations/access";
import { loadAudienceMember, visibleSessionsWhere } from "../training/audience";
import { recordingChunkKey, scratchDir, type Storage } from "@yilian/storage";
import {
  RECORDING_OWNER_TTL_MS,
  recordingJobOptions,
  recordingOwnerKey,
  recordingOwnerToken,
  recordingsLiveKey,
  type StoredRecordingPart,
} from "@yilian/jobs";
import type { AppQueues } from "../jobs/queues";
import { sendObject } from "../uploads/uploads";

export const StartRecordingBody = z.object({
  subject: z.enum(["CONSULTATION", "TRAINING"]),
  subjectId: z.uuid(),
  /** Consultations: the specialist confirms the patient agreed to be recorded. */
  consent: z.boolean().default(false),
});

export interface RecordingDeps {
  db: Db;
  storage: Storage;
  queues: AppQueues;
  media: () => Promise<MediaApi>;
  log: { warn(obj: object, msg: string): void };
  /** Tells the room's participants (Socket.IO, media room channel) that a recording changed. */
  announce?: (roomKey: string, e: RecordingChangedEvent) => void;
  /**
   * Where this process says it is alive while it runs a recorder, and finds the recordings whose recorder process
   * died (to take them over). Without it (single-process tests) recordings live and die with this process.
   */
  owner?: { redis: Redis; prefix: string };
}

/** The media room a recording's subject lives in. */
export const subjectRoomKey = (subject: "CONSULTATION" | "TRAINING", subjectId: string) =>
  roomKeyOf(subject === "CONSULTATION" ? "consultation" : "training", subjectId);

/** Recorders live in the process that runs them (the media node's plain transports point at its ffmpeg). */
const active = new Map<string, { recorder: RoomRecorder; dir: string }>();
/** Per running recorder: the timer that keeps its owner key alive. */
const ownerBeats = new Map<string, NodeJS.Timeout>();
/** This process as the owner of its recorders. */
const OWNER = recordingOwnerToken();
/** Takes the key if it is free or ours and (re)sets its expiry; 0 when another process holds it. */
const CLAIM = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

const claim = (deps: RecordingDeps, id: string) =>
  deps.owner!.redis.eval(CLAIM, 1, recordingOwnerKey(deps.owner!.prefix, id), OWNER, RECORDING_OWNER_TTL_MS);

function keepOwned(deps: RecordingDeps, id: string): void {
  if (!deps.owner) return;
  const beat = () =>
    void claim(deps, id)
      .then((held) => {
        if (held) return;
        // Redis lost us for longer than the key lives and another process took the recording over.
        deps.log.warn({ recordingId: id }, "recording taken over by another process; local recorder abandoned");
        const running = active.get(id);
        active.delete(id);
        running?.recorder.abandon();
        if (running) void rm(running.dir, { recursive: true, force: true });
        clearInterval(ownerBeats.get(id));
        ownerBeats.delete(id);
      })
      .catch(() => undefined);
  const timer = setInterval(beat, RECORDING_OWNER_TTL_MS / 3);
  timer.unref();
  ownerBeats.set(id, timer);
}

/** This process no longer runs the recording; `ended`: nobody needs to take it over either. */
async function released(deps: RecordingDeps, id: string, ended: boolean): Promise<void> {
  clearInterval(ownerBeats.get(id));
  ownerBeats.delete(id);
  if (!deps.owner) return;
  const { redis, prefix } = deps.owner;
  if (ended) await redis.srem(recordingsLiveKey(prefix), id).catch(() => undefined);
  await redis.del(recordingOwnerKey(prefix, id)).catch(() => undefined);
}

/**
 * Records a stored chunk in its part's entry ($2: the entry as of this chunk, which counts it and its duration):
 * added on the part's first chunk, merged after. A chunk whose row update failed (PostgreSQL away) is still
 * counted by the next one (chunks = the highest count).
 */
const RECORD_CHUNK = `UPDATE "Recording" SET parts = CASE
    WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(parts) e WHERE e->'part' = $2::jsonb->'part')
    THEN (SELECT jsonb_agg(CASE WHEN e->'part' = $2::jsonb->'part'
                                THEN e || jsonb_build_object(
                                  'chunks', GREATEST((e->>'chunks')::int, ($2::jsonb->>'chunks')::int),
                                  'durationsMs', COALESCE(e->'durationsMs', '{}') || ($2::jsonb->'durationsMs'))
                                ELSE e END ORDER BY o)
            FROM jsonb_array_elements(parts) WITH ORDINALITY AS t(e, o))
    ELSE parts || jsonb_build_array($2::jsonb) END
  WHERE id = $1::uuid AND status = 'RECORDING'`;

async function storeChunk(
  deps: RecordingDeps,
  id: string,
  part: RecordedPart,
  chunk: number,
  file: string,
  durationMs: number,
) {
  await deps.storage.putFile(recordingChunkKey(id, part.part, part.kind, chunk), file, {
    move: true,
    contentType: "video/x-matroska",
  });
  const entry: StoredRecordingPart = {
    part: part.part,
    kind: part.kind,
    offsetMs: part.offsetMs,
    segment: part.segment,
    producerId: part.producerId,
    peerId: part.peerId,
    chunks: chunk + 1,
    durationsMs: { [chunk]: durationMs },
  };
  await sqlOf(deps.db).query(RECORD_CHUNK, [id, JSON.stringify(entry)]);
}

/** What every recorder of `rec` is started with, by the process that started it or one that took it over. */
function recorderOptions(deps: RecordingDeps, rec: Recording, roomKey: string): Omit<RecorderOptions, "dir"> {
  return {
    recordingId: rec.id,
    onIdle: (reason) =>
      void finishRecording(deps, rec.id, null, reason).catch((err) =>
        deps.log.warn({ err: String(err), recordingId: rec.id }, "auto-stop failed"),
      ),
    // Said in the room: the stretch until the media is back is missing, and the playback will show where.
    onRestart: () =>
      deps.announce?.(roomKey, {
        recording: recordingDto(rec),
        reason: "音视频服务故障，录像短暂中断，已自动继续录制（回放中将标出中断时段）",
      }),
    onChunk: (part, chunk, file, durationMs) => storeChunk(deps, rec.id, part, chunk, file, durationMs),
    log: (msg, data) => deps.log.warn({ ...data, recordingId: rec.id }, msg),
  };
}

const recorderDir = async (id: string) => path.join(await scratchDir(), `recording-${id}-${randomUUID().slice(0, 8)}`);

export function recordingDto(r: Recording): RecordingView {
  return {
    id: r.id,
    subject: r.subject,
    subjectId: r.subjectId,
    status: r.status,
    consentRecorded: r.consentRecorded,
    startedAt: r.startedAt.toISOString(),
    stoppedAt: r.stoppedAt?.toISOString() ?? null,
    durationMs: r.durationMs,
    sizeBytes: r.sizeBytes === null ? null : Number(r.sizeBytes),
    sha256: r.sha256,
    hasPoster: r.posterKey !== null,
    failureReason: r.failureReason,
  };
}

/** Whom a recording may be shown to: readers of the consultation / the training session's audience and managers. */
async function assertCanView(
  db: Db,
  user: AuthUser,
  subject: "CONSULTATION" | "TRAINING",
  subjectId: string,
  action: string,
) {
  if (subject === "CONSULTATION") {
    await loadConsultation(db, user, subjectId, action);
    return;
  }
  const member = await loadAudienceMember(db, user);
  const s = await db.trainingSession.findFirst({
    where: { id: subjectId, AND: [visibleSessionsWhere(user, member)] },
    select: { id: true },
  });
  if (!s) {
    await audit(db, { action, entityType: "TrainingSession", entityId: subjectId, outcome: "NOT_FOUND" });
    throw notFound("培训");
  }
}

/** Who may start and stop: an assigned specialist of the consultation, a lecturer of the training session. */
export async function controlTarget(db: Db, user: AuthUser, subject: "CONSULTATION" | "TRAINING", subjectId: string) {
  if (subject === "CONSULTATION") {
    const c = await loadConsultation(db, user, subjectId, "recording.start");
    if (!c.participants.some((p) => p.userId === user.id && p.role === "SPECIALIST"))
      throw new AppError(ErrorCode.FORBIDDEN, "只有受邀会诊专家可以录像");
    return { institutionId: c.requestingInstitutionId, roomKey: subjectRoomKey(subject, subjectId) };
  }
  await assertCanView(db, user, subject, subjectId, "recording.start");
  const s = await db.trainingSession.findUniqueOrThrow({
    where: { id: subjectId },
    select: { hostInstitutionId: true, createdById: true, lecturers: { select: { userId: true } } },
  });
  if (s.createdById !== user.id && !s.lecturers.some((l) => l.userId === user.id))
    throw new AppError(ErrorCode.FORBIDDEN, "只有授课专家可以录像");
  return { institutionId: s.hostInstitutionId, roomKey: subjectRoomKey(subject, subjectId) };
}

export async function startRecording(
  deps: RecordingDeps,
  user: AuthUser,
  body: z.output<typeof StartRecordingBody>,
  via?: { consentRequestId: string },
) {
  const { db } = deps;
  const target = await controlTarget(db, user, body.subject, body.subjectId);
  if (body.subject === "CONSULTATION" && !body.consent) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, "录制会诊前须确认患者已知情同意", {
      issues: [{ path: "body.consent", message: "须为 true" }],
    });
  }
  // Everyone present must agree before a consultation is recorded: that goes through a consent request.
  if (body.subject === "CONSULTATION" && !via) {
    throw new AppError(ErrorCode.INVALID_STATE, "会诊录像须经在场各方同意：请发起录像同意请求", {
      details: { next: "/api/recordings/consent-requests" },
    });
  }
  const running = await db.recording.findFirst({
    where: { subject: body.subject, subjectId: body.subjectId, status: "RECORDING" },
  });
  if (running) throw new AppError(ErrorCode.CONFLICT, "该房间正在录像", { details: { recordingId: running.id } });
  const api = await deps.media();
  if (!(await api.hasRoom(target.roomKey))) throw new AppError(ErrorCode.INVALID_STATE, "房间尚未开始，无法录像");
  const rec = await db.$transaction(async (tx) => {
    const r = await tx.recording.create({
      data: {
        subject: body.subject,
        subjectId: body.subjectId,
        institutionId: target.institutionId,
        startedById: user.id,
        consentRecorded: body.consent,
        status: "RECORDING",
      },
    });
    // The actor is the one who asked for it, also when the last participant's consent is what starts it.
    await audit(tx, {
      action: "recording.start",
      entityType: "Recording",
      entityId: r.id,
      outcome: "SUCCESS",
      actorId: user.id,
      actorInstitutionId: user.institutionId,
      detail: {
        subject: body.subject,
        subjectId: body.subjectId,
        consent: body.consent,
        ...(via ? { consentRequestId: via.consentRequestId } : {}),
      },
    });
    return r;
  });
  try {
    // Owned (and known to the deployment's server processes) before it runs: if this process dies from here on,
    // another one takes the recording over.
    if (deps.owner) {
      await claim(deps, rec.id);
      await deps.owner.redis.sadd(recordingsLiveKey(deps.owner.prefix), rec.id);
    }
    const dir = await recorderDir(rec.id);
    const recorder = await RoomRecorder.start(api, target.roomKey, {
      ...recorderOptions(deps, rec, target.roomKey),
      dir,
    });
    active.set(rec.id, { recorder, dir });
    keepOwned(deps, rec.id);
  } catch (e) {
    await released(deps, rec.id, true);
    deps.announce?.(target.roomKey, {
      recording: recordingDto({ ...rec, status: "FAILED", failureReason: "录像启动失败" }),
    });
    await db.recording.update({
      where: { id: rec.id },
      data: { status: "FAILED", failureReason: "录像启动失败", stoppedAt: new Date() },
    });
    throw e;
  }
  deps.announce?.(target.roomKey, { recording: recordingDto(rec) });
  return recordingDto(rec);
}

/** The parts stored so far, each with how many of its chunks. */
const storedParts = (rec: Pick<Recording, "parts">) => (rec.parts as unknown as StoredRecordingPart[]) ?? [];

/** Who ended a recording (null: the system), named explicitly: the stop may come from another server process. */
type Actor = Pick<AuthUser, "id" | "institutionId"> | null;

/**
 * Ends a recording with the parts stored so far: PROCESSING and handed to the `recording` job (FAILED when nothing
 * was stored), audited with the reason; the room is told.
 */
async function endRecording(deps: RecordingDeps, id: string, actor: Actor, reason?: string) {
  const row = await deps.db.$transaction(async (tx) => {
    const current = await tx.recording.findUniqueOrThrow({ where: { id } });
    if (current.status !== "RECORDING") return null;
    const parts = storedParts(current).filter((p) => p.chunks > 0);
    const r = await tx.recording.update({
      where: { id },
      data: parts.length
        ? { status: "PROCESSING", stoppedAt: new Date() }
        : { status: "FAILED", stoppedAt: new Date(), failureReason: "录制期间没有任何音视频流" },
    });
    await audit(tx, {
      action: "recording.stop",
      entityType: "Recording",
      entityId: id,
      outcome: "SUCCESS",
      actorId: actor?.id ?? null,
      actorInstitutionId: actor?.institutionId ?? null,
      detail: {
        parts: parts.length,
        chunks: parts.reduce((n, p) => n + p.chunks, 0),
        segments: new Set(parts.map((p) => p.segment)).size,
        ...(reason ? { reason } : {}),
      },
    });
    return r;
  });
  if (!row) return;
  if (row.status === "PROCESSING")
    await deps.queues.recording.add("compose", { recordingId: id }, recordingJobOptions(id));
  deps.announce?.(subjectRoomKey(row.subject, row.subjectId), {
    recording: recordingDto(row),
    ...(reason ? { reason } : {}),
  });
}

/** Stops this process's recorder (its last chunks stored), hands the recording to the `recording` job. */
async function finishRecording(deps: RecordingDeps, id: string, actor: Actor, reason?: string) {
  const running = active.get(id);
  if (!running) return;
  active.delete(id);
  await running.recorder.stop();
  await rm(running.dir, { recursive: true, force: true });
  await endRecording(deps, id, actor, reason);
  await released(deps, id, true);
}

/**
 * How long a recording whose recorder died waits for its room: a room whose media node died too is placed on another
 * one and its peers rebuild there within seconds, and a room whose peers' server process died fills again as they
 * resume. Only a room gone for longer ends the recording.
 */
const ROOM_BACK_WITHIN_MS = 30_000;
/** Recordings this process could not take over yet: since when their room was found gone or empty, and last so. */
const roomGoneSince = new Map<string, { since: number; last: number }>();

/**
 * Takes over a recording whose recorder process died (its owner key expired and this process set it again): a new
 * recorder in the same room records the media from now on as a new segment, after the parts the first one stored
 * (the playback shows the gap); with the room gone (for ROOM_BACK_WITHIN_MS) the recording ends with what was stored.
 */
async function takeOver(deps: RecordingDeps, id: string): Promise<void> {
  const rec = await deps.db.recording.findUnique({ where: { id } });
  if (!rec || rec.status !== "RECORDING") {
    await released(deps, id, true);
    return;
  }
  const roomKey = subjectRoomKey(rec.subject, rec.subjectId);
  const parts = storedParts(rec);
  const peerId = `recorder-${id}`;
  try {
    const api = await deps.media();
    const room = await api.snapshot(roomKey).catch(() => null); // null: the room is gone
    // The dead process's recorder is still a peer (its transports point at the dead ffmpegs): replace it.
    const others = room ? room.peerCount - (room.peers?.some((p) => p.peerId === peerId) ? 1 : 0) : 0;
    if (!room || others < 1) {
      const now = Date.now();
      const seen = roomGoneSince.get(id);
      // Not tried for longer than an owner key lives: a recorder ran meanwhile, and this is a new loss.
      const since = seen && now - seen.last < RECORDING_OWNER_TTL_MS ? seen.since : now;
      roomGoneSince.set(id, { since, last: now });
      if (now - since < ROOM_BACK_WITHIN_MS) {
        // Not yet: free the claim, and a later scan (of any process) tries again.
        await released(deps, id, false);
        return;
      }
      throw new Error("room gone");
    }
    roomGoneSince.delete(id);
    await api.leavePeer(roomKey, peerId).catch(() => undefined);
    const dir = await recorderDir(id);
    const recorder = await RoomRecorder.start(api, roomKey, {
      ...recorderOptions(deps, rec, roomKey),
      dir,
      resume: {
        startedAt: rec.startedAt.getTime(),
        segment: Math.max(-1, ...parts.map((p) => p.segment)) + 1,
        nextPart: Math.max(0, ...parts.map((p) => p.part)) + 1,
      },
    });
    active.set(id, { recorder, dir });
    keepOwned(deps, id);
    await audit(deps.db, {
      action: "recording.takeover",
      entityType: "Recording",
      entityId: id,
      outcome: "SUCCESS",
      actorId: null,
      actorInstitutionId: null,
      detail: { owner: OWNER, storedParts: parts.length },
    });
    deps.announce?.(roomKey, {
      recording: recordingDto(rec),
      reason: "录制服务故障，录像短暂中断，已自动继续录制（回放中将标出中断时段）",
    });
  } catch (err) {
    roomGoneSince.delete(id);
    deps.log.warn({ err: String(err), recordingId: id }, "recording not taken over; ended with its stored parts");
    await endRecording(deps, id, null, "录制服务故障，房间已结束，录像在中断处结束");
    await released(deps, id, true);
  }
}

/**
 * This process's part in the deployment's recordings: it hears stops of the recordings it runs, and it watches the
 * running recordings for ones whose recorder process died (owner key expired) and takes each over, at most one
 * process per recording (SET NX decides). Returns the stop function.
 */
export async function serveRecordings(deps: RecordingDeps, everyMs = 2000): Promise<() => Promise<void>> {
  if (!deps.owner) return async () => undefined;
  const stopListening = await listenForStops(deps);
  const { redis, prefix } = deps.owner;
  let running: Promise<void> = Promise.resolve();
  const scan = async () => {
    const ids = (await redis.smembers(recordingsLiveKey(prefix))).filter((id) => !active.has(id));
    // A wait for a room ends with its recording (stopped, or ended elsewhere).
    for (const id of roomGoneSince.keys()) if (!ids.includes(id)) roomGoneSince.delete(id);
    if (!ids.length) return;
    // One round trip for all owners; only an expired one is claimed.
    const owners = await redis.mget(ids.map((id) => recordingOwnerKey(prefix, id)));
    for (const [i, id] of ids.entries()) {
      if (owners[i] !== null) continue;
      const taken = await redis.set(recordingOwnerKey(prefix, id), OWNER, "PX", RECORDING_OWNER_TTL_MS, "NX");
      if (taken) await takeOver(deps, id);
    }
  };
  const timer = setInterval(() => {
    running = running.then(scan).catch((err) => deps.log.warn({ err: String(err) }, "orphaned recordings scan failed"));
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
    await stopListening();
  };
}

/**
 * This process is stopping: each recorder it runs stops with its chunks stored and its owner key released, so
 * that another server process takes the recording over within seconds (a new segment), or this one when it is back.
 */
export async function handOverRecordings(deps: RecordingDeps): Promise<void> {
  await Promise.all(
    [...active.entries()].map(async ([id, { recorder, dir }]) => {
      active.delete(id);
      await recorder.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      // Taken over by another server process (or this one, restarted); without the deployment's Redis it ends here.
      if (deps.owner) await released(deps, id, false);
      else await endRecording(deps, id, null, "录制服务已停止，录像在此结束");
    }),
  );
}

/** Where a server process hears that a recording it runs is to stop (the request came through another one). */
const stopChannel = (prefix: string) => `${prefix}:recording:stop`;

/**
 * Stops a recording wherever its recorder runs: here, or in the server process that owns it (told over Redis; the
 * answer waits until the row says it stopped). UNAVAILABLE when no process ends it in time (its owner just died and
 * the recording is being taken over: the user tries again).
 */
export async function stopRunningRecording(deps: RecordingDeps, id: string, actor: Actor, reason?: string) {
  if (active.has(id) || !deps.owner) return finishRecording(deps, id, actor, reason);
  await deps.owner.redis.publish(stopChannel(deps.owner.prefix), JSON.stringify({ id, actor, reason }));
  for (const until = Date.now() + 15_000; Date.now() < until; ) {
    const r = await deps.db.recording.findUnique({ where: { id }, select: { status: true } });
    if (r?.status !== "RECORDING") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new AppError(ErrorCode.UNAVAILABLE, "录像服务正在恢复，暂时无法停止录像，请稍后重试");
}

/** Listens for stops of recordings this process runs that came through another server process. */
async function listenForStops(deps: RecordingDeps): Promise<() => Promise<void>> {
  if (!deps.owner) return async () => undefined;
  const sub = deps.owner.redis.duplicate();
  sub.on("error", () => undefined); // reconnects and resubscribes by itself
  await sub.subscribe(stopChannel(deps.owner.prefix));
  sub.on("message", (_channel, raw) => {
    const m = JSON.parse(raw) as { id: string; actor: Actor; reason?: string };
    if (active.has(m.id))
      void finishRecording(deps, m.id, m.actor, m.reason).catch((err) =>
        deps.log.warn({ err: String(err), recordingId: m.id }, "stop failed"),
      );
  });
  return async () => void (await sub.quit().catch(() => sub.disconnect()));
}

export async function stopRecording(deps: RecordingDeps, user: AuthUser, id: string) {
  const rec = await deps.db.recording.findUnique({ where: { id } });
  if (!rec) throw notFound("录像");
  await controlTarget(deps.db, user, rec.subject, rec.subjectId).catch((e) => {
    throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? notFound("录像") : e;
  });
  if (rec.status !== "RECORDING") throw new AppError(ErrorCode.INVALID_STATE, "该录像已停止");
  await stopRunningRecording(deps, id, user);
  return recordingDto(await deps.db.recording.findUniqueOrThrow({ where: { id } }));
}

async function loadViewable(db: Db, user: AuthUser, id: string, action: string) {
  const rec = await db.recording.findUnique({ where: { id } });
  if (!rec) throw notFound("录像");
  try {
    await assertCanView(db, user, rec.subject, rec.subjectId, action);
  } catch (e) {
    throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? notFound("录像") : e;
  }
  return rec;
}

export async function listRecordings(db: Db, user: AuthUser, subject: "CONSULTATION" | "TRAINING", subjectId: string) {
  await assertCanView(db, user, subject, subjectId, "recording.list");
  const rows = await db.recording.findMany({ where: { subject, subjectId }, orderBy: { startedAt: "asc" } });
  return { items: rows.map(recordingDto) };
}

export async function getRecording(db: Db, user: AuthUser, id: string) {
  return recordingDto(await loadViewable(db, user, id, "recording.read"));
}

export async function sendRecording(
  deps: RecordingDeps,
  user: AuthUser,
  id: string,
  req: Request,
  res: Response,
  variant: "video" | "poster",
) {
  const rec = await loadViewable(deps.db, user, id, `recording.${variant}`);
  const key = variant === "video" ? rec.storageKey : rec.posterKey;
  if (rec.status !== "READY" || !key) {
    throw new AppError(
      ErrorCode.INVALID_STATE,
      rec.status === "FAILED" ? `录像处理失败：${rec.failureReason ?? ""}` : "录像仍在处理中，请稍后再试",
      { details: { recordingStatus: rec.status } },
    );
  }
  // A player fetches many ranges: one audit row per playback start.
  if (!req.headers.range || /^bytes=0-/.test(req.headers.range)) {
    await audit(deps.db, {
      action: `recording.${variant === "video" ? "play" : "poster"}`,
      entityType: "Recording",
      entityId: id,
      outcome: "SUCCESS",
    });
  }
  await sendObject(deps.storage, key, req, res, {
    contentType: variant === "video" ? "video/mp4" : "image/jpeg",
    etag: variant === "video" ? (rec.sha256 ?? undefined) : undefined,
  });
}
