// Live notifications: typed consultation events to the personal rooms of the people concerned. Use cases
// collect events while they work and publish them only after their transaction commits, so nobody is told
// about a change that was rolled back. The sink is the Socket.IO server in the API process and a Redis
// emitter in the worker; the Redis adapter delivers to sockets on every server process either way.
import { performance } from "node:perf_hooks";
import { rooms, type ConsultationEvent, type ConsultationEventName, type ServerToClientEvents } from "@yilian/contract";
import type { Db } from "../db";

export interface EventSink {
  to(room: string | string[]): {
    emit<E extends keyof ServerToClientEvents>(ev: E, ...args: Parameters<ServerToClientEvents[E]>): unknown;
  };
}

export interface PendingEvent {
  event: ConsultationEventName;
  userIds: string[];
  payload: ConsultationEvent;
}

export interface EventSubject {
  id: string;
  number: string;
  status: ConsultationEvent["status"];
  urgency: ConsultationEvent["urgency"];
  specialtyCode: string | null;
  scheduledStart?: Date | null;
}

export function consultationEvent(
  event: ConsultationEventName,
  c: EventSubject,
  userIds: Iterable<string>,
  extra: { actorId?: string | null; reason?: string | null; level?: number; uploadId?: string; at?: Date } = {},
): PendingEvent {
  return {
    event,
    userIds: [...new Set(userIds)],
    payload: {
      consultationId: c.id,
      number: c.number,
      status: c.status,
      urgency: c.urgency,
      specialtyCode: c.specialtyCode,
      at: (extra.at ?? new Date()).toISOString(),
      actorId: extra.actorId ?? null,
      scheduledStart: c.scheduledStart ? c.scheduledStart.toISOString() : null,
      ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
      ...(extra.level !== undefined ? { level: extra.level } : {}),
      ...(extra.uploadId !== undefined ? { uploadId: extra.uploadId } : {}),
    },
  };
}

/** Emits after commit. Never throws: a lost notification must not turn a committed change into an error. */
export function publish(sink: EventSink, events: PendingEvent[]): void {
  for (const e of events) {
    if (!e.userIds.length) continue;
    try {
      const payload = { ...e.payload, sentAt: performance.timeOrigin + performance.now() };
      sink.to(e.userIds.map(rooms.user)).emit(e.event, payload);
    } catch (err) {
      console.error(`notification ${e.event} failed: ${(err as Error).message}`);
    }
  }
}

/** Active users of an institution holding one of `roles`. */
export async function staffOf(
  db: Pick<Db, "user">,
  institutionId: string | null,
  roles: ("COORDINATOR" | "INSTITUTION_ADMIN" | "SPECIALIST")[],
): Promise<string[]> {
  if (!institutionId) return [];
  const rows = await db.user.findMany({
    where: { institutionId, active: true, roles: { hasSome: roles } },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}
