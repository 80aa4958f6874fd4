// Where room chat is stored. Chat is the busiest write of a call (bench chat: 1,665 messages/s over two server
// processes), so messages that arrive while a write is under way go together in the next one (group commit): one
// statement per batch writes the messages and their audit rows (db.ts groupCommit), and a message alone is written at
// once. A failed write fails every message of its batch (nothing is half-written: one statement). A message sent again
// under the sender's same clientRef has the same id (chatMessageId) and is stored once.
import { createHash } from "node:crypto";
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
  sentAt: Date;
  /** Named by its sender (clientRef): it may already be stored by an earlier send. */
  named: boolean;
}

/** The message as stored: a resend answers with the first copy's time and text. */
export interface StoredChat {
  sentAt: Date;
  text: string;
}

/**
 * The id of the message `senderId` named `clientRef` in room `roomId`. Derived, not taken from the client: a sender
 * can only ever name its own messages, so a resend cannot overwrite, or be mistaken for, anyone else's.
 */
export function chatMessageId(senderId: string, roomId: string, clientRef: string): string {
  const h = createHash("sha256").update(`chat\0${senderId}\0${roomId}\0${clientRef}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8 (custom), RFC 9562
  h[8] = (h[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

interface Pending {
  row: ChatRow;
  audit: ResolvedAuditRow;
}

export class ChatLog {
  /** Rows per statement at most: a burst goes in a few statements, each quick to parse. */
  private readonly commit = groupCommit<Pending, StoredChat>((batch) => this.insert(batch), { maxBatch: 200 });

  /** The last time given out by sentAt(). */
  private lastMs = 0;

  constructor(private readonly pool: Pick<pg.Pool, "query">) {}

  /**
   * A message's time: now, but always after the previous message's in this process (a burst arrives within one
   * millisecond), so the room's history keeps each sender's order (a sender's socket lives on one process).
   */
  sentAt(): Date {
    this.lastMs = Math.max(Date.now(), this.lastMs + 1);
    return new Date(this.lastMs);
  }

  /** Stores a message with its audit row; resolves once committed, with the message as stored. */
  write(row: ChatRow, audit: AuditEntry): Promise<StoredChat> {
    // The audit row takes the request's source now: the batch is written outside this request's context.
    return this.commit({ row, audit: auditRowNow(audit) });
  }

  /** The batch's messages and audit rows in one statement; each message as stored, in the batch's order. */
  private async insert(batch: Pending[]): Promise<StoredChat[]> {
    const audit = auditRowsInsert(
      batch.map((p) => p.audit),
      8,
    );
    // The final SELECT sees the table as it was before this statement: it finds the messages stored by an earlier
    // send (a resend's first copy), not the ones this statement inserts. Only named messages can have one.
    const { rows } = await this.pool.query<{ id: string; sentAt: Date; text: string }>({
      // Prepared once per connection: PostgreSQL parses and plans the statement once, not for every batch.
      name: "chat-log.insert",
      text: `WITH m AS (
         INSERT INTO "RoomChatMessage" (id, "roomKind", "roomId", "senderId", text, "sentAt")
         SELECT * FROM unnest($1::uuid[], $2::"MediaRoomKind"[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[])
         ON CONFLICT (id) DO NOTHING
       ), a AS (${audit.text})
       SELECT id::text AS id, "sentAt", text FROM "RoomChatMessage" WHERE id = ANY($7::uuid[])`,
      values: [
        batch.map((p) => p.row.id),
        batch.map((p) => p.row.roomKind),
        batch.map((p) => p.row.roomId),
        batch.map((p) => p.row.senderId),
        batch.map((p) => p.row.text),
        batch.map((p) => p.row.sentAt),
        batch.filter((p) => p.row.named).map((p) => p.row.id),
        ...audit.values,
      ],
    });
    const earlier = new Map(rows.map((r) => [r.id, r]));
    return batch.map(({ row }) => earlier.get(row.id) ?? { sentAt: row.sentAt, text: row.text });
  }
}
