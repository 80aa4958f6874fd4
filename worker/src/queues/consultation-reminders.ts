// consultation-reminders: "starting soon" 24 h and 15 min before a booked time, to every participant.
// A moved or cancelled booking makes its jobs no-ops (the job re-reads the booking).
import { Queue, Worker, type ConnectionOptions } from "bullmq";
import type { Db } from "@yilian/server";
import { REMINDER_QUEUE, type ReminderJobData, type ReminderJobName } from "@yilian/server/consultations/jobs";
import { consultationEvent, publish, type EventSink } from "@yilian/server/consultations/notify";

export { REMINDER_QUEUE };

export async function execReminderJob(db: Db, sink: EventSink, data: ReminderJobData): Promise<{ sent: boolean }> {
  const booking = await db.booking.findUnique({ where: { id: data.bookingId } });
  if (!booking || booking.status !== "ACTIVE" || booking.consultationId !== data.consultationId) return { sent: false };
  const c = await db.consultation.findUnique({ where: { id: data.consultationId }, include: { participants: true } });
  if (!c || c.status !== "SCHEDULED") return { sent: false };
  publish(sink, [consultationEvent("consultation:starting-soon", c, c.participants.map((p) => p.userId), { reason: data.kind })]);
  return { sent: true };
}

export async function initConsultationReminders(db: Db, sink: EventSink, connection: ConnectionOptions, prefix: string) {
  const queue = new Queue<ReminderJobData, unknown, ReminderJobName>(REMINDER_QUEUE, { connection, prefix });
  const worker = new Worker<ReminderJobData, unknown, ReminderJobName>(REMINDER_QUEUE, async (job) => execReminderJob(db, sink, job.data), { connection, prefix, concurrency: 4 });
  return { queue, worker };
}
