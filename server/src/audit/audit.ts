// Audit log: who did what to which record, when, from where, and how it ended.
// Writes take the caller and client address from the request context.
import type { Prisma } from "@prisma/client";
import type { Db, Sql } from "../db";
import { getContext } from "../http/context";

export type AuditOutcome = "SUCCESS" | "DENIED" | "NOT_FOUND" | "INVALID" | "FAILED";

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  outcome: AuditOutcome;
  detail?: Prisma.InputJsonValue;
  /** Overrides the caller from the request context (e.g. a login, before anyone is authenticated). */
  actorId?: string | null;
  actorInstitutionId?: string | null;
}

type AuditWriter = Pick<Db, "auditLog">;

export function auditData(entry: AuditEntry): Prisma.AuditLogCreateManyInput {
  const ctx = getContext();
  return {
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    outcome: entry.outcome,
    detail: entry.detail,
    actorId: entry.actorId !== undefined ? entry.actorId : (ctx?.user?.id ?? null),
    actorInstitutionId:
      entry.actorInstitutionId !== undefined ? entry.actorInstitutionId : (ctx?.user?.institutionId ?? null),
    ip: ctx?.ip ?? null,
    userAgent: ctx?.userAgent?.slice(0, 300) ?? null,
    requestId: ctx?.requestId ?? null,
  };
}

/** Writes one audit row; pass a transaction client to commit it together with the change it records. */
export async function audit(db: AuditWriter, entry: AuditEntry): Promise<void> {
  await db.auditLog.create({ data: auditData(entry) });
}

/** The same row through plain SQL, inside the caller's transaction (hot paths, see db.ts). */
export async function auditSql(sql: Sql, entry: AuditEntry): Promise<void> {
  const row = Object.entries(auditData(entry)).filter(([, v]) => v !== undefined);
  const values = row.map(([k, v]) => (k === "detail" && v !== null ? JSON.stringify(v) : v));
  const columns = row.map(([k]) => `"${k}"`).join(", ");
  await sql.query(`INSERT INTO "AuditLog" (${columns}) VALUES (${row.map((_, i) => `$${i + 1}`).join(", ")})`, values);
}
