// Recordings (录像) of consultation and training rooms: start/stop by the assigned specialist or the lecturer
// (consultations only with the patient's consent recorded), post-processing by the `recording` job, playback with
// range requests for the people allowed to see the consultation or the training session. Every step is audited.
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Request, Response } from "express";
import type { Redis } from "ioredis";
import type { Recording } from "@prisma/client";
import { z } from "zod";
import { AppError, ErrorCode, type RecordingChangedEvent, type RecordingView } from "@yilian/contract";
import { roomKeyOf, type MediaApi } from "@yilian/media/api";
import { RoomRecorder } from "@yilian/media/recording/recorder";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import { loadConsultation } from "../consultations/access";
import { loadAudienceMember, visibleSessionsWhere } from "../training/audience";
import { recordingPartKey, scratchDir, type Storage } from "@yilian/storage";
import { RECORDING_OWNER_TTL_MS, recordingJobOptions, recordingOwnerKey } from "@yilian/jobs";
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
  /** Where this process says it is alive while it runs a recorder (the worker's sweep ends orphaned ones). */
  owner?: { redis: Pick<Redis, "set" | "del">; prefix: string };
}

/** The media room a recording's subject lives in. */
export const subjectRoomKey = (subject: "CONSULTATION" | "TRAINING", subjectId: string) =>
  roomKeyOf(subject === "CONSULTATION" ? "consultation" : "training", subjectId);

/** Recorders live in the process that started them (the media node's plain transports point at its ffmpeg). */
const active = new Map<string, RoomRecorder>();
/** Per running recorder: the timer that keeps its owner key alive. */
const ownerBeats = new Map<string, NodeJS.Timeout>();

function keepOwned(deps: RecordingDeps, id: string): void {
  if (!deps.owner) return;
  const { redis, prefix } = deps.owner;
  const beat = () =>
    void redis
      .set(recordingOwnerKey(prefix, id), String(process.pid), "PX", RECORDING_OWNER_TTL_MS)
      .catch(() => undefined);
  beat();
  const timer = setInterval(beat, RECORDING_OWNER_TTL_MS / 3);
  timer.unref();
  ownerBeats.set(id, timer);
}

function released(deps: RecordingDeps, id: string): void {
  clearInterval(ownerBeats.get(id));
  ownerBeats.delete(id);
  if (deps.owner) void deps.owner.redis.del(recordingOwnerKey(deps.owner.prefix, id)).catch(() => undefined);
}

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
    const recorder = await RoomRecorder.start(api, target.roomKey, {
      recordingId: rec.id,
      dir: path.join(await scratchDir(), `recording-${rec.id}`),
      onIdle: (reason) =>
        void finishRecording(deps, rec.id, null, reason).catch((err) =>
          deps.log.warn({ err: String(err), recordingId: rec.id }, "auto-stop failed"),
        ),
      // Said in the room: the stretch until the media is back is missing, and the playback will show where.
      onRestart: () =>
        deps.announce?.(target.roomKey, {
          recording: recordingDto(rec),
          reason: "音视频服务故障，录像短暂中断，已自动继续录制（回放中将标出中断时段）",
        }),
      log: (msg, data) => deps.log.warn({ ...data, recordingId: rec.id }, msg),
    });
    active.set(rec.id, recorder);
    keepOwned(deps, rec.id);
  } catch (e) {
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

/** Stops the recorder, stores its parts, hands the recording to the `recording` job. */
export async function finishRecording(deps: RecordingDeps, id: string, actor: AuthUser | null, reason?: string) {
  const recorder = active.get(id);
  if (!recorder) return;
  active.delete(id);
  const { parts } = await recorder.stop();
  released(deps, id);
  const stored: {
    key: string;
    kind: "audio" | "video";
    offsetMs: number;
    segment: number;
    producerId: string;
    peerId: string;
  }[] = [];
  for (const [i, p] of parts.entries()) {
    const key = recordingPartKey(id, i, p.kind);
    try {
      await deps.storage.putFile(key, p.file, { move: true, contentType: "video/x-matroska" });
      stored.push({
        key,
        kind: p.kind,
        offsetMs: p.offsetMs,
        segment: p.segment,
        producerId: p.producerId,
        peerId: p.peerId,
      });
    } catch (err) {
      deps.log.warn({ err: String(err), recordingId: id, file: p.file }, "recording part not stored");
    }
  }
  await rm(path.join(await scratchDir(), `recording-${id}`), { recursive: true, force: true });
  const row = await deps.db.$transaction(async (tx) => {
    const r = await tx.recording.update({
      where: { id },
      data: { status: "PROCESSING", stoppedAt: new Date(), parts: stored },
    });
    await audit(tx, {
      action: "recording.stop",
      entityType: "Recording",
      entityId: id,
      outcome: "SUCCESS",
      ...(actor ? {} : { actorId: null, actorInstitutionId: null }),
      detail: {
        parts: stored.length,
        segments: new Set(stored.map((p) => p.segment)).size,
        ...(reason ? { reason } : {}),
      },
    });
    return r;
  });
  await deps.queues.recording.add("compose", { recordingId: id }, recordingJobOptions(id));
  deps.announce?.(subjectRoomKey(row.subject, row.subjectId), {
    recording: recordingDto(row),
    ...(reason ? { reason } : {}),
  });
}

export async function stopRecording(deps: RecordingDeps, user: AuthUser, id: string) {
  const rec = await deps.db.recording.findUnique({ where: { id } });
  if (!rec) throw notFound("录像");
  await controlTarget(deps.db, user, rec.subject, rec.subjectId).catch((e) => {
    throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? notFound("录像") : e;
  });
  if (rec.status !== "RECORDING") throw new AppError(ErrorCode.INVALID_STATE, "该录像已停止");
  if (!active.has(id)) throw new AppError(ErrorCode.INVALID_STATE, "该录像不在本服务节点上运行");
  await finishRecording(deps, id, user);
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
