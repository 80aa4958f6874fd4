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

/** Counts one post of `userId` in the media room `roomKey`; past the limit: RATE_LIMITED, the wait in `retryAfterMs`. */
export async function countPost(
  redis: Redis,
  prefix: string,
  roomKey: string,
  userId: string,
  { limit, windowMs }: PostLimit = ROOM_POST_LIMIT,
): Promise<void> {
  const key = `${prefix}:post-limit:${roomKey}:${userId}`;
  const [[, n], , [, ttl]] = (await redis.multi().incr(key).pexpire(key, windowMs, "NX").pttl(key).exec()) as [
    [null, number],
    unknown,
    [null, number],
  ];
  if (n > limit)
    throw new AppError(ErrorCode.RATE_LIMITED, "发送过于频繁，请稍后再试", {
      details: { retryAfterMs: Math.max(0, ttl) },
    });
}
