// Where the mediasoup-worker binary is. mediasoup 3.12 reads MEDIASOUP_WORKER_BIN once, when the module is
// loaded, so this must run before `mediasoup` is imported (index.ts imports it first; loadMediasoup() too).
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const MEDIASOUP_VERSION = "3.12.16";

function findUp(file: string, from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, file);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The worker binary: MEDIASOUP_WORKER_BIN, else the path `scripts/setup.sh` wrote to `.cache/mediasoup-worker-path`,
 * else the offline build cache (`scripts/build-mediasoup-worker.sh`), else undefined (mediasoup's own install).
 */
export function resolveWorkerBin(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (env.MEDIASOUP_WORKER_BIN) return env.MEDIASOUP_WORKER_BIN;
  const recorded = findUp(path.join(".cache", "mediasoup-worker-path"), cwd);
  if (recorded) {
    const bin = readFileSync(recorded, "utf8").trim();
    if (bin && existsSync(bin)) return bin;
  }
  const cacheDir = env.YILIAN_CACHE_DIR ?? path.join(os.homedir(), ".cache", "yilian");
  const cached = path.join(cacheDir, `mediasoup-worker-${MEDIASOUP_VERSION}`, "mediasoup-worker");
  return existsSync(cached) ? cached : undefined;
}

/** Sets MEDIASOUP_WORKER_BIN when it is not set and a binary is found; returns the binary used. */
export function ensureWorkerBinEnv(): string | undefined {
  const bin = resolveWorkerBin();
  if (bin && !process.env.MEDIASOUP_WORKER_BIN) process.env.MEDIASOUP_WORKER_BIN = bin;
  return bin;
}

ensureWorkerBinEnv();
