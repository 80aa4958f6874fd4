// Participants' consent to recording a consultation (rule in contract/src/recording.ts): the specialist asks,
// everyone present answers, the recording starts only when all agreed; a refusal cancels the request, or stops a
// running recording when it comes from someone who entered later. Requests and answers live in Redis (a request
// lasts two minutes; answers to a running recording as long as a consultation can); every answer is an audit row,
// which is the durable record of who agreed to what.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import {
  AppError,
  ErrorCode,
  type ConsentAnswer,
  type RecordingConsentView,
  type RecordingRoomState,
} from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import { isTargetCoordinator, loadConsultation } from "../consultations/access";
import { notFound } from "../authz/policy";
import {
  controlTarget,
  stopRunningRecording,
  recordingDto,
  startRecording,
  subjectRoomKey,
  type RecordingDeps,
} from "./recordings";

export const CONSENT_REQUEST_TTL_MS = 2 * 60_000;
const AGREED_TTL_S = 24 * 3600;

export interface ConsentDeps extends RecordingDeps {
  redis: Redis;
  prefix: string;
  /** Sends a consent request's state to the room's participants. */
  announceConsent?: (roomKey: string, view: RecordingConsentView) => void;
}

/** What is kept per request: the view plus the requester's principal (the recording starts as theirs). */
interface StoredRequest {
  view: RecordingConsentView;
  requester: AuthUser;
}

const keys = (d: ConsentDeps) => ({
  request: (id: string) => `${d.prefix}:recording-consent:${id}`,
  answers: (id: string) => `${d.prefix}:recording-consent:${id}:answers`,
  /** First writer wins the final transition (started / declined / expired). */
  settled: (id: string) => `${d.prefix}:recording-consent:${id}:settled`,
  current: (subjectId: string) => `${d.prefix}:recording-consent:current:${subjectId}`,
  agreed: (recordingId: string) => `${d.prefix}:recording-agreed:${recordingId}`,
});

async function load(d: ConsentDeps, id: string): Promise<StoredRequest | null> {
  const k = keys(d);
  const [raw, answers] = await Promise.all([d.redis.get(k.request(id)), d.redis.hgetall(k.answers(id))]);
  if (!raw) return null;
  const stored = JSON.parse(raw) as StoredRequest;
  stored.view.participants = stored.view.participants.map((p) => ({
    ...p,
    answer: (answers[p.userId] as ConsentAnswer | undefined) ?? "PENDING",
  }));
  return stored;
}

async function save(d: ConsentDeps, stored: StoredRequest): Promise<void> {
  const ttl = Math.max(1000, Date.parse(stored.view.expiresAt) - Date.now()) + 60_000; // kept a minute past expiry for late readers
  await d.redis.set(keys(d).request(stored.view.id), JSON.stringify(stored), "PX", ttl);
}

async function agreedTo(d: ConsentDeps, recordingId: string, userIds: string[]): Promise<void> {
  if (!userIds.length) return;
  const k = keys(d).agreed(recordingId);
  await d.redis.sadd(k, ...userIds);
  await d.redis.expire(k, AGREED_TTL_S);
}

/** The people in the room other than `exceptUserId` (the recorder's own peer excluded), one entry per user. */
async function presentParticipants(d: ConsentDeps, roomKey: string, exceptUserId: string) {
  const api = await d.media();
  if (!(await api.hasRoom(roomKey))) throw new AppError(ErrorCode.INVALID_STATE, "房间尚未开始，无法录像");
  const { peers } = await api.snapshot(roomKey);
  const byUser = new Map<string, string>();
  for (const p of peers) if (p.role !== "RECORDER" && p.userId !== exceptUserId) byUser.set(p.userId, p.displayName);
  return [...byUser].map(([userId, name]) => ({ userId, name, answer: "PENDING" as ConsentAnswer }));
}

async function start(d: ConsentDeps, stored: StoredRequest): Promise<RecordingConsentView> {
  const { view } = stored;
  try {
    const rec = await startRecording(
      d,
      stored.requester,
      { subject: "CONSULTATION", subjectId: view.subjectId, consent: true },
      { consentRequestId: view.id },
    );
    await agreedTo(d, rec.id, [
      stored.requester.id,
      ...view.participants.filter((p) => p.answer === "AGREED").map((p) => p.userId),
    ]);
    view.status = "STARTED";
    view.recordingId = rec.id;
  } catch (e) {
    view.status = "FAILED";
    d.log.warn({ err: String(e), consentRequestId: view.id }, "recording after consent failed to start");
  }
  await save(d, stored);
  d.announceConsent?.(subjectRoomKey("CONSULTATION", view.subjectId), view);
  return view;
}

/** The specialist asks everyone present; with nobody else present the recording starts at once. */
export async function requestConsent(d: ConsentDeps, user: AuthUser, subjectId: string): Promise<RecordingConsentView> {
  const target = await controlTarget(d.db, user, "CONSULTATION", subjectId);
  const running = await d.db.recording.findFirst({
    where: { subject: "CONSULTATION", subjectId, status: "RECORDING" },
  });
  if (running) throw new AppError(ErrorCode.CONFLICT, "该房间正在录像", { details: { recordingId: running.id } });
  const k = keys(d);
  const pendingId = await d.redis.get(k.current(subjectId));
  const pending = pendingId ? await load(d, pendingId) : null;
  if (pending && pending.view.status === "PENDING" && Date.parse(pending.view.expiresAt) > Date.now()) {
    throw new AppError(ErrorCode.CONFLICT, "已在等待参与者同意录像", {
      details: { consentRequestId: pending.view.id },
    });
  }
  const participants = await presentParticipants(d, target.roomKey, user.id);
  const me = await d.db.user.findUniqueOrThrow({ where: { id: user.id }, select: { displayName: true } });
  const view: RecordingConsentView = {
    id: randomUUID(),
    subject: "CONSULTATION",
    subjectId,
    status: "PENDING",
    requestedBy: { userId: user.id, name: me.displayName },
    participants,
    recordingId: null,
    expiresAt: new Date(Date.now() + CONSENT_REQUEST_TTL_MS).toISOString(),
  };
  const stored: StoredRequest = { view, requester: user };
  await save(d, stored);
  await d.redis.set(k.current(subjectId), view.id, "PX", CONSENT_REQUEST_TTL_MS + 60_000);
  await audit(d.db, {
    action: "recording.consent.request",
    entityType: "Consultation",
    entityId: subjectId,
    outcome: "SUCCESS",
    detail: { consentRequestId: view.id, patientConsent: true, asked: participants.map((p) => p.userId) },
  });
  if (!participants.length) {
    await d.redis.set(k.settled(view.id), "1", "PX", CONSENT_REQUEST_TTL_MS + 60_000);
    return start(d, stored);
  }
  d.announceConsent?.(target.roomKey, view);
  // Unanswered requests lapse; this process tells the room (best effort: the client also knows expiresAt).
  setTimeout(() => void expire(d, view.id).catch(() => undefined), CONSENT_REQUEST_TTL_MS).unref();
  return view;
}

async function expire(d: ConsentDeps, id: string): Promise<void> {
  const stored = await load(d, id);
  if (!stored || stored.view.status !== "PENDING") return;
  if ((await d.redis.set(keys(d).settled(id), "1", "PX", 60_000, "NX")) !== "OK") return;
  stored.view.status = "EXPIRED";
  await save(d, stored);
  d.announceConsent?.(subjectRoomKey("CONSULTATION", stored.view.subjectId), stored.view);
}

/** A participant's answer to a request: all agreed → the recording starts; a refusal → it does not. */
export async function answerConsent(
  d: ConsentDeps,
  user: AuthUser,
  id: string,
  agree: boolean,
): Promise<RecordingConsentView> {
  const stored = await load(d, id);
  const mine = stored?.view.participants.find((p) => p.userId === user.id);
  if (!stored || !mine) throw notFound("录像请求");
  const { view } = stored;
  if (view.status !== "PENDING" || Date.parse(view.expiresAt) <= Date.now())
    throw new AppError(ErrorCode.INVALID_STATE, "该录像请求已结束", { details: { status: view.status } });
  if (mine.answer !== "PENDING") throw new AppError(ErrorCode.CONFLICT, "您已回复该录像请求");
  const k = keys(d);
  await d.redis.hset(k.answers(id), user.id, agree ? "AGREED" : "DECLINED");
  await d.redis.pexpire(k.answers(id), CONSENT_REQUEST_TTL_MS + 60_000);
  await audit(d.db, {
    action: "recording.consent",
    entityType: "Consultation",
    entityId: view.subjectId,
    outcome: "SUCCESS",
    detail: { consentRequestId: id, agree },
  });
  const now = (await load(d, id))!;
  const answers = now.view.participants.map((p) => p.answer);
  const declined = answers.includes("DECLINED");
  if (!declined && answers.some((a) => a === "PENDING")) {
    d.announceConsent?.(subjectRoomKey("CONSULTATION", view.subjectId), now.view);
    return now.view;
  }
  // Settled: the first request to get here decides; a concurrent one just reports.
  if ((await d.redis.set(k.settled(id), "1", "PX", CONSENT_REQUEST_TTL_MS + 60_000, "NX")) !== "OK") return now.view;
  if (declined) {
    now.view.status = "DECLINED";
    await save(d, now);
    d.announceConsent?.(subjectRoomKey("CONSULTATION", view.subjectId), now.view);
    return now.view;
  }
  return start(d, now);
}

/** The room's recording state: a pending request and the running recording with who agreed to it. */
export async function roomState(d: ConsentDeps, user: AuthUser, subjectId: string): Promise<RecordingRoomState> {
  await loadConsultation(d.db, user, subjectId, "recording.state");
  const k = keys(d);
  const pendingId = await d.redis.get(k.current(subjectId));
  const request = pendingId ? ((await load(d, pendingId))?.view ?? null) : null;
  const running = await d.db.recording.findFirst({
    where: { subject: "CONSULTATION", subjectId, status: "RECORDING" },
    orderBy: { startedAt: "desc" },
  });
  const agreedUserIds = running ? await d.redis.smembers(k.agreed(running.id)) : [];
  // Whoever started it agreed by starting it.
  return {
    request,
    recording: running
      ? { ...recordingDto(running), agreedUserIds: [...new Set([running.startedById, ...agreedUserIds])] }
      : null,
  };
}

/**
 * Someone who entered while the recording runs answers too: agreeing is recorded; refusing stops the recording
 * (the recorder would otherwise capture a person who said no).
 */
export async function answerRunning(
  d: ConsentDeps,
  user: AuthUser,
  recordingId: string,
  agree: boolean,
): Promise<RecordingRoomState> {
  const rec = await d.db.recording.findUnique({ where: { id: recordingId } });
  if (!rec || rec.subject !== "CONSULTATION") throw notFound("录像");
  const c = await loadConsultation(d.db, user, rec.subjectId, "recording.consent").catch((e) => {
    throw e instanceof AppError && e.code === ErrorCode.NOT_FOUND ? notFound("录像") : e;
  });
  // Only the people who can be in the room answer (refusing stops the recording): not administrators reading it.
  if (!c.participants.some((p) => p.userId === user.id) && !isTargetCoordinator(user, c)) {
    throw new AppError(ErrorCode.FORBIDDEN, "只有会诊参与者可以回应录像");
  }
  if (rec.status !== "RECORDING") throw new AppError(ErrorCode.INVALID_STATE, "该录像已停止");
  await audit(d.db, {
    action: "recording.consent",
    entityType: "Recording",
    entityId: recordingId,
    outcome: "SUCCESS",
    detail: { agree, joinedWhileRecording: true },
  });
  if (agree) await agreedTo(d, recordingId, [user.id]);
  else {
    const me = await d.db.user.findUnique({ where: { id: user.id }, select: { displayName: true } });
    await stopRunningRecording(d, recordingId, user, `${me?.displayName ?? "一位参与者"}不同意录像，录像已停止`);
  }
  return roomState(d, user, rec.subjectId);
}
