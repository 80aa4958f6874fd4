// The server's side of live rooms: admission (RoomAccess), the media backend (in-process MediaService by
// default, or a media node found through Redis), and the peer sessions that bind a signalling socket to a
// media peer — kept through a short grace window when the network drops, so a reconnect resumes the peer.
import { randomBytes, randomUUID } from "node:crypto";
import type pino from "pino";
import type { Redis } from "ioredis";
import {
  AppError,
  ErrorCode,
  type MediaIceServers,
  type MediaJoinResult,
  type MediaSetup,
  type MediaProducerInfo,
  type MediaSource,
  type RoomKind,
} from "@yilian/contract";
import { parseRoomKey, type MediaApi, type MediaEvent } from "@yilian/media/api";
import type { Config } from "../config";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import type { IoServer } from "../realtime/io";
import { RoomAccess, type RoomGrant } from "./access";
import { createMediaBackend } from "./backend";

export interface PeerSession {
  peerId: string;
  roomKey: string;
  user: AuthUser;
  grant: RoomGrant;
  resumeKey: string;
  /** The socket currently bound; null while the peer waits out its grace window. */
  socketId: string | null;
  graceTimer?: NodeJS.Timeout;
  /** The room's media was rebuilt (worker replaced) while this peer was away: it must rebuild on resume. */
  mediaReset?: boolean;
  /** With media nodes: the node this peer's media lives on (a training session may span several). */
  nodeId?: string;
}

export const roomChannel = (roomKey: string) => `media:${roomKey}`;

export interface MediaHubDeps {
  config: Config;
  db: Db;
  redis: Redis;
  logger: pino.Logger;
}

export class MediaHub {
  readonly access: RoomAccess;
  private backend?: Promise<MediaApi>;
  private io?: IoServer;
  private readonly sessions = new Map<string, PeerSession>();
  private readonly bySocket = new Map<string, string>();
  private closed = false;

  constructor(private readonly deps: MediaHubDeps) {
    this.access = new RoomAccess(deps.db);
  }

  attach(io: IoServer): void {
    this.io = io;
  }

  /** The media backend, started on first use (a server that never hosts a call never spawns workers). */
  media(): Promise<MediaApi> {
    if (this.closed) return Promise.reject(new AppError(ErrorCode.UNAVAILABLE));
    if (!this.backend) {
      this.backend = createMediaBackend(this.deps).then((api) => {
        api.onEvent((e) => {
          // A media node died (remote.ts's watchdog): this process's peers on it move before anyone is told.
          if (e.name === "media:restart" && e.payload.reason === "node-lost") void this.moveOffLostNode(e.roomKey, e.nodeId);
          else this.route(e);
        });
        return api;
      });
      this.backend.catch((err) => {
        this.deps.logger.error({ err: String(err) }, "media service failed to start");
        this.backend = undefined;
      });
    }
    return this.backend.catch(() => {
      throw new AppError(ErrorCode.UNAVAILABLE, "音视频服务暂时不可用，请稍后再试");
    });
  }

  /** Whether the backend was started (tests, diagnostics). */
  get started(): Promise<MediaApi> | undefined {
    return this.backend;
  }

  sessionOfSocket(socketId: string): PeerSession | undefined {
    const peerId = this.bySocket.get(socketId);
    return peerId ? this.sessions.get(peerId) : undefined;
  }

  /** Sends media events to the sockets of the room's peers (any server process, through the Redis adapter). */
  private route(e: MediaEvent): void {
    const io = this.io;
    // While stopping, the Socket.IO adapter's Redis clients may already be closed: nothing is sent any more.
    if (!io || this.closed) return;
    // A session spanning media nodes: each node's events are for the peers whose media lives on that node.
    const inRoom = [...this.sessions.values()].filter((s) => s.roomKey === e.roomKey);
    const spanning = !!e.nodeId && inRoom.some((s) => s.nodeId !== e.nodeId);
    const audience = spanning ? inRoom.filter((s) => s.nodeId === e.nodeId) : inRoom;
    if (e.toPeerId) {
      const sid = this.sessions.get(e.toPeerId)?.socketId;
      if (sid) io.to(sid).emit(e.name, e.payload as never);
    } else if (spanning) {
      for (const s of audience) if (s.socketId && s.peerId !== e.exceptPeerId) io.to(s.socketId).emit(e.name, e.payload as never);
    } else {
      const except = e.exceptPeerId ? this.sessions.get(e.exceptPeerId)?.socketId : null;
      // Local sockets only: with media nodes every server process receives every event and serves its own sockets.
      const room = io.local.to(roomChannel(e.roomKey));
      (except ? room.except(except) : room).emit(e.name, e.payload as never);
    }
    if (e.name === "media:restart") {
      for (const s of audience) if (!s.socketId) s.mediaReset = true;
    }
    if (e.name === "media:roomClosed") {
      if (spanning) {
        for (const s of audience) {
          if (s.socketId) io.in(s.socketId).socketsLeave(roomChannel(e.roomKey));
          this.forget(s);
        }
      } else {
        io.in(roomChannel(e.roomKey)).socketsLeave(roomChannel(e.roomKey));
        for (const s of inRoom) this.forget(s);
      }
    }
  }

  /**
   * The room's media node is gone: the room opens on a live node, this process's peers that lived on the dead
   * node join it again (same peer ids and grants), and their clients rebuild transports and produce again, as
   * after a worker restart. With no live node left the room ends for them, with a reason they can read.
   */
  private async moveOffLostNode(roomKey: string, lostNodeId: string | undefined): Promise<void> {
    const moving = [...this.sessions.values()].filter((s) => s.roomKey === roomKey && s.nodeId === lostNodeId);
    if (!moving.length || this.closed) return;
    const { logger } = this.deps;
    logger.warn({ roomKey, node: lostNodeId, peers: moving.length }, "media node lost: moving its peers");
    const [kind, roomId] = parseRoomKey(roomKey);
    const end = (s: PeerSession) => {
      if (this.sessions.get(s.peerId) !== s) return;
      if (s.socketId) {
        this.io?.to(s.socketId).emit("media:roomClosed", { reason: "node-lost", message: "音视频节点出现故障，暂无可用节点，视频已中断，请稍后重新进入。" });
        this.io?.in(s.socketId).socketsLeave(roomChannel(roomKey));
      }
      this.forget(s);
    };
    let api: MediaApi;
    try {
      api = await this.media();
      await api.openRoom(kind, roomId);
    } catch (err) {
      logger.error({ roomKey, err: String(err) }, "media node lost and the room could not move");
      for (const s of moving) end(s);
      return;
    }
    const moved: { s: PeerSession; producers: MediaProducerInfo[] }[] = [];
    for (const s of moving) {
      if (this.sessions.get(s.peerId) !== s) continue; // left meanwhile
      try {
        const snap = await api.joinPeer(roomKey, { peerId: s.peerId, userId: s.user.id, displayName: s.grant.displayName, role: s.grant.role });
        s.nodeId = snap.nodeId;
        moved.push({ s, producers: snap.producers.filter((p) => p.peerId !== s.peerId) });
      } catch (err) {
        logger.error({ roomKey, peerId: s.peerId, err: String(err) }, "media node lost and the peer could not move");
        end(s);
      }
    }
    // Told only once everyone is in: a client producing again reaches peers that already rebuilt.
    for (const { s, producers } of moved) {
      if (this.sessions.get(s.peerId) !== s) continue;
      if (s.socketId) this.io?.to(s.socketId).emit("media:restart", { reason: "node-lost", producers });
      else s.mediaReset = true;
    }
  }

  private forget(s: PeerSession): void {
    clearTimeout(s.graceTimer);
    this.sessions.delete(s.peerId);
    if (s.socketId && this.bySocket.get(s.socketId) === s.peerId) this.bySocket.delete(s.socketId);
  }

  private bind(s: PeerSession, socketId: string): void {
    clearTimeout(s.graceTimer);
    s.graceTimer = undefined;
    if (s.socketId) this.bySocket.delete(s.socketId);
    s.socketId = socketId;
    this.bySocket.set(socketId, s.peerId);
  }

  /**
   * The peer's media, set up in one go: both transports (send only for a peer allowed to send) and, once the
   * client's RTP capabilities are known, a paused consumer of every producer it sees.
   */
  async setupMedia(roomKey: string, s: Pick<PeerSession, "peerId" | "grant">, rtpCapabilities?: unknown): Promise<Omit<MediaSetup, keyof MediaIceServers>> {
    const api = await this.media();
    const { camera, microphone, screen } = s.grant.permissions;
    const [recv, send, snap, routerRtpCapabilities] = await Promise.all([
      api.createTransport(roomKey, s.peerId, "recv"),
      camera || microphone || screen ? api.createTransport(roomKey, s.peerId, "send") : undefined,
      api.snapshot(roomKey),
      api.getRouterRtpCapabilities(roomKey),
    ]);
    const consumers = rtpCapabilities ? await api.consumeAll(roomKey, s.peerId, { transportId: recv.id, rtpCapabilities }) : [];
    return { routerRtpCapabilities, transports: { recv, send }, producers: snap.producers.filter((p) => p.peerId !== s.peerId), consumers };
  }

  async join(
    user: AuthUser,
    socketId: string,
    kind: RoomKind,
    roomId: string,
    resumeKey?: string,
    rtpCapabilities?: unknown,
  ): Promise<Omit<MediaJoinResult, keyof MediaIceServers>> {
    const current = this.sessionOfSocket(socketId);
    if (current) await this.removePeer(current);
    const grant = await this.access.admit(user, kind, roomId);
    const api = await this.media();

    for (let attempt = 0; ; attempt++) {
      const { roomKey } = await api.openRoom(kind, roomId);
      // Resume the peer kept through a network drop: its transports, producers and consumers are still there.
      const kept = resumeKey ? [...this.sessions.values()].find((s) => s.resumeKey === resumeKey) : undefined;
      if (kept && kept.user.id === user.id && kept.roomKey === roomKey && (await api.hasRoom(roomKey))) {
        this.bind(kept, socketId);
        kept.grant = grant; // permissions are re-evaluated on every join
        // Missed a media restart while away: its transports are gone, so the client rebuilds (resumed: false).
        const resumed = !kept.mediaReset;
        kept.mediaReset = false;
        if (!resumed) await api.resetPeerMedia(roomKey, kept.peerId);
        const [snap, routerRtpCapabilities] = await Promise.all([api.snapshot(roomKey), api.getRouterRtpCapabilities(roomKey)]);
        // Kept transports go on; a peer whose media was reset gets its new setup in this answer.
        const setup = resumed
          ? { routerRtpCapabilities, producers: snap.producers.filter((p) => p.peerId !== kept.peerId), consumers: [] }
          : await this.setupMedia(roomKey, kept, rtpCapabilities);
        return {
          ...setup,
          roomKey,
          peerId: kept.peerId,
          resumeKey: kept.resumeKey,
          resumed,
          permissions: grant.permissions,
          role: grant.role,
          peers: snap.peers.filter((p) => p.peerId !== kept.peerId),
        };
      }
      // One peer per user and room: a second tab (or a rejoin after the grace window) replaces the older one.
      for (const s of [...this.sessions.values()]) {
        if (s.user.id === user.id && s.roomKey === roomKey) {
          if (s.socketId) this.io?.to(s.socketId).emit("media:roomClosed", { reason: "replaced" });
          await this.removePeer(s);
        }
      }
      const peerId = randomUUID();
      try {
        const snap = await api.joinPeer(roomKey, { peerId, userId: user.id, displayName: grant.displayName, role: grant.role });
        const session: PeerSession = { peerId, roomKey, user, grant, resumeKey: randomBytes(24).toString("base64url"), socketId: null, nodeId: snap.nodeId };
        this.sessions.set(peerId, session);
        this.bind(session, socketId);
        void this.access.peerJoined(user, grant);
        const setup = await this.setupMedia(roomKey, session, rtpCapabilities);
        return {
          ...setup,
          roomKey,
          peerId,
          resumeKey: session.resumeKey,
          resumed: false,
          permissions: grant.permissions,
          role: grant.role,
          peers: snap.peers,
        };
      } catch (e) {
        // The room closed between open and join (its last peer just left): open it again, once.
        if (attempt === 0 && e instanceof AppError && e.code === ErrorCode.INVALID_STATE) continue;
        throw e;
      }
    }
  }

  /** The socket went away: a deliberate leave ends the peer now; a network drop starts the grace window. */
  socketGone(socketId: string, deliberate: boolean): void {
    const s = this.sessionOfSocket(socketId);
    if (!s) return;
    this.bySocket.delete(socketId);
    s.socketId = null;
    if (deliberate || this.deps.config.MEDIA_PEER_GRACE_MS === 0) {
      void this.removePeer(s);
      return;
    }
    s.graceTimer = setTimeout(() => void this.removePeer(s), this.deps.config.MEDIA_PEER_GRACE_MS);
    s.graceTimer.unref();
  }

  async removePeer(s: PeerSession): Promise<void> {
    this.forget(s);
    const api = await this.backend?.catch(() => undefined);
    await api?.leavePeer(s.roomKey, s.peerId).catch((err) => this.deps.logger.warn({ err: String(err) }, "media leave failed"));
  }

  /** Closes a user's producers in a room (e.g. a training attendee whose speaking turn was taken back). */
  async closeProducersOfUser(kind: RoomKind, roomId: string, userId: string, sources: MediaSource[] = ["camera", "microphone", "screen"]): Promise<void> {
    const api = await this.backend?.catch(() => undefined);
    if (!api) return;
    for (const s of this.sessions.values()) {
      if (s.roomKey !== `${kind}:${roomId}` || s.user.id !== userId) continue;
      for (const source of sources) await api.closeProducersBySource(s.roomKey, s.peerId, source).catch(() => undefined);
    }
  }

  /** A broadcast (training) viewer's video paused for audio only, or back. */
  async setAudioOnlyOfUser(kind: RoomKind, roomId: string, userId: string, on: boolean): Promise<boolean> {
    const api = await this.backend?.catch(() => undefined);
    if (!api) return false;
    let found = false;
    for (const s of this.sessions.values()) {
      if (s.roomKey !== `${kind}:${roomId}` || s.user.id !== userId) continue;
      await api.setAudioOnly(s.roomKey, s.peerId, on);
      found = true;
    }
    return found;
  }

  /** Ends a room (e.g. the consultation was completed or cancelled): everyone in it is told and removed. */
  async closeRoom(kind: RoomKind, roomId: string, reason: "ended" | "error" = "ended"): Promise<void> {
    const api = await this.backend?.catch(() => undefined);
    await api?.closeRoom(`${kind}:${roomId}`, reason).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.sessions.values()) clearTimeout(s.graceTimer);
    this.sessions.clear();
    this.bySocket.clear();
    const api = await this.backend?.catch(() => undefined);
    await api?.close();
  }
}

