import { Redis } from "ioredis";

export function createRedis(url: string, opts: { lazy?: boolean } = {}): Redis {
  return new Redis(url, {
    lazyConnect: opts.lazy ?? false,
    // BullMQ and the Socket.IO adapter need blocking commands to wait as long as they must.
    maxRetriesPerRequest: null,
  });
}
