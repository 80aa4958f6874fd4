// Who may enter a live room, and what they may send there. One resolver per room kind (consultation now,
// training registered by its own module): it answers a grant or throws a typed AppError. Non-members get
// NOT_FOUND so a room's existence does not leak; members who come too early get INVALID_STATE.
import { AppError, ErrorCode, type MediaPermissions, type MediaSource, type RoomKind } from "@yilian/contract";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { hasRole } from "../authz/principal";
import { audit } from "../audit/audit";

export interface RoomGrant {
  kind: RoomKind;
  roomId: string;
  /** The user's role in the room (shown to the others). */
  role: string;
  displayName: string;
  permissions: MediaPermissions;
}

export interface RoomResolverContext {
  db: Db;
  user: AuthUser;
  roomId: string;
  now: Date;
}
/** Decides admission for one room kind; returns the grant without displayName (filled in by RoomAccess). */
export type RoomResolver = (ctx: RoomResolverContext) => Promise<Omit<RoomGrant, "displayName" | "kind" | "roomId">>;

/**
 * A room kind whose send rights change during the call (training: a viewer promoted to speak, then demoted)
 * checks every produce itself; it throws FORBIDDEN to refuse. Without one, the grant's permissions decide.
 */
export type ProduceCheck = (ctx: { db: Db; user: AuthUser; grant: RoomGrant; source: MediaSource }) => Promise<void>;

export type PeerJoinedListener = (
  kind: RoomKind,
  roomId: string,
  user: AuthUser,
  grant: RoomGrant,
) => void | Promise<void>;

/** How early before the booked start the consultation room opens. */
export const CONSULTATION_EARLY_OPEN_MS = 15 * 60 * 1000;

const ALL: MediaPermissions = { camera: true, microphone: true, screen: true, chat: true };

/** Consultation rooms: participants (and the receiving institution's coordinators) of an open consultation. */
export const consultationResolver: RoomResolver = async ({ db, user, roomId, now }) => {
  const c = await db.consultation.findUnique({
    where: { id: roomId },
    select: {
      status: true,
      urgency: true,
      scheduledStart: true,
      targetInstitutionId: true,
      participants: { where: { userId: user.id }, select: { role: true } },
    },
  });
  const participant = c?.participants[0];
  const receivingCoordinator = !!c && hasRole(user, "COORDINATOR") && c.targetInstitutionId === user.institutionId;
  if (!c || (!participant && !receivingCoordinator))
    throw new AppError(ErrorCode.NOT_FOUND, "会诊不存在或您不是参与者");

  const booked =
    (c.status === "SCHEDULED" || c.status === "IN_PROGRESS") &&
    !!c.scheduledStart &&
    now.getTime() >= c.scheduledStart.getTime() - CONSULTATION_EARLY_OPEN_MS;
  // Emergencies skip booking: the room is open as soon as the request is accepted.
  const emergency = c.urgency === "EMERGENCY" && (c.status === "ACCEPTED" || c.status === "IN_PROGRESS");
  if (!booked && !emergency) {
    const opensAt =
      c.scheduledStart && c.status === "SCHEDULED"
        ? new Date(c.scheduledStart.getTime() - CONSULTATION_EARLY_OPEN_MS)
        : null;
    throw new AppError(ErrorCode.INVALID_STATE, opensAt ? "会诊室尚未开放（预约开始前 15 分钟开放）" : "会诊室未开放", {
      details: { status: c.status, ...(opensAt ? { opensAt: opensAt.toISOString() } : {}) },
    });
  }
  const role = participant?.role ?? "COORDINATOR";
  // Coordinators organise the session; presenting clinical material (screen share) is for the clinicians.
  const permissions = role === "COORDINATOR" ? { ...ALL, screen: false } : ALL;
  return { role, permissions };
};

export class RoomAccess {
  private readonly resolvers = new Map<RoomKind, RoomResolver>();
  private readonly joinedListeners = new Set<PeerJoinedListener>();
  private readonly produceChecks = new Map<RoomKind, ProduceCheck>();

  constructor(private readonly db: Db) {
    this.registerRoomKind("consultation", consultationResolver);
  }

  /** Adds (or replaces) the admission rule of a room kind, e.g. `registerRoomKind("training", resolver)`. */
  registerRoomKind(kind: RoomKind, resolver: RoomResolver): void {
    this.resolvers.set(kind, resolver);
  }

  registerProduceCheck(kind: RoomKind, check: ProduceCheck): void {
    this.produceChecks.set(kind, check);
  }

  /** Per produce, on the server: the room kind's check when it has one, else the grant's static permissions. */
  async checkProduce(user: AuthUser, grant: RoomGrant, source: MediaSource): Promise<void> {
    const check = this.produceChecks.get(grant.kind);
    if (check) return check({ db: this.db, user, grant, source });
    if (!grant.permissions[source]) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        source === "screen" ? "您在此房间中不能共享屏幕" : "您在此房间中不能发送音视频",
      );
    }
  }

  /**
   * Admits the user or throws (NOT_FOUND, INVALID_STATE); every decision leaves an audit row. An admission's row is
   * still being written when the grant is returned (`audited`): the caller sets up the media meanwhile and answers
   * the join only once the row is written (the join is the moment a specialist waits for the first frame).
   */
  async admit(
    user: AuthUser,
    kind: RoomKind,
    roomId: string,
    now = new Date(),
  ): Promise<{ grant: RoomGrant; audited: Promise<void> }> {
    const resolver = this.resolvers.get(kind);
    if (!resolver) throw new AppError(ErrorCode.NOT_FOUND, "房间不存在");
    const entity = {
      actorId: user.id,
      actorInstitutionId: user.institutionId,
      action: "media.join",
      entityType: roomEntity(kind),
      entityId: roomId,
    };
    try {
      const [decided, u] = await Promise.all([
        resolver({ db: this.db, user, roomId, now }),
        this.db.user.findUnique({ where: { id: user.id }, select: { displayName: true } }),
      ]);
      const grant: RoomGrant = { kind, roomId, displayName: u?.displayName ?? user.username, ...decided };
      const audited = audit(this.db, { ...entity, outcome: "SUCCESS", detail: { role: grant.role } });
      audited.catch(() => undefined); // the caller awaits it; this only keeps an early failure from going unhandled
      return { grant, audited };
    } catch (e) {
      const outcome =
        e instanceof AppError && e.code === ErrorCode.NOT_FOUND
          ? "NOT_FOUND"
          : e instanceof AppError
            ? "DENIED"
            : "FAILED";
      await audit(this.db, { ...entity, outcome }).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Called after a peer entered a room (first join, not a resume). The consultations module uses it to move a
   * consultation to IN_PROGRESS when the first assigned specialist arrives. Returns the unsubscribe function.
   */
  onPeerJoined(listener: PeerJoinedListener): () => void {
    this.joinedListeners.add(listener);
    return () => this.joinedListeners.delete(listener);
  }

  async peerJoined(user: AuthUser, grant: RoomGrant): Promise<void> {
    for (const l of this.joinedListeners) {
      try {
        await l(grant.kind, grant.roomId, user, grant);
      } catch (e) {
        console.error("media: onPeerJoined listener failed", e);
      }
    }
  }
}

export const roomEntity = (kind: RoomKind) => (kind === "consultation" ? "Consultation" : "TrainingSession");
