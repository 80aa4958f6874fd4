// The live session beyond media: Q&A with moderation, raised hands, and who may speak.
// Persisted in PostgreSQL (questions, hands); the current speakers are also a Redis set so that every media
// node can check "may this viewer produce?" on each produce request without a database round trip.
import type { Redis } from "ioredis";
import {
  AppError,
  ErrorCode,
  trainingRooms,
  rooms,
  type MediaSource,
  type ModerateQuestionPayload,
  type ServerToClientEvents,
  type TrainingHandView,
  type TrainingQuestionView,
} from "@yilian/contract";
import type { Prisma, TrainingHandRaise, TrainingQuestion } from "@prisma/client";
import { sharedRead, sqlOf, type Db } from "../db";
import { audit } from "../audit/audit";
import type { AuthUser } from "../authz/principal";
import { isLecturer, loadVisibleSession, type SessionRow } from "./session-access";
import { roomKeyOf } from "@yilian/media/api";
import { countPost } from "../realtime/post-limit";

export interface EventSink {
  to(room: string | string[]): {
    except?(room: string | string[]): {
      emit<E extends keyof ServerToClientEvents>(ev: E, ...args: Parameters<ServerToClientEvents[E]>): unknown;
    };
    emit<E extends keyof ServerToClientEvents>(ev: E, ...args: Parameters<ServerToClientEvents[E]>): unknown;
  };
}

/** What the media side offers the training domain: close a demoted viewer's producers wherever they are. */
export interface TrainingMediaHooks {
  closeProducersOf(sessionId: string, userId: string): Promise<void>;
  /** Ends the session's media room for everyone (and with it a running recording). */
  closeRoom(sessionId: string): Promise<void>;
  /** Pauses (or resumes) the viewer's video in the broadcast; false when they are not in the media room. */
  setAudioOnly?(sessionId: string, userId: string, on: boolean): Promise<boolean>;
}

export class TrainingLive {
  media: TrainingMediaHooks | null = null;

  constructor(private readonly deps: { db: Db; redis: Redis; redisPrefix: string; sink: EventSink }) {}

  private speakersKey(sessionId: string) {
    return `${this.deps.redisPrefix}:training:${sessionId}:speakers`;
  }

  // ---------------------------------------------------------------------------------------- permissions

  /**
   * The per-produce check: lecturers publish camera, microphone and screen; a promoted viewer audio and video
   * (no screen); everyone else only consumes. Throws FORBIDDEN with a zh-CN message.
   */
  async assertMayProduce(sessionId: string, userId: string, source: MediaSource): Promise<void> {
    const session = await this.deps.db.trainingSession.findUnique({
      where: { id: sessionId },
      include: { lecturers: true },
    });
    if (!session) throw new AppError(ErrorCode.NOT_FOUND, "未找到该培训");
    if (session.status !== "LIVE" && session.status !== "SCHEDULED")
      throw new AppError(ErrorCode.INVALID_STATE, "本次培训已结束");
    if (isLecturer(session, userId)) return;
    if (source === "screen") throw new AppError(ErrorCode.FORBIDDEN, "只有授课专家可以共享屏幕");
    if (await this.isSpeaker(sessionId, userId)) return;
    throw new AppError(ErrorCode.FORBIDDEN, "观众只能观看，请先举手并等待授课专家允许发言");
  }

  async isSpeaker(sessionId: string, userId: string): Promise<boolean> {
    return (await this.deps.redis.sismember(this.speakersKey(sessionId), userId)) === 1;
  }

  async speakers(sessionId: string): Promise<string[]> {
    return this.deps.redis.smembers(this.speakersKey(sessionId));
  }

  // ---------------------------------------------------------------------------------------- Q&A

  async ask(user: AuthUser, sessionId: string, text: string): Promise<TrainingQuestionView> {
    const { session } = await loadVisibleSession(this.deps.db, user, sessionId);
    if (session.status === "CANCELLED" || session.status === "ENDED")
      throw new AppError(ErrorCode.INVALID_STATE, "本次培训已结束，不能再提问");
    await countPost(this.deps.redis, this.deps.redisPrefix, roomKeyOf("training", sessionId), user.id);
    const q = await this.deps.db.$transaction(async (tx) => {
      const created = await tx.trainingQuestion.create({
        data: { sessionId, authorId: user.id, institutionId: user.institutionId, text },
      });
      await audit(tx, {
        action: "training.question.ask",
        entityType: "TrainingQuestion",
        entityId: created.id,
        outcome: "SUCCESS",
      });
      return created;
    });
    const [view] = await this.questionViews([q]);
    this.emit(trainingRooms.all(sessionId), "training:question", view!);
    return view!;
  }

  async moderate(user: AuthUser, p: ModerateQuestionPayload): Promise<TrainingQuestionView> {
    const q = await this.deps.db.trainingQuestion.findUnique({ where: { id: p.questionId } });
    if (!q) throw new AppError(ErrorCode.NOT_FOUND, "未找到该问题");
    const { manages } = await loadVisibleSession(this.deps.db, user, q.sessionId).catch(() => {
      throw new AppError(ErrorCode.NOT_FOUND, "未找到该问题");
    });
    if (!manages) throw new AppError(ErrorCode.FORBIDDEN, "只有授课专家或主持人可以管理提问");
    const data: Prisma.TrainingQuestionUpdateInput = { moderatedById: user.id };
    if (p.action === "hide") data.status = "HIDDEN";
    if (p.action === "show") data.status = "VISIBLE";
    if (p.action === "pin") data.pinned = true;
    if (p.action === "unpin") data.pinned = false;
    if (p.action === "answer") Object.assign(data, { answer: p.answer, answeredById: user.id, answeredAt: new Date() });
    const updated = await this.deps.db.$transaction(async (tx) => {
      const u = await tx.trainingQuestion.update({ where: { id: q.id }, data });
      await audit(tx, {
        action: `training.question.${p.action}`,
        entityType: "TrainingQuestion",
        entityId: q.id,
        outcome: "SUCCESS",
      });
      return u;
    });
    const [view] = await this.questionViews([updated]);
    if (updated.status === "HIDDEN") {
      // Viewers only learn that it is gone, never its text; moderators keep seeing it.
      this.emit(trainingRooms.moderators(q.sessionId), "training:question", view!);
      this.emitExcept(
        trainingRooms.all(q.sessionId),
        trainingRooms.moderators(q.sessionId),
        "training:question-removed",
        { sessionId: q.sessionId, questionId: q.id },
      );
    } else {
      this.emit(trainingRooms.all(q.sessionId), "training:question", view!);
    }
    return view!;
  }

  async listQuestions(
    user: AuthUser,
    sessionId: string,
    opts: { includeHidden?: boolean; limit: number; offset: number },
  ) {
    const { manages } = await loadVisibleSession(this.deps.db, user, sessionId);
    return this.questionsOf(sessionId, { ...opts, includeHidden: manages && opts.includeHidden });
  }

  /**
   * A page of a session's questions, for a caller whose access is already checked (hidden ones for moderators).
   * The viewers' page is the same for all of them: viewers entering together (a lecture's start, a re-entry after
   * a lost server process) share one read.
   */
  async questionsOf(sessionId: string, opts: { includeHidden?: boolean; limit: number; offset: number }) {
    const where: Prisma.TrainingQuestionWhereInput = {
      sessionId,
      ...(opts.includeHidden ? {} : { status: "VISIBLE" }),
    };
    const read = async () => {
      const [rows, total] = await Promise.all([
        this.deps.db.trainingQuestion.findMany({
          where,
          orderBy: [{ pinned: "desc" }, { createdAt: "desc" }],
          take: opts.limit,
          skip: opts.offset,
        }),
        this.deps.db.trainingQuestion.count({ where }),
      ]);
      return { items: await this.questionViews(rows), total, limit: opts.limit, offset: opts.offset };
    };
    if (opts.includeHidden) return read();
    return sharedRead(this.deps.db, `training-questions:${sessionId}:${opts.limit}:${opts.offset}`, read);
  }

  async questionViews(rows: TrainingQuestion[]): Promise<TrainingQuestionView[]> {
    const people = await this.people(rows.map((r) => r.authorId));
    return rows.map((q) => ({
      id: q.id,
      sessionId: q.sessionId,
      author: people.get(q.authorId) ?? { id: q.authorId, displayName: "", institutionName: "" },
      text: q.text,
      status: q.status,
      pinned: q.pinned,
      answer: q.answer,
      answeredAt: q.answeredAt?.toISOString() ?? null,
      createdAt: q.createdAt.toISOString(),
    }));
  }

  // ---------------------------------------------------------------------------------------- hands

  async raiseHand(user: AuthUser, sessionId: string): Promise<TrainingHandView> {
    const { session } = await loadVisibleSession(this.deps.db, user, sessionId);
    if (isLecturer(session, user.id)) throw new AppError(ErrorCode.INVALID_STATE, "授课专家无需举手");
    if (session.status !== "LIVE") throw new AppError(ErrorCode.INVALID_STATE, "直播开始后才能举手");
    const open = await this.deps.db.trainingHandRaise.findFirst({
      where: { sessionId, userId: user.id, status: { in: ["RAISED", "PROMOTED"] } },
    });
    const hand =
      open ??
      (await this.deps.db.trainingHandRaise.create({ data: { sessionId, userId: user.id } }).catch(async (e) => {
        // Two clicks at once: the partial unique index keeps one open hand; return it.
        const again = await this.deps.db.trainingHandRaise.findFirst({
          where: { sessionId, userId: user.id, status: { in: ["RAISED", "PROMOTED"] } },
        });
        if (!again) throw e;
        return again;
      }));
    const [view] = await this.handViews([hand]);
    this.emit([trainingRooms.moderators(sessionId), rooms.user(user.id)], "training:hand", view!);
    return view!;
  }

  /** The viewer lowers their own hand; if they were speaking, that ends too. */
  async lowerHand(user: AuthUser, sessionId: string): Promise<void> {
    await loadVisibleSession(this.deps.db, user, sessionId);
    await this.closeHand(sessionId, user.id, "LOWERED", user.id);
  }

  async promote(user: AuthUser, sessionId: string, targetId: string): Promise<void> {
    const session = await this.loadModerated(user, sessionId);
    if (session.status !== "LIVE") throw new AppError(ErrorCode.INVALID_STATE, "直播开始后才能允许观众发言");
    const hand = await this.deps.db.trainingHandRaise.findFirst({
      where: { sessionId, userId: targetId, status: { in: ["RAISED", "PROMOTED"] } },
    });
    if (!hand) throw new AppError(ErrorCode.NOT_FOUND, "该观众没有举手");
    if (hand.status === "RAISED") {
      await this.deps.db.$transaction(async (tx) => {
        await tx.trainingHandRaise.update({
          where: { id: hand.id },
          data: { status: "PROMOTED", promotedAt: new Date(), promotedById: user.id },
        });
        await audit(tx, {
          action: "training.promote",
          entityType: "TrainingSession",
          entityId: sessionId,
          outcome: "SUCCESS",
          detail: { userId: targetId },
        });
      });
    }
    await this.deps.redis.sadd(this.speakersKey(sessionId), targetId);
    await this.deps.redis.expire(this.speakersKey(sessionId), 24 * 3600);
    const [view] = await this.handViews([{ ...hand, status: "PROMOTED" }]);
    this.emit([trainingRooms.moderators(sessionId), rooms.user(targetId)], "training:hand", view!);
    this.emit(trainingRooms.all(sessionId), "training:speaker", { sessionId, userId: targetId, speaking: true });
  }

  async demote(user: AuthUser, sessionId: string, targetId: string): Promise<void> {
    await this.loadModerated(user, sessionId);
    await this.closeHand(sessionId, targetId, "DEMOTED", user.id, true);
  }

  /** Ends a hand (lowered, demoted or dismissed): no longer a speaker, their producers are closed. */
  private async closeHand(
    sessionId: string,
    userId: string,
    status: "LOWERED" | "DEMOTED",
    actorId: string,
    mustExist = false,
  ) {
    const hand = await this.deps.db.trainingHandRaise.findFirst({
      where: { sessionId, userId, status: { in: ["RAISED", "PROMOTED"] } },
    });
    const wasSpeaker = (await this.deps.redis.srem(this.speakersKey(sessionId), userId)) === 1;
    if (!hand && !wasSpeaker) {
      if (mustExist) throw new AppError(ErrorCode.NOT_FOUND, "该观众当前没有发言");
      return;
    }
    const final = hand?.status === "RAISED" && status === "DEMOTED" ? "DISMISSED" : status;
    if (hand) {
      await this.deps.db.$transaction(async (tx) => {
        await tx.trainingHandRaise.update({ where: { id: hand.id }, data: { status: final, endedAt: new Date() } });
        await audit(tx, {
          action: `training.hand.${final.toLowerCase()}`,
          entityType: "TrainingSession",
          entityId: sessionId,
          outcome: "SUCCESS",
          actorId,
          detail: { userId },
        });
      });
    }
    // The server enforces the demotion: whatever the client does, its producers go.
    await this.media
      ?.closeProducersOf(sessionId, userId)
      .catch((e: Error) => console.error(`closing producers failed: ${e.message}`));
    if (hand) {
      const [view] = await this.handViews([{ ...hand, status: final }]);
      this.emit([trainingRooms.moderators(sessionId), rooms.user(userId)], "training:hand", view!);
    }
    if (wasSpeaker || hand?.status === "PROMOTED")
      this.emit(trainingRooms.all(sessionId), "training:speaker", { sessionId, userId, speaking: false });
  }

  /** Open hands of a session, or one person's (asked by every viewer entering: plain SQL). */
  async openHands(sessionId: string, forUserId: string | null): Promise<TrainingHandView[]> {
    const { rows } = await sqlOf(this.deps.db).query<
      Pick<TrainingHandRaise, "sessionId" | "userId" | "status" | "raisedAt">
    >(
      `SELECT "sessionId", "userId", status, "raisedAt" FROM "TrainingHandRaise"
        WHERE "sessionId" = $1::uuid AND status IN ('RAISED', 'PROMOTED') AND ($2::uuid IS NULL OR "userId" = $2::uuid)
        ORDER BY "raisedAt"`,
      [sessionId, forUserId],
    );
    return this.handViews(rows);
  }

  /** Session end: nobody keeps speaking rights. */
  async clearSpeakers(sessionId: string): Promise<void> {
    await this.deps.redis.del(this.speakersKey(sessionId));
    await this.deps.db.trainingHandRaise.updateMany({
      where: { sessionId, status: { in: ["RAISED", "PROMOTED"] } },
      data: { status: "DISMISSED", endedAt: new Date() },
    });
  }

  private async loadModerated(user: AuthUser, sessionId: string): Promise<SessionRow> {
    const { session, manages } = await loadVisibleSession(this.deps.db, user, sessionId);
    if (!manages) throw new AppError(ErrorCode.FORBIDDEN, "只有授课专家或主持人可以管理发言");
    return session;
  }

  private async handViews(
    rows: Pick<TrainingHandRaise, "sessionId" | "userId" | "status" | "raisedAt">[],
  ): Promise<TrainingHandView[]> {
    const people = await this.people(rows.map((r) => r.userId));
    return rows.map((h) => ({
      sessionId: h.sessionId,
      user: people.get(h.userId) ?? { id: h.userId, displayName: "", institutionName: "" },
      status: h.status,
      raisedAt: h.raisedAt.toISOString(),
    }));
  }

  private async people(ids: string[]) {
    if (!ids.length) return new Map<string, { id: string; displayName: string; institutionName: string }>();
    const users = await this.deps.db.user.findMany({
      where: { id: { in: [...new Set(ids)] } },
      select: { id: true, displayName: true, institution: { select: { name: true } } },
    });
    return new Map(
      users.map((u) => [u.id, { id: u.id, displayName: u.displayName, institutionName: u.institution.name }]),
    );
  }

  // Never throws: a lost live event must not turn a committed change into an error.
  private emit<E extends keyof ServerToClientEvents>(
    room: string | string[],
    ev: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ) {
    try {
      this.deps.sink.to(room).emit(ev, ...args);
    } catch (e) {
      console.error(`training event ${ev} failed: ${(e as Error).message}`);
    }
  }

  private emitExcept<E extends keyof ServerToClientEvents>(
    room: string,
    except: string,
    ev: E,
    ...args: Parameters<ServerToClientEvents[E]>
  ) {
    try {
      const target = this.deps.sink.to(room);
      (target.except ? target.except(except) : target).emit(ev, ...args);
    } catch (e) {
      console.error(`training event ${ev} failed: ${(e as Error).message}`);
    }
  }
}
