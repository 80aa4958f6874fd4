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
  const row = Object.entries(auditRow(entry, requestSource())).filter(([, v]) => v !== undefined);
  const values = row.map(([k, v]) => (k === "detail" && v !== null ? JSON.stringify(v) : v));
  const columns = row.map(([k]) => `"${k}"`).join(", ");
  const params = row.map((_, i) => `$${first + i}`).join(", ");
  return { text: `INSERT INTO "AuditLog" (${columns}) VALUES (${params})`, values };
}

/** The same row through plain SQL, inside the caller's transaction (hot paths, see db.ts). */
export async function auditSql(sql: Sql, entry: AuditEntry): Promise<void> {
  const { text, values } = auditInsert(entry);
  await sql.query(text, values);
}
