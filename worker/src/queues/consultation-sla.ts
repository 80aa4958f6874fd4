// consultation-sla: escalation of unanswered requests. Level 1 reminds the receiving coordinators, level 2
// the receiving institution's admins, level 3 marks the request overdue (for statistics) and tells both.
// Jobs are delayed (enqueued by the server on submit) and live in Redis, so they survive restarts.
import { Queue, Worker, type ConnectionOptions } from "bullmq";
import { writeAudit } from "@yilian/audit";
import { SLA_QUEUE, SlaJobData, type SlaJobName } from "@yilian/jobs";
import { consultationEvent, publish, staffOf, type Db, type EventSink } from "@yilian/server";

export { SLA_QUEUE };

export async function execSlaJob(db: Db, sink: EventSink, data: SlaJobData): Promise<{ escalated: boolean }> {
  const c = await db.consultation.findUnique({ where: { id: data.consultationId } });
  // Answered, withdrawn, or a newer submission with its own clock: nothing to do.
  if (!c || c.status !== "SUBMITTED" || c.submittedAt?.toISOString() !== data.submittedAt || c.slaLevel >= data.level)
    return { escalated: false };
  const { count } = await db.$transaction(async (tx) => {
    const r = await tx.consultation.updateMany({
      where: { id: c.id, status: "SUBMITTED", slaLevel: { lt: data.level } },
      data: { slaLevel: data.level, ...(data.level === 3 ? { overdue: true } : {}) },
    });
    if (r.count) {
      await writeAudit(tx, {
        action: "consultation.sla-escalation",
        entityType: "Consultation",
        entityId: c.id,
        outcome: "SUCCESS",
        detail: { level: data.level },
      });
    }
    return r;
  });
  if (!count) return { escalated: false };
  const coordinators = await staffOf(db, c.targetInstitutionId, ["COORDINATOR"]);
  const admins = data.level >= 2 ? await staffOf(db, c.targetInstitutionId, ["INSTITUTION_ADMIN"]) : [];
  const to = data.level === 1 ? coordinators : data.level === 2 ? admins : [...coordinators, ...admins];
  publish(sink, [
    consultationEvent("consultation:sla-escalation", { ...c, slaLevel: data.level } as typeof c, to, {
      level: data.level,
    }),
  ]);
  return { escalated: true };
}

export async function initConsultationSla(db: Db, sink: EventSink, connection: ConnectionOptions, prefix: string) {
  const queue = new Queue<SlaJobData, unknown, SlaJobName>(SLA_QUEUE, { connection, prefix });
  const worker = new Worker<SlaJobData, unknown, SlaJobName>(
    SLA_QUEUE,
    async (job) => execSlaJob(db, sink, SlaJobData.parse(job.data)),
    { connection, prefix, concurrency: 4 },
  );
  return { queue, worker };
}
