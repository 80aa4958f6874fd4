// consultation-reminders: "starting soon" 24 h and 15 min before a booked time, to every participant, and
// expiry of a booked consultation nobody started (booked end + grace → EXPIRED, the time released).
// A moved or cancelled booking makes its jobs no-ops (the job re-reads the booking).
import { Queue, Worker, type ConnectionOptions } from "bullmq";
import { writeAudit } from "@yilian/audit";
import { REMINDER_QUEUE, ReminderJobData, type ReminderJobName } from "@yilian/jobs";
import { consultationEvent, publish, releaseBusyTime, transition, type Db, type EventSink } from "@yilian/server";

export { REMINDER_QUEUE };

export async function execReminderJob(db: Db, sink: EventSink, data: ReminderJobData): Promise<{ sent: boolean }> {
  const booking = await db.booking.findUnique({ where: { id: data.bookingId } });
  if (!booking || booking.status !== "ACTIVE" || booking.consultationId !== data.consultationId) return { sent: false };
  const c = await db.consultation.findUnique({ where: { id: data.consultationId }, include: { participants: true } });
  if (!c || c.status !== "SCHEDULED") return { sent: false };
  if (data.kind === "expire") {
    try {
      await db.$transaction(async (tx) => {
        await transition(tx, {
          consultation: c,
          to: "EXPIRED",
          actorId: null,
          action: "过期",
          reason: "预约时间已过，会诊未开始",
          data: { statusReason: "预约时间已过，会诊未开始" },
        });
        await tx.booking.update({
          where: { id: booking.id },
          data: { status: "CANCELLED", endedAt: new Date(), endReason: "expired" },
        });
        await releaseBusyTime(tx, "CONSULTATION", booking.id);
        await writeAudit(tx, {
          action: "consultation.expire",
          entityType: "Consultation",
          entityId: c.id,
          outcome: "SUCCESS",
        });
      });
    } catch {
      return { sent: false }; // started (or changed) in the meantime
    }
    publish(sink, [
      consultationEvent(
        "consultation:expired",
        { ...c, status: "EXPIRED" },
        c.participants.map((p) => p.userId),
      ),
    ]);
    return { sent: true };
  }
  publish(sink, [
    consultationEvent(
      "consultation:starting-soon",
      c,
      c.participants.map((p) => p.userId),
      { reason: data.kind },
    ),
  ]);
  return { sent: true };
}

export async function initConsultationReminders(
  db: Db,
  sink: EventSink,
  connection: ConnectionOptions,
  prefix: string,
) {
  const queue = new Queue<ReminderJobData, unknown, ReminderJobName>(REMINDER_QUEUE, { connection, prefix });
  const worker = new Worker<ReminderJobData, unknown, ReminderJobName>(
    REMINDER_QUEUE,
    async (job) => execReminderJob(db, sink, ReminderJobData.parse(job.data)),
    { connection, prefix, concurrency: 4 },
  );
  return { queue, worker };
}
