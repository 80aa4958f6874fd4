// Where room chat is stored. Chat is the busiest write of a call (bench chat: 1,665 messages/s over two server
// processes), so messages that arrive while a write is under way go together in the next one (group commit): one
// statement per batch writes the messages and their audit rows (db.ts groupCommit), and a message alone is written at
// once. A sender hears back, and the room sees the message, only after it committed; a failed write fails every
// message of its batch (nothing is half-written: one statement).
import type pg from "pg";
import type { AuditEntry } from "@yilian/audit";
import { auditRowNow, auditRowsInsert, type ResolvedAuditRow } from "../audit/audit";
import { groupCommit } from "../db";

export interface ChatRow {
  id: string;
  roomKind: "CONSULTATION" | "TRAINING";
  roomId: string;
  senderId: string;
  text: string;
}

interface Pending {
  row: ChatRow;
  audit: ResolvedAuditRow;
}

export class ChatLog {
  /** Rows per statement at most: a burst goes in a few statements, each quick to parse. */
  private readonly commit = groupCommit<Pending, Date>((batch) => this.insert(batch), { maxBatch: 200 });

  constructor(private readonly pool: Pick<pg.Pool, "query">) {}

  /** Stores a message with its audit row; resolves with its time once committed. */
  write(row: ChatRow, audit: AuditEntry): Promise<Date> {
    // The audit row takes the request's source now: the batch is written outside this request's context.
    return this.commit({ row, audit: auditRowNow(audit) });
  }

  /** The batch's messages and audit rows in one statement; their times in the batch's order. */
  private async insert(batch: Pending[]): Promise<Date[]> {
    const audit = auditRowsInsert(
      batch.map((p) => p.audit),
      6,
    );
    // clock_timestamp() per row, in arrival order: a batch's messages keep their order in the room's history.
    const { rows } = await this.pool.query<{ id: string; sentAt: Date }>(
      `WITH m AS (
         INSERT INTO "RoomChatMessage" (id, "roomKind", "roomId", "senderId", text, "sentAt")
         SELECT t.id, t.kind, t.room, t.sender, t.text, clock_timestamp()
           FROM unnest($1::uuid[], $2::"MediaRoomKind"[], $3::uuid[], $4::uuid[], $5::text[]) WITH ORDINALITY
                AS t(id, kind, room, sender, text, n)
          ORDER BY t.n
         RETURNING id, "sentAt"
       ), a AS (${audit.text})
       SELECT id::text AS id, "sentAt" FROM m`,
      [
        batch.map((p) => p.row.id),
        batch.map((p) => p.row.roomKind),
        batch.map((p) => p.row.roomId),
        batch.map((p) => p.row.senderId),
        batch.map((p) => p.row.text),
        ...audit.values,
      ],
    );
    const sentAt = new Map(rows.map((r) => [r.id, r.sentAt]));
    return batch.map((p) => sentAt.get(p.row.id)!);
  }
}
