// Per-account lock-out: failed passwords for one (normalised) username are counted whatever address they come
// from, so an attacker rotating addresses cannot dodge it. After `after` failures in a row the account is locked
// for `baseS`, doubling with each further failure up to `maxS`; a lock always ends by time, a successful login
// resets the count, and an administrator can lift it at once (users/users.ts → unlockUser).
import type { Redis } from "ioredis";

export interface LockoutSettings {
  after: number;
  baseS: number;
  maxS: number;
}

export class LoginLockout {
  constructor(
    private readonly redis: Redis,
    private readonly redisPrefix: string,
    private readonly settings: LockoutSettings,
  ) {}

  /** Seconds until `username` may try again; 0 when it is not locked. */
  async lockedForS(username: string): Promise<number> {
    const ttlMs = await this.redis.pttl(this.key("lock", username));
    return ttlMs > 0 ? Math.ceil(ttlMs / 1000) : 0;
  }

  /** Counts a failed password; returns the lock's length in seconds when this failure locks the account. */
  async recordFailure(username: string): Promise<number> {
    const { after, baseS, maxS } = this.settings;
    const failsKey = this.key("fails", username);
    const [[, fails]] = (await this.redis
      .multi()
      .incr(failsKey)
      .expire(failsKey, Math.max(maxS * 2, 86_400))
      .exec()) as [[unknown, number]];
    if (fails < after) return 0;
    const lockS = Math.min(maxS, baseS * 2 ** Math.min(fails - after, 30));
    await this.redis.set(this.key("lock", username), String(fails), "EX", lockS);
    return lockS;
  }

  async recordSuccess(username: string): Promise<void> {
    await this.redis.del(this.key("fails", username));
  }

  /** Lifts a lock and forgets the failures (an administrator's decision). Returns whether it was locked. */
  async lift(username: string): Promise<boolean> {
    const removed = await this.redis.del(this.key("lock", username), this.key("fails", username));
    return removed > 0;
  }

  private key(kind: "fails" | "lock", username: string): string {
    return `${this.redisPrefix}:auth:lockout:${kind}:${username}`;
  }
}
