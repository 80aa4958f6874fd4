// The one Socket.IO event map, shared by server and client SDK. Event names are `domain:verb`.
// Every client request carries an ack callback answering Ack<T>; types do not replace validation:
// the server parses every payload with the schema of the same name.
import type { AckCallback, ErrorPayload } from "./errors";
import type { Me } from "./auth";

/** A live notification for a user (personal room) or an institution (institution room). */
export interface Notification {
  id: string;
  type: string;
  /** ISO 8601, UTC. */
  at: string;
  title: string;
  body?: string;
  data?: Record<string, unknown>;
}

export interface ServerToClientEvents {
  "notification": (n: Notification) => void;
  /** The session this socket authenticated with was revoked (logout elsewhere, account disabled). */
  "session:revoked": (e: ErrorPayload) => void;
}

export interface ClientToServerEvents {
  "session:whoami": (ack: AckCallback<Me>) => void;
}

/** Rooms every authenticated socket joins. */
export const rooms = {
  user: (userId: string) => `user:${userId}`,
  institution: (institutionId: string) => `institution:${institutionId}`,
} as const;
