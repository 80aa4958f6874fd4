import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { PostLimiter } from "./post-limit";

const redis = new Redis(process.env.REDIS_URL!);
afterAll(() => redis.quit());

const budget = { limit: 3, windowMs: 10_000 };
const code = (f: () => unknown) => {
  try {
    f();
    return "admitted";
  } catch (e) {
    return (e as { code: string }).code;
  }
};

test("one process admits a person's posts up to the limit at once, and again once their window has passed", () => {
  const limiter = new PostLimiter(redis, process.env.REDIS_PREFIX!, budget);
  const t = 1_000_000;
  const posts = Array.from({ length: 5 }, () => code(() => limiter.admit("room", "doctor", t)));
  expect(posts).toEqual(["admitted", "admitted", "admitted", "RATE_LIMITED", "RATE_LIMITED"]);
  // Someone else in the same room, and the same person in another room, have their own budgets.
  expect(code(() => limiter.admit("room", "specialist", t))).toBe("admitted");
  expect(code(() => limiter.admit("other-room", "doctor", t))).toBe("admitted");
  expect(code(() => limiter.admit("room", "doctor", t + 10_000))).toBe("admitted");
});

test("posts of one person through two server processes add up in Redis, where the one past the limit is refused", async () => {
  const prefix = `${process.env.REDIS_PREFIX}:${randomUUID()}`;
  const [a, b] = [new PostLimiter(redis, prefix, budget), new PostLimiter(redis, prefix, budget)];
  const results: string[] = [];
  for (const limiter of [a, b, a, b]) {
    limiter.admit("room", "doctor"); // two each: neither process alone is past the limit
    results.push(
      await limiter.count("room", "doctor").then(
        () => "stored",
        (e: { code: string; details?: { retryAfterMs: number } }) => `${e.code} ${e.details!.retryAfterMs > 0}`,
      ),
    );
  }
  expect(results).toEqual(["stored", "stored", "stored", "RATE_LIMITED true"]);
});

test("a burst of posts from several people, counted together, is judged per person; a restarted Redis that forgot the script still counts", async () => {
  const prefix = `${process.env.REDIS_PREFIX}:${randomUUID()}`;
  const limiter = new PostLimiter(redis, prefix, budget);
  const burst = ["doctor", "doctor", "specialist", "doctor", "doctor", "specialist"].map((who) =>
    limiter.count("room", who).then(
      () => `${who} stored`,
      (e: { code: string }) => `${who} ${e.code}`,
    ),
  );
  expect(await Promise.all(burst)).toEqual([
    "doctor stored",
    "doctor stored",
    "specialist stored",
    "doctor stored",
    "doctor RATE_LIMITED",
    "specialist stored",
  ]);
  await redis.script("FLUSH");
  await expect(limiter.count("room", "nurse")).resolves.toBeUndefined();
});
