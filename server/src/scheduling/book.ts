// Booking a consultation time: atomic across all assigned specialists. The application checks the time is an
// offered, non-reserved slot; PostgreSQL's exclusion constraint guarantees nobody is double-booked, whatever
// races between the check and the insert.
import { randomUUID } from "node:crypto";
import { AppError, ErrorCode } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { audit, auditSql } from "../audit/audit";
import type { ConsultationDeps } from "../consultations/deps";
import {
  assignedSpecialists,
  isAssignedSpecialist,
  isTargetCoordinator,
  loadConsultation,
  type ConsultationRecord,
} from "../consultations/access";
import { assertStatus, transition, transitionSql } from "../consultations/state-machine";
import { consultationEvent, publish } from "../consultations/notify";
import { phase } from "../http/profile";
import { inTransaction, sqlOf } from "../db";
import { commitBusyTime, commitBusyTimeSql, releaseBusyTime } from "./busy";
import { loadSlots, type GeneratedSlot } from "./slots";
import { detailFor } from "../consultations/minimum-necessary";

function mayBook(user: AuthUser, c: ConsultationRecord) {
  if (!isTargetCoordinator(user, c) && !isAssignedSpecialist(user, c))
    throw new AppError(ErrorCode.FORBIDDEN, "只有受理机构的协调员或指派的专家可以安排会诊时间");
}

function pastError() {
  return new AppError(ErrorCode.VALIDATION_FAILED, "不能预约已经过去的时间", {
    issues: [{ path: "body.startsAt", message: "不能预约已经过去的时间" }],
  });
}

/** The offered slot starting at `start` for every specialist, or a 409; reserved slots only for referrals. */
export async function requireOfferedSlot(
  deps: Pick<ConsultationDeps, "db">,
  specialistIds: string[],
  start: Date,
  opts: { allowReserved: boolean; ignoreBusySourceId?: string },
): Promise<GeneratedSlot> {
  if (start.getTime() < Date.now()) throw pastError();
  const slots = await loadSlots(deps.db, specialistIds, start, new Date(start.getTime() + 60_000), {
    ignoreBusySourceId: opts.ignoreBusySourceId,
  });
  const found = specialistIds.map((id) =>
    slots.find((s) => s.specialistId === id && s.startsAt.getTime() === start.getTime()),
  );
  if (found.some((s) => !s)) throw new AppError(ErrorCode.CONFLICT, "所选时间不在专家的可预约时段内，或已被占用");
  if (!opts.allowReserved && found.some((s) => s!.reserved))
    throw new AppError(ErrorCode.CONFLICT, "该号源为转诊患者预留，请选择其他时间");
  return found[0]!;
}

/**
 * The critical path is a handful of statements: load (with scope), one slot check, and one short plain-SQL
 * transaction (booking, busy rows, state change with its timeline row, audit). Notifications and reminders go
 * out after commit and are not awaited.
 */
export async function bookConsultation(
  deps: ConsultationDeps,
  user: AuthUser,
  id: string,
  input: { startsAt: string; minutes?: number },
) {
  const { db } = deps;
  const c = await phase("load", () => loadConsultation(db, user, id, "consultation.book"));
  mayBook(user, c);
  assertStatus(c.status, ["ACCEPTED"], "预约");
  const specialists = assignedSpecialists(c);
  const start = new Date(input.startsAt);
  const slot = await phase("slots", () => requireOfferedSlot(deps, specialists, start, { allowReserved: false }));
  const end = input.minutes ? new Date(start.getTime() + input.minutes * 60_000) : slot.endsAt;
  const booking = {
    id: randomUUID(),
    consultationId: id,
    startsAt: start,
    endsAt: end,
    specialistIds: specialists,
    createdById: user.id,
  };
  const moved = await phase("tx", () =>
    inTransaction(sqlOf(db), async (sql) => {
      await sql.query(
        `INSERT INTO "Booking" (id, "consultationId", "startsAt", "endsAt", "specialistIds", "createdById") VALUES ($1, $2, $3, $4, $5::uuid[], $6)`,
        [booking.id, id, start, end, specialists, user.id],
      );
      await commitBusyTimeSql(sql, {
        specialistIds: specialists,
        startsAt: start,
        endsAt: end,
        source: "CONSULTATION",
        sourceId: booking.id,
      });
      const t = await transitionSql(sql, {
        consultation: c,
        to: "SCHEDULED",
        actorId: user.id,
        action: "预约",
        data: { scheduledStart: start, scheduledEnd: end },
      });
      await auditSql(sql, {
        action: "consultation.book",
        entityType: "Consultation",
        entityId: id,
        outcome: "SUCCESS",
        detail: { bookingId: booking.id, startsAt: start.toISOString() },
      });
      return t;
    }),
  );
  const fresh: ConsultationRecord = {
    ...c,
    status: "SCHEDULED",
    version: moved.version,
    scheduledStart: start,
    scheduledEnd: end,
    updatedAt: moved.at,
  };
  publish(deps.sink(), [
    consultationEvent(
      "consultation:scheduled",
      fresh,
      fresh.participants.map((p) => p.userId),
      { actorId: user.id },
    ),
  ]);
  deps.queues.scheduleReminders(id, booking.id, start, end).catch((e: Error) => {
    // The booking stands without them: say so loudly.
    console.error(`reminders of booking ${booking.id} not scheduled: ${e.message}`);
  });
  return phase("view", () => detailFor(db, fresh, user));
}

export async function rescheduleBooking(
  deps: ConsultationDeps,
  user: AuthUser,
  id: string,
  input: { startsAt: string; minutes?: number; reason: string },
) {
  const { db } = deps;
  const c = await loadConsultation(db, user, id, "consultation.reschedule");
  mayBook(user, c);
  assertStatus(c.status, ["SCHEDULED"], "改期");
  const old = await db.booking.findFirst({ where: { consultationId: id, status: "ACTIVE" } });
  if (!old) throw new AppError(ErrorCode.INVALID_STATE, "该会诊没有有效的预约");
  const specialists = assignedSpecialists(c);
  const start = new Date(input.startsAt);
  // The old booking's own time may overlap the new one (moving by 15 minutes): ignore it in the check.
  const slot = await requireOfferedSlot(deps, specialists, start, { allowReserved: false, ignoreBusySourceId: old.id });
  const end = input.minutes ? new Date(start.getTime() + input.minutes * 60_000) : slot.endsAt;
  const booking = await db.$transaction(async (tx) => {
    await tx.booking.update({
      where: { id: old.id },
      data: { status: "RESCHEDULED", endedAt: new Date(), endReason: input.reason },
    });
    await releaseBusyTime(tx, "CONSULTATION", old.id);
    const b = await tx.booking.create({
      data: { consultationId: id, startsAt: start, endsAt: end, specialistIds: specialists, createdById: user.id },
    });
    await commitBusyTime(tx, {
      specialistIds: specialists,
      startsAt: start,
      endsAt: end,
      source: "CONSULTATION",
      sourceId: b.id,
    });
    await transition(tx, {
      consultation: c,
      to: "SCHEDULED",
      actorId: user.id,
      action: "改期",
      reason: input.reason,
      data: { scheduledStart: start, scheduledEnd: end },
    });
    await audit(tx, {
      action: "consultation.reschedule",
      entityType: "Consultation",
      entityId: id,
      outcome: "SUCCESS",
      detail: { from: old.startsAt.toISOString(), to: start.toISOString(), reason: input.reason },
    });
    return b;
  });
  await deps.queues.cancelReminders(old.id);
  await deps.queues.scheduleReminders(id, booking.id, start, end);
  const fresh = await loadConsultation(db, user, id, "consultation.read");
  publish(deps.sink(), [
    consultationEvent(
      "consultation:rescheduled",
      fresh,
      fresh.participants.map((p) => p.userId),
      { actorId: user.id, reason: input.reason },
    ),
  ]);
  return detailFor(db, fresh, user);
}

/** Cancels the booked time (not the consultation): SCHEDULED → ACCEPTED, ready for a new time. */
export async function cancelBooking(deps: ConsultationDeps, user: AuthUser, id: string, reason: string) {
  const { db } = deps;
  const c = await loadConsultation(db, user, id, "consultation.unbook");
  mayBook(user, c);
  assertStatus(c.status, ["SCHEDULED"], "取消预约");
  const old = await db.booking.findFirst({ where: { consultationId: id, status: "ACTIVE" } });
  await db.$transaction(async (tx) => {
    if (old) {
      await tx.booking.update({
        where: { id: old.id },
        data: { status: "CANCELLED", endedAt: new Date(), endReason: reason },
      });
      await releaseBusyTime(tx, "CONSULTATION", old.id);
    }
    await transition(tx, {
      consultation: c,
      to: "ACCEPTED",
      actorId: user.id,
      action: "取消预约",
      reason,
      data: { scheduledStart: null, scheduledEnd: null },
    });
    await audit(tx, {
      action: "consultation.unbook",
      entityType: "Consultation",
      entityId: id,
      outcome: "SUCCESS",
      detail: { reason },
    });
  });
  if (old) await deps.queues.cancelReminders(old.id);
  const fresh = await loadConsultation(db, user, id, "consultation.read");
  publish(deps.sink(), [
    consultationEvent(
      "consultation:rescheduled",
      fresh,
      fresh.participants.map((p) => p.userId),
      { actorId: user.id, reason },
    ),
  ]);
  return detailFor(db, fresh, user);
}
