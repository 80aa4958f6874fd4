// Object storage for uploads, previews and recordings: local disk by default, any S3-compatible store (MinIO,
// Ceph, OSS) when S3_ENDPOINT / S3_BUCKET are set. Keys are relative paths like "uploads/ab/<uuid>".
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat, readdir, copyFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { z } from "zod";

export interface StoredObject {
  size: number;
  modifiedAt: Date;
}

export interface ByteRange {
  start: number;
  /** Inclusive, like HTTP Range. */
  end: number;
}

export interface Storage {
  readonly kind: "local" | "s3";
  /**
   * Stores a local file under `key` atomically (readers never see a partial object). With `move`, the source is
   * consumed (renamed into place on local disk); otherwise it is left alone.
   */
  putFile(key: string, file: string, opts?: { contentType?: string; move?: boolean }): Promise<void>;
  get(key: string, range?: ByteRange): Promise<Readable>;
  stat(key: string): Promise<StoredObject | null>;
  /** Idempotent: deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Copies the object to a local file for tools that need a path (ffprobe, pdftoppm). */
  download(key: string, file: string): Promise<void>;
  list(prefix: string): AsyncIterable<{ key: string; modifiedAt: Date }>;
}

const StorageEnv = z.object({
  // Beside the generated secrets, outside the source tree (the @yilian/storage package lives in ./storage).
  STORAGE_DIR: z.string().default("./.state/files"),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: z
    .enum(["true", "false", "1", "0"])
    .default("true")
    .transform((v) => v === "true" || v === "1"),
});
export type StorageConfig = z.infer<typeof StorageEnv>;

export function storageConfig(env: NodeJS.ProcessEnv = process.env): StorageConfig {
  return StorageEnv.parse(env);
}

const SAFE_KEY = /^[a-z0-9][a-z0-9/_.-]*$/i;
function checkKey(key: string): string {
  if (!SAFE_KEY.test(key) || key.includes("..")) throw new Error(`invalid storage key: ${key}`);
  return key;
}

export class LocalStorage implements Storage {
  readonly kind = "local" as const;
  constructor(readonly root: string) {}

  pathOf(key: string): string {
    return path.join(this.root, checkKey(key));
  }

  /** Scratch directory on the same file system, so a rename into place is atomic. */
  async tmpDir(): Promise<string> {
    const dir = path.join(this.root, ".tmp");
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /** Directories already made: keys share a few hundred prefixes, and a PACS import stores hundreds of objects. */
  private readonly made = new Set<string>();

  async putFile(key: string, file: string, opts: { move?: boolean } = {}, again = false): Promise<void> {
    const dest = this.pathOf(key);
    const dir = path.dirname(dest);
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.made.add(dir);
    }
    // Scratch files live under the same root, so a rename is atomic and free.
    if (opts.move) {
      try {
        await rename(file, dest);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // The directory was removed behind our back (an operator's clean-up): make it again, once.
        if (code === "ENOENT" && !again) {
          this.made.delete(dir);
          return this.putFile(key, file, opts, true);
        }
        if (code !== "EXDEV") throw e;
      }
    }
    const tmp = path.join(await this.tmpDir(), randomUUID());
    try {
      await copyFile(file, tmp);
      await rename(tmp, dest);
      if (opts.move) await rm(file, { force: true });
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const p = this.pathOf(key);
    await stat(p); // throws ENOENT before a stream is handed out
    return createReadStream(p, range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const s = await stat(this.pathOf(key));
      return { size: s.size, modifiedAt: s.mtime };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async download(key: string, file: string): Promise<void> {
    await copyFile(this.pathOf(key), file);
  }

  async *list(prefix: string): AsyncIterable<{ key: string; modifiedAt: Date }> {
    const base = this.pathOf(prefix.replace(/\/$/, ""));
    const walk = async function* (dir: string): AsyncGenerator<string> {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) yield* walk(p);
        else yield p;
      }
    };
    for await (const p of walk(base)) {
      const s = await stat(p).catch(() => null);
      if (s) yield { key: path.relative(this.root, p).split(path.sep).join("/"), modifiedAt: s.mtime };
    }
  }
}

export class S3Storage implements Storage {
  readonly kind = "s3" as const;
  // Loaded lazily: the SDK is large and most deployments use local disk.
  private clientP: Promise<{ s3: import("@aws-sdk/client-s3").S3Client; sdk: typeof import("@aws-sdk/client-s3") }>;

  constructor(private readonly cfg: StorageConfig & { S3_BUCKET: string }) {
    this.clientP = import("@aws-sdk/client-s3").then((sdk) => ({
      sdk,
      s3: new sdk.S3Client({
        endpoint: cfg.S3_ENDPOINT,
        region: cfg.S3_REGION,
        forcePathStyle: cfg.S3_FORCE_PATH_STYLE,
        credentials:
          cfg.S3_ACCESS_KEY_ID && cfg.S3_SECRET_ACCESS_KEY
            ? { accessKeyId: cfg.S3_ACCESS_KEY_ID, secretAccessKey: cfg.S3_SECRET_ACCESS_KEY }
            : undefined,
      }),
    }));
  }

  async putFile(key: string, file: string, opts: { contentType?: string; move?: boolean } = {}): Promise<void> {
    const { s3, sdk } = await this.clientP;
    const { size } = await stat(file);
    // A single PUT is atomic on S3: the object appears whole or not at all.
    await s3.send(
      new sdk.PutObjectCommand({
        Bucket: this.cfg.S3_BUCKET,
        Key: checkKey(key),
        Body: createReadStream(file),
        ContentLength: size,
        ContentType: opts.contentType,
      }),
    );
    if (opts.move) await rm(file, { force: true });
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const { s3, sdk } = await this.clientP;
    const r = await s3.send(
      new sdk.GetObjectCommand({
        Bucket: this.cfg.S3_BUCKET,
        Key: checkKey(key),
        Range: range ? `bytes=${range.start}-${range.end}` : undefined,
      }),
    );
    return r.Body as Readable;
  }

  async stat(key: string): Promise<StoredObject | null> {
    const { s3, sdk } = await this.clientP;
    try {
      const r = await s3.send(new sdk.HeadObjectCommand({ Bucket: this.cfg.S3_BUCKET, Key: checkKey(key) }));
      return { size: Number(r.ContentLength ?? 0), modifiedAt: r.LastModified ?? new Date(0) };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return null;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    const { s3, sdk } = await this.clientP;
    await s3.send(new sdk.DeleteObjectCommand({ Bucket: this.cfg.S3_BUCKET, Key: checkKey(key) }));
  }

  async download(key: string, file: string): Promise<void> {
    await pipeline(await this.get(key), createWriteStream(file));
  }

  async *list(prefix: string): AsyncIterable<{ key: string; modifiedAt: Date }> {
    const { s3, sdk } = await this.clientP;
    let token: string | undefined;
    do {
      const r = await s3.send(
        new sdk.ListObjectsV2Command({ Bucket: this.cfg.S3_BUCKET, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) yield { key: o.Key, modifiedAt: o.LastModified ?? new Date(0) };
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }
}

export function createStorage(cfg: StorageConfig = storageConfig()): Storage {
  if (cfg.S3_ENDPOINT && cfg.S3_BUCKET) return new S3Storage({ ...cfg, S3_BUCKET: cfg.S3_BUCKET });
  return new LocalStorage(path.resolve(cfg.STORAGE_DIR));
}

/** Scratch space for streaming uploads and processing (local even when objects live in S3). */
export async function scratchDir(cfg: StorageConfig = storageConfig()): Promise<string> {
  const dir = path.join(path.resolve(cfg.STORAGE_DIR), ".tmp");
  await mkdir(dir, { recursive: true });
  return dir;
}
