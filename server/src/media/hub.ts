// The server's side of live rooms: admission (RoomAccess), the media backend (in-process MediaService by
// default, or a media node found through Redis), and the peer sessions that bind a signalling socket to a
// media peer — kept through a short grace window when the network drops, so a reconnect resumes the peer.
// Sessions are also written to Redis under their resume key: a reconnect that lands on another server process
// (its own server died, or a round-robin front sent it elsewhere) adopts the peer there and resumes it.
import { randomBytes, randomUUID } from "node:crypto";
import {
  AppError,
  ErrorCode,
  type MediaIceServers,
  type MediaJoinResult,
  type MediaSetup,
  type MediaSource,
  type RoomKind,
} from "@yilian/contract";
import { parseRoomKey, type MediaApi, type MediaEvent } from "@yilian/media/api";
import { roomCloseChannel, type RoomCloseRequest } from "@yilian/media/registry";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import type { IoServer } from "../realtime/io";
import { RoomAccess, type RoomGrant } from "./access";
import { createMediaBackend, type MediaBackendDeps } from "./backend";

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

export interface MediaHubDeps extends MediaBackendDeps {
  db: Db;
}

/** What another server process needs to adopt a peer whose client resumes there. */
interface StoredSession {
  peerId: string;
  roomKey: string;
  userId: string;
  /** The node the peer's media lived on when its server last knew (a different one now: it was moved). */
  nodeId?: string;
}
/** A peer session outlives a lost server process this long in Redis (a forgotten one expires). */
const STORED_SESSION_TTL_S = 12 * 3600;

export class MediaHub {
  readonly access: RoomAccess;
  private backend?: Promise<MediaApi>;
  private io?: IoServer;
  private readonly sessions = new Map<string, PeerSession>();
  private readonly bySocket = new Map<string, string>();
  private closed = false;
  private readonly sub;
  /** Tells this process's own "adopted" announcements from other processes' (it hears its own too). */
  private readonly instanceId = randomUUID();

  constructor(private readonly deps: MediaHubDeps) {
    this.access = new RoomAccess(deps.db);
    // Room ends asked for by others (the worker closing a session nobody ended), and peers adopted elsewhere.
    this.sub = deps.redis.duplicate();
    this.sub.on("error", () => undefined); // ioredis reconnects by itself
    void this.sub.subscribe(roomCloseChannel(deps.config.REDIS_PREFIX), this.adoptedChannel).catch(() => undefined);
    this.sub.on("message", (channel: string, raw: string) => {
      if (channel === this.adoptedChannel) return this.adoptedElsewhere(raw);
      try {
        const req = JSON.parse(raw) as RoomCloseRequest;
        const [kind, roomId] = parseRoomKey(req.roomKey);
        void this.closeRoom(kind, roomId, req.reason);
      } catch {
        /* not ours */
      }
    });
  }

  private get adoptedChannel(): string {
    return `${this.deps.config.REDIS_PREFIX}:media:session-adopted`;
  }

  private storedKey(resumeKey: string): string {
    return `${this.deps.config.REDIS_PREFIX}:media:session:${resumeKey}`;
  }

  private store(s: PeerSession): void {
    const stored: StoredSession = { peerId: s.peerId, roomKey: s.roomKey, userId: s.user.id, nodeId: s.nodeId };
    void this.deps.redis
      .set(this.storedKey(s.resumeKey), JSON.stringify(stored), "EX", STORED_SESSION_TTL_S)
      .catch(() => undefined);
  }

  /** Another server process adopted one of our peers (its client reconnected there): let go without leaving. */
  private adoptedElsewhere(raw: string): void {
    const [by, peerId] = raw.split(" ");
    if (by === this.instanceId || !peerId) return;
    const s = this.sessions.get(peerId);
    if (!s) return;
    if (s.socketId) this.io?.in(s.socketId).socketsLeave(roomChannel(s.roomKey));
    this.forget(s, { keepStored: true });
  }

  /**
   * A resume key this process does not know: the peer's session was on another server process. Adopted here if
   * it is the same user, room and the peer is still in the room; it rebuilds if its media moved meanwhile. Only
   * with media nodes: in-process media lives and dies with its server process.
   */
  private async adopt(
    resumeKey: string,
    user: AuthUser,
    roomKey: string,
    grant: RoomGrant,
    api: MediaApi,
  ): Promise<PeerSession | undefined> {
    if (!api.nodeOfPeer) return undefined;
    const raw = await this.deps.redis.get(this.storedKey(resumeKey));
    if (!raw) return undefined;
    const stored = JSON.parse(raw) as StoredSession;
    if (stored.userId !== user.id || stored.roomKey !== roomKey) return undefined;
    const nodeId = await api.nodeOfPeer(roomKey, stored.peerId);
    if (!nodeId) return undefined; // the peer left the room (or the room closed)
    const s: PeerSession = {
      peerId: stored.peerId,
      roomKey,
      user,
      grant,
      resumeKey,
      socketId: null,
      nodeId,
      mediaReset: nodeId !== stored.nodeId,
    };
    this.sessions.set(s.peerId, s);
    await this.deps.redis.publish(this.adoptedChannel, `${this.instanceId} ${s.peerId}`);
    this.deps.logger.info(
      { roomKey, peerId: s.peerId, moved: s.mediaReset },
      "media: peer resumed from another server process",
    );
    return s;
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
          // A media node was lost and some server moved its rooms (remote.ts): this process tells its own peers.
          if (e.name === "media:restart" && e.moved) this.followMovedRoom(e);
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
      for (const s of audience)
        if (s.socketId && s.peerId !== e.exceptPeerId) io.to(s.socketId).emit(e.name, e.payload as never);
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
   * A lost media node's room was moved (by whichever server noticed first): this process's peers that were
   * re-joined on a live node rebuild their transports and produce again, as after a worker restart; a peer of
   * the lost node that could not be moved hears that the room ended for it, with a reason it can read.
   */
  private followMovedRoom(e: Extract<MediaEvent, { name: "media:restart" }>): void {
    const moved = e.moved ?? {};
    for (const s of [...this.sessions.values()]) {
      if (s.roomKey !== e.roomKey) continue;
      const node = moved[s.peerId];
      if (!node) {
        if (s.nodeId !== e.nodeId) continue; // on another node of a spanning session: not concerned
        if (s.socketId) {
          this.io?.to(s.socketId).emit("media:roomClosed", {
            reason: "node-lost",
            message: "音视频节点出现故障，视频已中断，请稍后重新进入。",
          });
          this.io?.in(s.socketId).socketsLeave(roomChannel(s.roomKey));
        }
        this.forget(s);
        continue;
      }
      s.nodeId = node;
      this.store(s);
      const producers = (e.payload.producers ?? []).filter((p) => p.peerId !== s.peerId);
      if (s.socketId) this.io?.to(s.socketId).emit("media:restart", { reason: "node-lost", producers });
      else s.mediaReset = true;
    }
  }

  /** Drops the session here; also from Redis unless another process adopted it (`keepStored`). */
  private forget(s: PeerSession, opts: { keepStored?: boolean } = {}): void {
    clearTimeout(s.graceTimer);
    if (this.sessions.get(s.peerId) === s) this.sessions.delete(s.peerId);
    if (s.socketId && this.bySocket.get(s.socketId) === s.peerId) this.bySocket.delete(s.socketId);
    if (!opts.keepStored) void this.deps.redis.del(this.storedKey(s.resumeKey)).catch(() => undefined);
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
  async setupMedia(
    roomKey: string,
    s: Pick<PeerSession, "peerId" | "grant">,
    rtpCapabilities?: unknown,
  ): Promise<Omit<MediaSetup, keyof MediaIceServers>> {
    const api = await this.media();
    const { camera, microphone, screen } = s.grant.permissions;
    const [recv, send, snap, routerRtpCapabilities] = await Promise.all([
      api.createTransport(roomKey, s.peerId, "recv"),
      camera || microphone || screen ? api.createTransport(roomKey, s.peerId, "send") : undefined,
      api.snapshot(roomKey),
      api.getRouterRtpCapabilities(roomKey),
    ]);
    const consumers = rtpCapabilities
      ? await api.consumeAll(roomKey, s.peerId, { transportId: recv.id, rtpCapabilities })
      : [];
    return {
      routerRtpCapabilities,
      transports: { recv, send },
      producers: snap.producers.filter((p) => p.peerId !== s.peerId),
      consumers,
    };
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
    const { grant, audited } = await this.access.admit(user, kind, roomId);
    const [entered, logged] = await Promise.allSettled([
      this.enter(user, socketId, kind, roomId, grant, resumeKey, rtpCapabilities),
      audited,
    ]);
    if (logged.status === "rejected") {
      // Nobody is let in without the audit row of their admission.
      const s = entered.status === "fulfilled" ? this.sessions.get(entered.value.peerId) : undefined;
      if (s) await this.removePeer(s);
      throw logged.reason;
    }
    if (entered.status === "rejected") throw entered.reason;
    return entered.value;
  }

  /** The admitted user's peer: the one kept through a network drop (resumeKey), or a new one with its media set up. */
  private async enter(
    user: AuthUser,
    socketId: string,
    kind: RoomKind,
    roomId: string,
    grant: RoomGrant,
    resumeKey?: string,
    rtpCapabilities?: unknown,
  ): Promise<Omit<MediaJoinResult, keyof MediaIceServers>> {
    const api = await this.media();

    for (let attempt = 0; ; attempt++) {
      const { roomKey } = await api.openRoom(kind, roomId);
      // Resume the peer kept through a network drop: its transports, producers and consumers are still there.
      const kept = resumeKey
        ? ([...this.sessions.values()].find((s) => s.resumeKey === resumeKey) ??
          (await this.adopt(resumeKey, user, roomKey, grant, api)))
        : undefined;
      if (kept && kept.user.id === user.id && kept.roomKey === roomKey && (await api.hasRoom(roomKey))) {
        this.bind(kept, socketId);
        this.store(kept);
        kept.grant = grant; // permissions are re-evaluated on every join
        // Missed a media restart while away: its transports are gone, so the client rebuilds (resumed: false).
        const resumed = !kept.mediaReset;
        kept.mediaReset = false;
        if (!resumed) await api.resetPeerMedia(roomKey, kept.peerId);
        const [snap, routerRtpCapabilities] = await Promise.all([
          api.snapshot(roomKey),
          api.getRouterRtpCapabilities(roomKey),
        ]);
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
        const snap = await api.joinPeer(roomKey, {
          peerId,
          userId: user.id,
          displayName: grant.displayName,
          role: grant.role,
        });
        const session: PeerSession = {
          peerId,
          roomKey,
          user,
          grant,
          resumeKey: randomBytes(24).toString("base64url"),
          socketId: null,
          nodeId: snap.nodeId,
        };
        this.sessions.set(peerId, session);
        this.bind(session, socketId);
        this.store(session);
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
    await api
      ?.leavePeer(s.roomKey, s.peerId)
      .catch((err) => this.deps.logger.warn({ err: String(err) }, "media leave failed"));
  }

  /** Closes a user's producers in a room (e.g. a training attendee whose speaking turn was taken back). */
  async closeProducersOfUser(
    kind: RoomKind,
    roomId: string,
    userId: string,
    sources: MediaSource[] = ["camera", "microphone", "screen"],
  ): Promise<void> {
    const api = await this.backend?.catch(() => undefined);
    if (!api) return;
    for (const s of this.sessions.values()) {
      if (s.roomKey !== `${kind}:${roomId}` || s.user.id !== userId) continue;
      for (const source of sources)
        await api.closeProducersBySource(s.roomKey, s.peerId, source).catch(() => undefined);
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
    await this.sub.quit().catch(() => this.sub.disconnect());
    for (const s of this.sessions.values()) clearTimeout(s.graceTimer);
    this.sessions.clear();
    this.bySocket.clear();
    const api = await this.backend?.catch(() => undefined);
    await api?.close();
  }
}
