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

// Count, start the window on the first post, and read what is left of it, for every key given: posts that arrive
// within one turn of the event loop go to Redis together, in one script call (it runs for every chat message and
// question; bench chat: one write to Redis per post cost more than storing the post).
const COUNT_POSTS = `
  local out = {}
  for i, key in ipairs(KEYS) do
    local n = redis.call('INCR', key)
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[i])
      ttl = tonumber(ARGV[i])
    end
    out[2 * i - 1] = n
    out[2 * i] = ttl
  end
  return out`;

type WithCountPosts = Redis & { yilianCountPosts(...keysThenWindows: (string | number)[]): Promise<number[]> };

interface PendingCount {
  key: string;
  windowMs: number;
  resolve: (count: [n: number, ttl: number]) => void;
  reject: (e: unknown) => void;
}

/** Per Redis connection: the posts counted in this turn of the event loop, sent when it ends. */
const pending = new WeakMap<Redis, PendingCount[]>();

function flush(redis: Redis): void {
  const batch = pending.get(redis) ?? [];
  pending.delete(redis);
  (redis as WithCountPosts)
    .yilianCountPosts(batch.length, ...batch.map((c) => c.key), ...batch.map((c) => c.windowMs))
    .then(
      (out) => batch.forEach((c, i) => c.resolve([out[2 * i]!, out[2 * i + 1]!])),
      (e: unknown) => batch.forEach((c) => c.reject(e)),
    );
}

/** Counts one post under `key`: how many in the current window, and the ms left of it. */
function countInRedis(redis: Redis, key: string, windowMs: number): Promise<[n: number, ttl: number]> {
  let batch = pending.get(redis);
  if (!batch) {
    // Sent by SHA once loaded (ioredis falls back to the script when Redis restarted and forgot it).
    if (!("yilianCountPosts" in redis)) redis.defineCommand("yilianCountPosts", { lua: COUNT_POSTS });
    pending.set(redis, (batch = []));
    // After the I/O callbacks of this turn: a burst of posts read from many sockets goes in one call.
    setImmediate(flush, redis);
  }
  return new Promise((resolve, reject) => batch.push({ key, windowMs, resolve, reject }));
}

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
  const [n, ttl] = await countInRedis(redis, `${prefix}:post-limit:${roomKey}:${userId}`, windowMs);
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
