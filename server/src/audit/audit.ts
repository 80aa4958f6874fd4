// The API's audit log writer: rows carry the caller and client address of the current request (the row format
// and writer are @yilian/audit's, shared with the worker).
import { writeAudit, type AuditEntry, type AuditSource, type AuditWriter } from "@yilian/audit";
import { getContext } from "../http/context";

function requestSource(): AuditSource {
  const ctx = getContext();
  if (!ctx) return {};
  return {
    actorId: ctx.user?.id ?? null,
    actorInstitutionId: ctx.user?.institutionId ?? null,
    ip: ctx.ip ?? null,
    userAgent: ctx.userAgent ?? null,
    requestId: ctx.requestId,
  };
}

/** Writes one audit row; pass a transaction client to commit it together with the change it records. */
export async function audit(db: AuditWriter, entry: AuditEntry): Promise<void> {
  await writeAudit(db, entry, requestSource());
}
