import type { Redis } from "ioredis";
import { localDate } from "./time";

/** HZ20261123-0001: per local day, from a Redis counter (the unique index stays the guarantee). */
export async function nextNumber(redis: Redis, prefix: string, letters: "HZ" | "ZZ"): Promise<string> {
  const day = localDate(new Date()).replaceAll("-", "");
  const key = `${prefix}:seq:${letters}:${day}`;
  const n = await redis.incr(key);
  if (n === 1) await redis.expire(key, 3 * 86_400);
  return `${letters}${day}-${String(n).padStart(4, "0")}`;
}
