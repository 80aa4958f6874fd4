// Monthly answers already built, per query, each kept with the version of the rollups it was built from: the
// `computedMonths` of its range (MonthlyStatRun, written in the same transaction as the rollups it describes). A
// request still checks the version in the database (one small statement, with its audit row) and rebuilds the answer
// when any month of its range was recomputed since, so the answer is always the rollups' current one; what it saves
// is moving and re-serialising a megabyte of rows from PostgreSQL for every dashboard that opens on the same scope.
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { AnswerCoding } from "../http/route";

export interface BuiltAnswer {
  version: string;
  /** UTF-8 JSON. */
  body: Buffer;
  /** Weak ETag of the body, as Express would make it. */
  etag: string;
  /** The body compressed, for clients that accept it. */
  coded: Record<AnswerCoding, Buffer>;
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * An answer ready to keep: encoded once, hashed once, compressed once (in libuv's thread pool, off the event loop).
 * Brotli at quality 5: a megabyte of rows in ~10 ms to ~5 % of its size; the higher qualities cost many times more
 * for a few per cent less.
 */
export async function builtAnswer(version: string, text: string): Promise<BuiltAnswer> {
  const body = Buffer.from(text);
  const hash = createHash("sha1").update(body).digest("base64").slice(0, 27);
  const [br, gz] = await Promise.all([
    brotli(body, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
    gzip(body, { level: 6 }),
  ]);
  return { version, body, etag: `W/"${body.length.toString(16)}-${hash}"`, coded: { br, gzip: gz } };
}

/** Least recently used answers, bounded by their total size in bytes (the plain body's: the rest is a tenth of it). */
export class AnswerCache {
  private readonly entries = new Map<string, BuiltAnswer>();
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): BuiltAnswer | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Map order is insertion order: re-inserting marks it as the most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, answer: BuiltAnswer): void {
    this.delete(key);
    if (answer.body.length > this.maxBytes) return;
    this.entries.set(key, answer);
    this.size += answer.body.length;
    for (const [oldest] of this.entries) {
      if (this.size <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  private delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.size -= old.body.length;
  }
}
