// The API's audit log writer: rows carry the caller and client address of the current request (the row format
// and writer are @yilian/audit's, shared with the worker).
import { auditRow, writeAudit, type AuditEntry, type AuditSource, type AuditWriter } from "@yilian/audit";
import type { Sql } from "../db";
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

/**
 * The row as an `INSERT INTO "AuditLog"` whose parameters start at `$first`: for a statement that writes the row
 * together with the change it records (a data-modifying CTE commits both or neither, in one round trip).
 */
export function auditInsert(entry: AuditEntry, first = 1): { text: string; values: unknown[] } {
  return auditRowsInsert([auditRowNow(entry)], first);
}

/** An audit row with its source filled in. */
export type ResolvedAuditRow = ReturnType<typeof auditRow>;

/** The row with the current request's source, to be written later outside the request (group commit). */
export function auditRowNow(entry: AuditEntry): ResolvedAuditRow {
  return auditRow(entry, requestSource());
}

/**
 * Several resolved rows as one `INSERT INTO "AuditLog"` whose ten array parameters start at `$first` (for a statement
 * that writes a batch of changes with their audit rows).
 */
export function auditRowsInsert(rows: ResolvedAuditRow[], first = 1): { text: string; values: unknown[] } {
  const $ = (i: number) => `$${first + i}`;
  return {
    text: `INSERT INTO "AuditLog" ("actorId", "actorInstitutionId", action, "entityType", "entityId", outcome, ip, "userAgent", "requestId", detail)
           SELECT * FROM unnest(${$(0)}::uuid[], ${$(1)}::uuid[], ${$(2)}::text[], ${$(3)}::text[], ${$(4)}::text[],
                                ${$(5)}::"AuditOutcome"[], ${$(6)}::text[], ${$(7)}::text[], ${$(8)}::text[], ${$(9)}::jsonb[])`,
    values: [
      rows.map((r) => r.actorId ?? null),
      rows.map((r) => r.actorInstitutionId ?? null),
      rows.map((r) => r.action),
      rows.map((r) => r.entityType),
      rows.map((r) => r.entityId ?? null),
      rows.map((r) => r.outcome),
      rows.map((r) => r.ip ?? null),
      rows.map((r) => r.userAgent ?? null),
      rows.map((r) => r.requestId ?? null),
      rows.map((r) => (r.detail === undefined || r.detail === null ? null : JSON.stringify(r.detail))),
    ],
  };
}

/** The same row through plain SQL, inside the caller's transaction (hot paths, see db.ts). */
export async function auditSql(sql: Sql, entry: AuditEntry): Promise<void> {
  const { text, values } = auditInsert(entry);
  await sql.query(text, values);
}
