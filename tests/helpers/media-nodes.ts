// Media node processes (media/src/main.ts) for tests: each registers in Redis under `prefix` and serves its
// MediaApi over Redis RPC, as on separate hosts.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { Browser } from "playwright-core";
import { Redis } from "ioredis";
import { startTestServer, type TestServer } from "./server";
import { closeTestDb } from "./db";
import { launchBrowser } from "./chromium";
import { ensureSdkBuilt } from "../browser/helpers";

const root = path.resolve(__dirname, "../..");

export interface MediaNodes {
  stop(): Promise<void>;
  /** Kills one node's process (e.g. SIGKILL: it stops heart-beating without unregistering) and waits for it to exit. */
  kill(id: string, signal?: NodeJS.Signals): Promise<void>;
}

export async function startMediaNodes(prefix: string, ids: string[], env: NodeJS.ProcessEnv = {}): Promise<MediaNodes> {
  const children: ChildProcess[] = [];
  const byId = new Map<string, ChildProcess>();
  const start = (id: string) => {
    const child = spawn(process.execPath, ["--import", "tsx", "media/src/main.ts"], {
      cwd: root,
      env: {
        ...process.env,
        REDIS_PREFIX: prefix,
        MEDIA_NODE_ID: id,
        MEDIA_WORKERS: "2",
        MEDIA_WEBRTC_PORT: "0",
        MEDIA_NODE_HEARTBEAT_MS: "1000",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    byId.set(id, child);
    return new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`media node ${id} not ready:\n${out}`)), 30_000);
      const on = (d: Buffer) => {
        out += d.toString();
        if (out.includes(`media node ${id} ready`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", on);
      child.stderr!.on("data", on);
      child.once("exit", (code) => reject(new Error(`media node ${id} exited (${code}):\n${out}`)));
    });
  };
  const stop = async () => {
    const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of running) c.kill("SIGTERM");
    await Promise.all(running.map((c) => new Promise((r) => c.once("exit", r))));
  };
  const kill = async (id: string, signal: NodeJS.Signals = "SIGTERM") => {
    const c = byId.get(id);
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill(signal);
    await exited;
  };
  try {
    await Promise.all(ids.map(start));
  } catch (e) {
    await stop();
    throw e;
  }
  return { stop, kill };
}

export interface MediaCluster {
  /** The Redis key prefix the nodes and the server share (unique per test file). */
  readonly prefix: string;
  readonly redis: Redis;
  readonly nodes: MediaNodes;
  readonly ts: TestServer;
  readonly browser: Browser;
}

/**
 * For a describe block: media node processes `ids` and a test server that uses them (MEDIA_IN_PROCESS=false), on a
 * Redis prefix of their own, plus Chromium; all stopped and the prefix's keys removed after the block.
 */
export function mediaCluster(
  label: string,
  ids: string[],
  env: { nodes?: NodeJS.ProcessEnv; server?: NodeJS.ProcessEnv } = {},
): MediaCluster {
  const prefix = `${process.env.REDIS_PREFIX}-${label}-${randomUUID().slice(0, 8)}`;
  let started: Omit<MediaCluster, "prefix" | "redis"> | undefined;
  const redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
  let nodes: MediaNodes | undefined;
  let ts: TestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    await redis.connect();
    await ensureSdkBuilt();
    nodes = await startMediaNodes(prefix, ids, env.nodes);
    ts = await startTestServer({ REDIS_PREFIX: prefix, MEDIA_IN_PROCESS: "false", ...env.server });
    browser = await launchBrowser();
    started = { nodes, ts, browser };
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => setTimeout(r, 500)); // the pages' leaves reach the server before it stops
    await ts?.stop();
    await nodes?.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await closeTestDb();
  });
  const get = () => {
    if (!started) throw new Error("mediaCluster: used before beforeAll ran");
    return started;
  };
  return {
    prefix,
    redis,
    get nodes() {
      return get().nodes;
    },
    get ts() {
      return get().ts;
    },
    get browser() {
      return get().browser;
    },
  };
}
