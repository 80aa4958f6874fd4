// Signalling for live rooms: `media:*` events with typed acks. Every request is parsed with its schema from
// the contract, applies to the socket's one room, and is checked against the peer's grant (produce per source).
import {
  AppError,
  ErrorCode,
  MediaChatSendRequest,
  MediaConnectTransportRequest,
  MediaConsumeRequest,
  MediaConsumerRequest,
  MediaCreateTransportRequest,
  MediaJoinRequest,
  MediaProduceRequest,
  MediaProducerRequest,
  MediaReadyRequest,
  MediaResetTransportsRequest,
  MediaRestartIceRequest,
  MediaSetPreferredLayersRequest,
  type MediaChatMessage,
  type MediaResetTransportsResult,
  type MediaRestartIceResult,
} from "@yilian/contract";
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { Socket } from "socket.io";
import { handleAck } from "../realtime/ack";
import type { IoServer } from "../realtime/io";
import { parseOrThrow } from "../http/validate";
import { audit } from "../audit/audit";
import type { Db } from "../db";
import { roomChannel, type MediaHub, type PeerSession } from "./hub";
import { roomEntity } from "./access";
import { chatMessageId, type ChatLog } from "./chat-log";
import type { PostLimiter } from "../realtime/post-limit";
import { iceServersFor } from "../turn/credentials";
import { getConfig } from "../config";
import { routerRtpCapabilities } from "@yilian/media";

export interface MediaHandlerDeps {
  hub: MediaHub;
  db: Db;
  /** One per process: chat writes are batched across its sockets. */
  chatLog: ChatLog;
  /** One per process: its own count admits a message before Redis counts it. */
  postLimiter: PostLimiter;
}

type AnySocket = Pick<Socket, "id" | "on" | "join" | "leave" | "to"> & {
  data: { user: import("../authz/principal").AuthUser };
};

export function registerMediaHandlers(_io: IoServer, socket: AnySocket, deps: MediaHandlerDeps): void {
  const { hub, db } = deps;
  const user = socket.data.user;

  const session = (): PeerSession => {
    const s = hub.sessionOfSocket(socket.id);
    if (!s) throw new AppError(ErrorCode.INVALID_STATE, "请先加入房间");
    return s;
  };

  /** Registers a request: the payload (when the event has one) is parsed first; the ack gets data or a typed error. */
  function handle<S extends z.ZodType | null>(
    event: string,
    schema: S,
    run: (req: S extends z.ZodType ? z.output<S> : undefined) => Promise<unknown>,
  ) {
    socket.on(event, (...args: unknown[]) => {
      const ack = args[args.length - 1];
      void handleAck(ack, () =>
        run((schema ? parseOrThrow(schema, args.length > 1 ? args[0] : undefined, "payload") : undefined) as never),
      );
    });
  }

  handle("media:join", MediaJoinRequest, async (req) => {
    const result = await hub.join(user, socket.id, req.kind, req.roomId, req.resumeKey, req.rtpCapabilities);
    await socket.join(roomChannel(result.roomKey));
    // TURN credentials per user and join: the way through firewalls that only let TCP 443 out.
    return { ...result, ...iceServersFor(getConfig(), user.id) };
  });

  // Static (they follow from the codecs): no room, no media worker needed to answer.
  handle("media:capabilities", null, () => routerRtpCapabilities());

  handle("media:ready", MediaReadyRequest, async (req) => {
    const s = session();
    return (await hub.media()).consumeAll(s.roomKey, s.peerId, req);
  });

  handle("media:getRouterRtpCapabilities", null, async () => {
    const s = session();
    return (await hub.media()).getRouterRtpCapabilities(s.roomKey);
  });

  handle("media:createTransport", MediaCreateTransportRequest, async (req) => {
    const s = session();
    return (await hub.media()).createTransport(s.roomKey, s.peerId, req.direction);
  });

  handle("media:connectTransport", MediaConnectTransportRequest, async (req) => {
    const s = session();
    await (await hub.media()).connectTransport(s.roomKey, s.peerId, req.transportId, req.dtlsParameters);
    return null;
  });

  handle("media:produce", MediaProduceRequest, async (req) => {
    const s = session();
    // Server-side permission per produce: the room kind's produce check (training: promoted viewers), else the
    // grant from the room kind's access rule.
    await hub.access.checkProduce(user, s.grant, req.source);
    return (await hub.media()).produce(s.roomKey, s.peerId, req);
  });

  handle("media:consume", MediaConsumeRequest, async (req) => {
    const s = session();
    return (await hub.media()).consume(s.roomKey, s.peerId, req);
  });

  handle("media:resumeConsumer", MediaConsumerRequest, async (req) => {
    const s = session();
    await (await hub.media()).resumeConsumer(s.roomKey, s.peerId, req.consumerId);
    return null;
  });

  handle("media:setPreferredLayers", MediaSetPreferredLayersRequest, async (req) => {
    const s = session();
    await (await hub.media()).setPreferredLayers(s.roomKey, s.peerId, req.consumerId, req);
    return null;
  });

  handle("media:pauseProducer", MediaProducerRequest, async (req) => {
    const s = session();
    await (await hub.media()).pauseProducer(s.roomKey, s.peerId, req.producerId);
    return null;
  });

  handle("media:resumeProducer", MediaProducerRequest, async (req) => {
    const s = session();
    await (await hub.media()).resumeProducer(s.roomKey, s.peerId, req.producerId);
    return null;
  });

  handle("media:closeProducer", MediaProducerRequest, async (req) => {
    const s = session();
    await (await hub.media()).closeProducer(s.roomKey, s.peerId, req.producerId);
    return null;
  });

  handle("media:restartIce", MediaRestartIceRequest, async (req) => {
    const s = session();
    const { iceParameters } = await (await hub.media()).restartIce(s.roomKey, s.peerId, req.transportId);
    // Fresh TURN credentials with every restart: a long call outlives the ones it joined with.
    return { iceParameters, ...iceServersFor(getConfig(), user.id) } satisfies MediaRestartIceResult;
  });

  handle("media:resetTransports", MediaResetTransportsRequest, async (req) => {
    const s = session();
    const api = await hub.media();
    // The client rebuilds (its direct path failed and it goes TURN-only, or the room's media restarted): its old
    // transports (and what ran over them) go now; the others see its producers close and come back.
    await api.resetPeerMedia(s.roomKey, s.peerId);
    const setup = await hub.setupMedia(s.roomKey, s, req.rtpCapabilities);
    return { ...setup, ...iceServersFor(getConfig(), user.id) } satisfies MediaResetTransportsResult;
  });

  handle("media:chat:send", MediaChatSendRequest, async (req) => {
    const s = session();
    if (!s.grant.permissions.chat) throw new AppError(ErrorCode.FORBIDDEN, "您在此房间中不能发言");
    deps.postLimiter.admit(s.roomKey, user.id);
    const message: MediaChatMessage = {
      id: req.clientRef ? chatMessageId(user.id, s.grant.roomId, req.clientRef) : randomUUID(),
      senderId: user.id,
      senderName: s.grant.displayName,
      text: req.text,
      sentAt: deps.chatLog.sentAt().toISOString(),
    };
    // The room sees an accepted message at once, while it is written (a conversation should not wait on the disk);
    // its sender hears back only after the commit, so an acknowledged message is never lost. A failed write, or the
    // cluster-wide count refusing it, takes it back off the others' screens.
    const others = socket.to(roomChannel(s.roomKey));
    others.emit("media:chat", message);
    try {
      // Counted across the cluster before it is stored: the same person posting through another server process.
      await deps.postLimiter.count(s.roomKey, user.id);
      // The message and its audit row commit together (chat in a consultation may name the patient).
      const stored = await deps.chatLog.write(
        {
          id: message.id,
          roomKind: s.grant.kind === "consultation" ? "CONSULTATION" : "TRAINING",
          roomId: s.grant.roomId,
          senderId: user.id,
          text: message.text,
          sentAt: new Date(message.sentAt),
          named: !!req.clientRef,
        },
        {
          action: "media.chat.send",
          entityType: roomEntity(s.grant.kind),
          entityId: s.grant.roomId,
          outcome: "SUCCESS",
          actorId: user.id,
          actorInstitutionId: user.institutionId,
          detail: { messageId: message.id },
        },
      );
      return { ...message, text: stored.text, sentAt: stored.sentAt.toISOString() };
    } catch (e) {
      others.emit("media:chat:withdrawn", { id: message.id });
      throw e;
    }
  });

  handle("media:chat:history", null, async () => {
    const s = session();
    const kind = s.grant.kind === "consultation" ? "CONSULTATION" : "TRAINING";
    const rows = await db.roomChatMessage.findMany({
      where: { roomKind: kind, roomId: s.grant.roomId },
      orderBy: { sentAt: "desc" },
      take: 200,
    });
    const names = new Map(
      (
        await db.user.findMany({
          where: { id: { in: [...new Set(rows.map((r) => r.senderId))] } },
          select: { id: true, displayName: true },
        })
      ).map((u) => [u.id, u.displayName]),
    );
    await audit(db, {
      action: "media.chat.read",
      entityType: roomEntity(s.grant.kind),
      entityId: s.grant.roomId,
      outcome: "SUCCESS",
      actorId: user.id,
      actorInstitutionId: user.institutionId,
      detail: { messages: rows.length },
    });
    return rows.reverse().map((r) => ({
      id: r.id,
      senderId: r.senderId,
      senderName: names.get(r.senderId) ?? "",
      text: r.text,
      sentAt: r.sentAt.toISOString(),
    }));
  });

  handle("media:leave", null, async () => {
    const s = hub.sessionOfSocket(socket.id);
    if (s) {
      await socket.leave(roomChannel(s.roomKey));
      await hub.removePeer(s);
    }
    return null;
  });

  socket.on("disconnect", (reason: string) => {
    // "client namespace disconnect": the user closed the call on purpose; anything else may come back.
    hub.socketGone(socket.id, reason === "client namespace disconnect" || reason === "server namespace disconnect");
  });
}
