import type { Db } from "../db";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { transition } from "./state-machine";
import { consultationEvent, publish } from "./notify";
import { setInConsultation } from "./presence";

/**
 * The first assigned specialist joining the consultation's room moves it to IN_PROGRESS. Called by the media
 * service's join hook (and usable by anything else that knows a specialist started). Idempotent: later joins,
 * or a non-specialist joining, change nothing. Returns whether this call started it.
 */
export async function markStarted(
  deps: Pick<ConsultationDeps, "db" | "redis" | "config" | "sink">,
  consultationId: string,
  userId: string,
): Promise<boolean> {
  const db: Db = deps.db;
  const c = await db.consultation.findUnique({ where: { id: consultationId }, include: { participants: true } });
  if (!c) return false;
  const specialists = c.participants.filter((p) => p.role === "SPECIALIST").map((p) => p.userId);
  if (!specialists.includes(userId)) return false;
  const startable =
    c.status === "SCHEDULED" ||
    (c.status === "ACCEPTED" &&
      (c.urgency === "EMERGENCY" || (c.kind !== "SINGLE_SPECIALIST" && c.kind !== "MULTIDISCIPLINARY")));
  if (!startable) return false;
  try {
    await db.$transaction(async (tx) => {
      await transition(tx, { consultation: c, to: "IN_PROGRESS", actorId: userId, action: "开始会诊" });
      await audit(tx, {
        action: "consultation.start",
        entityType: "Consultation",
        entityId: c.id,
        outcome: "SUCCESS",
        actorId: userId,
      });
    });
  } catch {
    return false; // another specialist started it a moment earlier
  }
  const fresh = { ...c, status: "IN_PROGRESS" as const };
  publish(deps.sink(), [
    consultationEvent(
      "consultation:started",
      fresh,
      c.participants.map((p) => p.userId),
      { actorId: userId },
    ),
  ]);
  const users = await db.user.findMany({
    where: { id: { in: specialists } },
    select: { id: true, institutionId: true },
  });
  await setInConsultation(deps.redis, deps.config.REDIS_PREFIX, deps.sink(), users, true).catch(() => undefined);
  return true;
}
