// Socket.IO handlers of a live training session: enter/leave (presence → attendance), Q&A, raised hands.
// Media (publish/consume) goes through the media signalling with room kind "training"; its access resolver
// and per-produce check call into this domain (see media-access.ts).
import { randomUUID } from "node:crypto";
import {
  AppError,
  AskQuestionPayload,
  AudioOnlyPayload,
  ErrorCode,
  HandTargetPayload,
  ModerateQuestionPayload,
  TrainingSessionRef,
  trainingRooms,
  type TrainingJoinInfo,
} from "@yilian/contract";
import type { Socket } from "socket.io";
import type { Db } from "../db";
import { handleAck } from "../realtime/ack";
import { parseOrThrow } from "../http/validate";
import type { AuthUser } from "../authz/principal";
import { enterSession } from "./enter";
import { recordPresence } from "./presence";
import type { TrainingLive } from "./live";

const SESSION_ROOM = /^training:([0-9a-f-]{36})$/;

/** Per socket: the sessions it is in and the presence connection id of each (a JOIN and its LEAVE share it). */
const joined = new WeakMap<Socket, Map<string, string>>();

export function registerTrainingHandlers(
  socket: Socket,
  deps: {
    db: Db;
    live: TrainingLive /** Presence writes outliving their request; awaited on shutdown. */;
    track: (p: Promise<unknown>) => void;
  },
): void {
  const { db, live, track } = deps;
  const user = socket.data.user as AuthUser;
  const mine = new Map<string, string>();
  joined.set(socket, mine);

  const arrive = async (sessionId: string) => {
    const connectionId = randomUUID();
    mine.set(sessionId, connectionId);
    await recordPresence(db, sessionId, { userId: user.id, institutionId: user.institutionId }, "JOIN", connectionId);
  };
  const depart = async (sessionId: string) => {
    const connectionId = mine.get(sessionId);
    if (!connectionId) return;
    mine.delete(sessionId);
    await recordPresence(db, sessionId, { userId: user.id, institutionId: user.institutionId }, "LEAVE", connectionId);
  };

  // A connection recovered after a short drop keeps its rooms: it is present again from now.
  if (socket.recovered) {
    for (const room of socket.rooms) {
      const m = SESSION_ROOM.exec(room);
      if (m) track(arrive(m[1]!).catch((e: Error) => console.error(`training presence failed: ${e.message}`)));
    }
  }

  socket.on("training:join", (payload: unknown, ack: unknown) =>
    handleAck(ack, async (): Promise<TrainingJoinInfo> => {
      const { sessionId } = parseOrThrow(TrainingSessionRef, payload, "payload");
      const { view, manages, lecturer } = await enterSession(db, user, sessionId);
      await socket.join(trainingRooms.all(sessionId));
      if (manages) await socket.join(trainingRooms.moderators(sessionId));
      // Lecturers are not trainees: their presence is not attendance.
      if (!lecturer && !mine.has(sessionId)) await arrive(sessionId);
      const [questions, hands, speakers] = await Promise.all([
        live.questionsOf(sessionId, { includeHidden: manages, limit: 200, offset: 0 }),
        live.openHands(sessionId, manages ? null : user.id),
        live.speakers(sessionId),
      ]);
      return {
        session: view,
        role: lecturer ? "LECTURER" : manages ? "MODERATOR" : "VIEWER",
        questions: questions.items,
        hands,
        speakers,
      };
    }),
  );

  socket.on("training:leave", (payload: unknown, ack: unknown) =>
    handleAck(ack, async () => {
      const { sessionId } = parseOrThrow(TrainingSessionRef, payload, "payload");
      await depart(sessionId);
      await socket.leave(trainingRooms.all(sessionId));
      await socket.leave(trainingRooms.moderators(sessionId));
      return null;
    }),
  );

  socket.on("training:ask", (payload: unknown, ack: unknown) =>
    handleAck(ack, async () => {
      const p = parseOrThrow(AskQuestionPayload, payload, "payload");
      if (!socket.rooms.has(trainingRooms.all(p.sessionId)))
        throw new AppError(ErrorCode.INVALID_STATE, "请先进入培训直播间再提问");
      return live.ask(user, p.sessionId, p.text);
    }),
  );

  socket.on("training:moderate", (payload: unknown, ack: unknown) =>
    handleAck(ack, () => live.moderate(user, parseOrThrow(ModerateQuestionPayload, payload, "payload"))),
  );

  socket.on("training:hand-raise", (payload: unknown, ack: unknown) =>
    handleAck(ack, async () => {
      const { sessionId } = parseOrThrow(TrainingSessionRef, payload, "payload");
      if (!socket.rooms.has(trainingRooms.all(sessionId)))
        throw new AppError(ErrorCode.INVALID_STATE, "请先进入培训直播间再举手");
      return live.raiseHand(user, sessionId);
    }),
  );

  socket.on("training:hand-lower", (payload: unknown, ack: unknown) =>
    handleAck(ack, async () => {
      const { sessionId } = parseOrThrow(TrainingSessionRef, payload, "payload");
      await live.lowerHand(user, sessionId);
      return null;
    }),
  );

  socket.on("training:promote", (payload: unknown, ack: unknown) =>
    handleAck(ack, async () => {
      const p = parseOrThrow(HandTargetPayload, payload, "payload");
      await live.promote(user, p.sessionId, p.userId);
      return null;
    }),
  );

  socket.on("training:demote", (payload: unknown, ack: unknown) =>
    handleAck(ack, async () => {
      const p = parseOrThrow(HandTargetPayload, payload, "payload");
      await live.demote(user, p.sessionId, p.userId);
      return null;
    }),
  );

  socket.on("training:audio-only", (payload: unknown, ack: unknown) =>
    handleAck(ack, async () => {
      const p = parseOrThrow(AudioOnlyPayload, payload, "payload");
      if (!socket.rooms.has(trainingRooms.all(p.sessionId)))
        throw new AppError(ErrorCode.INVALID_STATE, "请先进入培训直播间");
      const done = await live.media?.setAudioOnly?.(p.sessionId, user.id, p.enabled);
      if (!done) throw new AppError(ErrorCode.INVALID_STATE, "尚未连接音视频，请稍后再试");
      return null;
    }),
  );

  socket.on("disconnect", () => {
    for (const sessionId of [...mine.keys()]) {
      track(depart(sessionId).catch((e: Error) => console.error(`training presence failed: ${e.message}`)));
    }
  });
}
