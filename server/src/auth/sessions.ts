// Which logins (refresh-token families) are live. An access token is honoured only while its session is: a token
// whose `sid` names no live session answers TOKEN_REVOKED. Cheap per request: each process remembers an answer
// for at most CACHE_MS (so a revocation anywhere takes effect everywhere within a second), Redis holds one
// marker per session, and the database (the truth) is asked only when Redis has no marker (e.g. after a flush).
import type { Redis } from "ioredis";

/** How long a process trusts its own answer; bounds how late a revocation elsewhere is noticed. */
export const SESSION_CACHE_MS = 1000;
const MAX_CACHED = 100_000;
/** Marker of an ended session; a live one's marker is its user's id. */
const REVOKED = "0";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The database's answer for a live session (not revoked, not expired): its user and expiry; else null. */
export type SessionLookup = (sessionId: string) => Promise<{ userId: string; expiresAt: Date } | null>;

export class SessionRegistry {
  /** Session id → the user it is live for (null: not live), trusted until `until`. */
  private readonly cache = new Map<string, { userId: string | null; until: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly redisPrefix: string,
    private readonly lookup: SessionLookup,
    /** How long a revoked marker is kept: the access-token lifetime, after which its tokens are expired anyway. */
    private readonly revokedTtlS: number,
  ) {}

  /** Whether `sessionId` is a live session of `userId`. */
  async isLive(sessionId: string, userId: string): Promise<boolean> {
    if (!UUID.test(sessionId)) return false;
    const now = Date.now();
    const hit = this.cache.get(sessionId);
    if (hit && hit.until > now) return hit.userId === userId;
    let marker = await this.redis.get(this.key(sessionId));
    if (marker === null) {
      const live = await this.lookup(sessionId);
      marker = live ? live.userId : REVOKED;
      const ttlS = live ? Math.ceil((live.expiresAt.getTime() - Date.now()) / 1000) : this.revokedTtlS;
      if (ttlS > 0) await this.redis.set(this.key(sessionId), marker, "EX", ttlS);
    }
    const owner = marker === REVOKED ? null : marker;
    this.remember(sessionId, owner, now);
    return owner === userId;
  }

  /** A login or refresh: the session is live for `userId` until `expiresAt` (the refresh token's expiry). */
  async markLive(sessionId: string, userId: string, expiresAt: Date): Promise<void> {
    const ttlS = Math.max(1, Math.ceil((expiresAt.getTime() - Date.now()) / 1000));
    await this.redis.set(this.key(sessionId), userId, "EX", ttlS);
    this.cache.delete(sessionId);
  }

  /** Logout, reuse of a rotated refresh token, an account disabled or changed: effective here now, elsewhere ≤ 1 s. */
  async revoke(sessionIds: string[]): Promise<void> {
    if (!sessionIds.length) return;
    const multi = this.redis.multi();
    for (const sid of sessionIds) multi.set(this.key(sid), REVOKED, "EX", this.revokedTtlS);
    await multi.exec();
    for (const sid of sessionIds) this.remember(sid, null, Date.now());
  }

  private remember(sessionId: string, userId: string | null, now: number): void {
    if (this.cache.size >= MAX_CACHED) this.cache.clear(); // bounded memory; the next second refills it
    this.cache.set(sessionId, { userId, until: now + SESSION_CACHE_MS });
  }

  private key(sessionId: string): string {
    return `${this.redisPrefix}:auth:session:${sessionId}`;
  }
}
