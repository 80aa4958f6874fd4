// Specialists' presence for coordinators: ONLINE while at least one socket is connected (on any server
// process: the socket ids live in a Redis set), IN_CONSULTATION while in a consultation that is IN_PROGRESS.
import { rooms, type PresenceState } from "@yilian/contract";
import type { Redis } from "ioredis";
import type { Db } from "../db";
import type { IoServer } from "../realtime/io";
import { hasRole } from "../authz/principal";
import type { EventSink } from "./notify";

const socketsKey = (prefix: string, userId: string) => `${prefix}:presence:sockets:${userId}`;
const busyKey = (prefix: string, userId: string) => `${prefix}:presence:busy:${userId}`;

export async function presenceOf(redis: Redis, prefix: string, userIds: string[]): Promise<Map<string, PresenceState>> {
  const out = new Map<string, PresenceState>();
  if (!userIds.length) return out;
  const pipe = redis.pipeline();
  for (const id of userIds) pipe.scard(socketsKey(prefix, id)).exists(busyKey(prefix, id));
  const res = (await pipe.exec()) ?? [];
  userIds.forEach((id, i) => {
    const online = Number(res[2 * i]?.[1] ?? 0) > 0;
    const busy = Number(res[2 * i + 1]?.[1] ?? 0) > 0;
    out.set(id, busy && online ? "IN_CONSULTATION" : online ? "ONLINE" : "OFFLINE");
  });
  return out;
}

function announce(sink: EventSink, userId: string, institutionId: string, state: PresenceState) {
  sink
    .to(rooms.institution(institutionId))
    .emit("presence:changed", { userId, institutionId, state, at: new Date().toISOString() });
}

/** Marks specialists busy (IN_PROGRESS) or free (REPORTED); the flag expires by itself after a long day. */
export async function setInConsultation(
  redis: Redis,
  prefix: string,
  sink: EventSink,
  users: { id: string; institutionId: string }[],
  busy: boolean,
) {
  for (const u of users) {
    if (busy) await redis.set(busyKey(prefix, u.id), "1", "EX", 12 * 3600);
    else await redis.del(busyKey(prefix, u.id));
    const state = (await presenceOf(redis, prefix, [u.id])).get(u.id)!;
    announce(sink, u.id, u.institutionId, state);
  }
}

/** Tracks specialists' sockets; registered next to the foundation's connection handler. */
export function registerPresence(io: IoServer, deps: { redis: Redis; redisPrefix: string }): { stop(): void } {
  let stopped = false;
  io.on("connection", (socket) => {
    const user = socket.data.user;
    if (!hasRole(user, "SPECIALIST")) return;
    const key = socketsKey(deps.redisPrefix, user.id);
    void (async () => {
      const added = await deps.redis.multi().sadd(key, socket.id).expire(key, 86_400).scard(key).exec();
      if (Number(added?.[2]?.[1]) === 1)
        announce(
          io,
          user.id,
          user.institutionId,
          (await presenceOf(deps.redis, deps.redisPrefix, [user.id])).get(user.id)!,
        );
    })().catch(() => undefined);
    socket.on("disconnect", () => {
      void (async () => {
        await deps.redis.srem(key, socket.id);
        // While the server shuts down every socket disconnects; the adapter's Redis clients are closing too.
        if (!stopped && (await deps.redis.scard(key)) === 0) announce(io, user.id, user.institutionId, "OFFLINE");
      })().catch(() => undefined);
    });
  });
  return { stop: () => void (stopped = true) };
}

export async function institutionPresence(db: Db, redis: Redis, prefix: string, institutionId: string) {
  const specialists = await db.user.findMany({
    where: { institutionId, active: true, roles: { has: "SPECIALIST" } },
    select: {
      id: true,
      displayName: true,
      departmentId: true,
      department: { select: { name: true, specialtyCode: true } },
    },
    orderBy: { displayName: "asc" },
  });
  const states = await presenceOf(
    redis,
    prefix,
    specialists.map((s) => s.id),
  );
  return specialists.map((s) => ({
    userId: s.id,
    name: s.displayName,
    department: s.department?.name ?? null,
    specialtyCode: s.department?.specialtyCode ?? null,
    state: states.get(s.id)!,
  }));
}
