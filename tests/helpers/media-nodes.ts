// Media node processes (media/src/main.ts) for tests: each registers in Redis under `prefix` and serves its
// MediaApi over Redis RPC, as on separate hosts.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const root = path.resolve(__dirname, "../..");

export interface MediaNodes {
  stop(): Promise<void>;
}

export async function startMediaNodes(prefix: string, ids: string[], env: NodeJS.ProcessEnv = {}): Promise<MediaNodes> {
  const children: ChildProcess[] = [];
  const start = (id: string) => {
    const child = spawn(process.execPath, ["--import", "tsx", "media/src/main.ts"], {
      cwd: root,
      env: { ...process.env, REDIS_PREFIX: prefix, MEDIA_NODE_ID: id, MEDIA_WORKERS: "2", MEDIA_WEBRTC_PORT: "0", MEDIA_NODE_HEARTBEAT_MS: "1000", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
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
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))));
  };
  try {
    await Promise.all(ids.map(start));
  } catch (e) {
    await stop();
    throw e;
  }
  return { stop };
}
