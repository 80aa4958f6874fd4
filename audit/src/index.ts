// @yilian/audit: who did what to which record, when, from where, and how it ended. Every audit row of the
// system is written by writeAudit: the server binds it to the request context (server/src/audit/audit.ts), the
// worker's jobs write with no source (actor = the system).
import type { Prisma, PrismaClient } from "@prisma/client";

export type AuditOutcome = "SUCCESS" | "DENIED" | "NOT_FOUND" | "INVALID" | "FAILED";

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  outcome: AuditOutcome;
  detail?: Prisma.InputJsonValue;
  /** Overrides the caller from the source (e.g. a login, before anyone is authenticated). */
  actorId?: string | null;
  actorInstitutionId?: string | null;
}

/** Where the action came from: the API request that made it, or nothing for background jobs. */
export interface AuditSource {
  actorId?: string | null;
  actorInstitutionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/** The database or a transaction client: pass the transaction to commit the row with the change it records. */
export type AuditWriter = Pick<PrismaClient, "auditLog"> | Pick<Prisma.TransactionClient, "auditLog">;

export function auditRow(entry: AuditEntry, source: AuditSource = {}): Prisma.AuditLogCreateManyInput {
  return {
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    outcome: entry.outcome,
    detail: entry.detail,
    actorId: entry.actorId !== undefined ? entry.actorId : (source.actorId ?? null),
    actorInstitutionId:
      entry.actorInstitutionId !== undefined ? entry.actorInstitutionId : (source.actorInstitutionId ?? null),
    ip: source.ip ?? null,
    userAgent: source.userAgent?.slice(0, 300) ?? null,
    requestId: source.requestId ?? null,
  };
}

/** Writes one audit row. */
export async function writeAudit(db: AuditWriter, entry: AuditEntry, source: AuditSource = {}): Promise<void> {
  await db.auditLog.create({ data: auditRow(entry, source) });
}
