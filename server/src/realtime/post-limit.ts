// How fast one person may post into a live room (video-room chat and, in a lecture, questions too: one budget per
// person and room): a fixed window in Redis, shared by every server process, so one client cannot flood a room of
// hundreds or the audit log.
import type { Redis } from "ioredis";
import { AppError, ErrorCode } from "@yilian/contract";

export interface PostLimit {
  limit: number;
  windowMs: number;
}

/** Ten messages in ten seconds: more than anyone types, far less than a script sends. */
export const ROOM_POST_LIMIT: PostLimit = { limit: 10, windowMs: 10_000 };

// Count, start the window on the first post, and read what is left of it: one script, one round trip and one reply
// per post (it runs for every chat message and question: bench chat).
const COUNT_POST = `
  local n = redis.call('INCR', KEYS[1])
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  return {n, ttl}`;

type WithCountPost = Redis & { yilianCountPost(key: string, windowMs: number): Promise<[number, number]> };

const scripted = new WeakSet<Redis>();

const refused = (retryAfterMs: number) =>
  new AppError(ErrorCode.RATE_LIMITED, "发送过于频繁，请稍后再试", {
    details: { retryAfterMs: Math.max(0, retryAfterMs) },
  });

/** Counts one post of `userId` in the media room `roomKey`; past the limit: RATE_LIMITED, the wait in `retryAfterMs`. */
export async function countPost(
  redis: Redis,
  prefix: string,
  roomKey: string,
  userId: string,
  { limit, windowMs }: PostLimit = ROOM_POST_LIMIT,
): Promise<void> {
  if (!scripted.has(redis)) {
    // Sent by SHA once loaded (ioredis falls back to the script when Redis restarted and forgot it).
    redis.defineCommand("yilianCountPost", { numberOfKeys: 1, lua: COUNT_POST });
    scripted.add(redis);
  }
  const [n, ttl] = await (redis as WithCountPost).yilianCountPost(
    `${prefix}:post-limit:${roomKey}:${userId}`,
    windowMs,
  );
  if (n > limit) throw refused(ttl);
}

/**
 * The same budget, checked first by this process alone and then in Redis: `admit` answers at once from this
 * process's own windows, so a post can reach the room without waiting for Redis (chat is delivered before it is
 * stored; bench chat) and a flood from one connection is cut off before anyone sees it; `count` then counts it in
 * Redis, where posts of the same person through other server processes add up, before it is stored.
 */
export class PostLimiter {
  /** Per room and person: posts in the current window and when it ends, oldest window first. */
  private readonly windows = new Map<string, { n: number; endsAt: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly budget: PostLimit = ROOM_POST_LIMIT,
  ) {}

  /** This process's count: RATE_LIMITED once the person went past the limit here. */
  admit(roomKey: string, userId: string, now = Date.now()): void {
    // Windows are all as long and re-inserted when they restart, so the map is in order of their end.
    for (const [key, w] of this.windows) {
      if (w.endsAt > now) break;
      this.windows.delete(key);
    }
    const key = `${roomKey}:${userId}`;
    let w = this.windows.get(key);
    if (!w) {
      w = { n: 0, endsAt: now + this.budget.windowMs };
      this.windows.set(key, w);
    }
    if (++w.n > this.budget.limit) throw refused(w.endsAt - now);
  }

  /** The cluster-wide count (the authority: a window here may have started later than Redis's). */
  count(roomKey: string, userId: string): Promise<void> {
    return countPost(this.redis, this.prefix, roomKey, userId, this.budget);
  }
}
