// consultation-returns: a request returned for more information (RETURNED) waits RETURNED_EXPIRES_AFTER_MS for the
// requester. RETURNED_REMINDER_BEFORE_MS before that the requester is reminded; then it expires (EXPIRED, final) and
// the requester and the receiving coordinators are told. A resubmission (or a later return, which starts a new
// clock) makes both jobs no-ops: each re-reads the consultation and its last return.
import { Queue, Worker, type ConnectionOptions } from "bullmq";
import { writeAudit } from "@yilian/audit";
import { RETURNS_QUEUE, ReturnJobData, type ReturnJobName } from "@yilian/jobs";
import { consultationEvent, publish, staffOf, transition, type Db, type EventSink } from "@yilian/server";

export { RETURNS_QUEUE };

export const RETURN_EXPIRED_REASON = "退回补充后逾期未重新提交，申请已过期";

export async function execReturnJob(db: Db, sink: EventSink, data: ReturnJobData): Promise<{ sent: boolean }> {
  const c = await db.consultation.findUnique({ where: { id: data.consultationId } });
  if (!c || c.status !== "RETURNED") return { sent: false };
  const lastReturn = await db.consultationTransition.findFirst({
    where: { consultationId: c.id, toStatus: "RETURNED" },
    orderBy: { id: "desc" },
    select: { at: true },
  });
  if (lastReturn?.at.toISOString() !== data.returnedAt) return { sent: false };
  if (data.kind === "remind") {
    publish(sink, [
      consultationEvent("consultation:return-expiring", c, [c.requestingDoctorId], { reason: c.statusReason }),
    ]);
    return { sent: true };
  }
  try {
    await db.$transaction(async (tx) => {
      await transition(tx, {
        consultation: c,
        to: "EXPIRED",
        actorId: null,
        action: "过期",
        reason: RETURN_EXPIRED_REASON,
        data: { statusReason: RETURN_EXPIRED_REASON },
      });
      await writeAudit(tx, {
        action: "consultation.expire",
        entityType: "Consultation",
        entityId: c.id,
        outcome: "SUCCESS",
        detail: { after: "RETURNED" },
      });
    });
  } catch {
    return { sent: false }; // resubmitted or withdrawn a moment ago
  }
  const coordinators = await staffOf(db, c.targetInstitutionId, ["COORDINATOR"]);
  publish(sink, [
    consultationEvent("consultation:expired", { ...c, status: "EXPIRED" }, [c.requestingDoctorId, ...coordinators], {
      reason: RETURN_EXPIRED_REASON,
    }),
  ]);
  return { sent: true };
}

export async function initConsultationReturns(db: Db, sink: EventSink, connection: ConnectionOptions, prefix: string) {
  const queue = new Queue<ReturnJobData, unknown, ReturnJobName>(RETURNS_QUEUE, { connection, prefix });
  const worker = new Worker<ReturnJobData, unknown, ReturnJobName>(
    RETURNS_QUEUE,
    async (job) => execReturnJob(db, sink, ReturnJobData.parse(job.data)),
    { connection, prefix, concurrency: 4 },
  );
  return { queue, worker };
}
