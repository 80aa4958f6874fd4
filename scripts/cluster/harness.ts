// The cluster on one machine, as a province would run it on several: N server processes behind a round-robin
// TCP front (WebSocket and REST pass through unchanged: the SDK connects with the WebSocket transport only, so
// no sticky sessions are needed), media node processes, BullMQ worker processes, on this machine's PostgreSQL
// and either the shared Redis (own key prefix) or a private redis-server that can be restarted (fault tests).
// Used by `npm run cluster`, the fault tests (tests/cluster/) and `npm run bench -- faults`.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export type MemberKind = "server" | "media" | "worker" | "redis";

export interface ClusterMember {
  readonly name: string;
  readonly kind: MemberKind;
  /** The process is running (started and not exited). */
  readonly running: boolean;
  readonly pid: number | undefined;
  /** A server's own address, or the private Redis's URL. */
  readonly url: string | undefined;
  /** The last lines the process wrote (diagnostics). */
  output(): string;
  /** Starts the process (again) and resolves once it is ready. */
  start(): Promise<void>;
  /** Sends `signal` (SIGTERM: orderly stop, SIGKILL: a crash) and resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ClusterOptions {
  /** Redis key prefix of this cluster (queues, Socket.IO adapter, media nodes). */
  prefix: string;
  /** Port of the round-robin front (0: any free port). */
  frontPort?: number;
  servers?: number;
  mediaNodes?: number;
  workers?: number;
  /** A redis-server of the cluster's own on a free port (append-only file, so a restart keeps its data). */
  privateRedis?: boolean;
  /** Settings for every member, on top of process.env. */
  env?: NodeJS.ProcessEnv;
  /** Settings per kind of member, on top of `env`. */
  memberEnv?: Partial<Record<Exclude<MemberKind, "redis">, NodeJS.ProcessEnv>>;
  /** Every line a member writes (`npm run cluster` prints them prefixed). */
  onOutput?: (member: string, line: string) => void;
}

export interface Cluster {
  /** The front's address: what clients (browsers, the SDK, REST) use. */
  readonly url: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly members: readonly ClusterMember[];
  member(name: string): ClusterMember;
  /** mediasoup-worker processes of a media node (children of its process). */
  mediaWorkerPids(node: string): number[];
  /** Connections the front has passed to each server so far (round-robin proof). */
  readonly frontCounts: Record<string, number>;
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, "../..");

const READY: Record<MemberKind, RegExp> = {
  server: /listening on (http:\/\/\S+)/,
  media: /media node \S+ ready/,
  worker: /Yilian worker running queues/,
  redis: /Ready to accept connections/,
};

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

class Member implements ClusterMember {
  private child: ChildProcess | undefined;
  private lines: string[] = [];
  url: string | undefined;

  constructor(
    readonly name: string,
    readonly kind: MemberKind,
    private readonly command: () => { cmd: string; args: string[]; env: NodeJS.ProcessEnv },
    private readonly onOutput?: (member: string, line: string) => void,
    private readonly readyTimeoutMs = 60_000,
  ) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  output(): string {
    return this.lines.join("\n");
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    const { cmd, args, env } = this.command();
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(
        () => reject(new Error(`${this.name} not ready in ${this.readyTimeoutMs} ms:\n${this.output()}`)),
        this.readyTimeoutMs,
      );
      let partial = "";
      const onData = (d: Buffer) => {
        partial += d.toString();
        const parts = partial.split("\n");
        partial = parts.pop()!;
        for (const line of parts) {
          this.lines.push(line);
          if (this.lines.length > 200) this.lines.shift();
          this.onOutput?.(this.name, line);
          const m = !ready && READY[this.kind].exec(line);
          if (m) {
            ready = true;
            if (this.kind === "server") this.url = m[1];
            clearTimeout(timer);
            resolve();
          }
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`${this.name} exited (${signal ?? code}) before it was ready:\n${this.output()}`));
      });
    });
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    // An orderly stop that hangs becomes a crash after 10 s.
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(force);
  }
}

/** The round-robin front: each TCP connection goes to the next running server; a refused one tries the next. */
function startFront(
  port: number,
  backends: () => Member[],
  counts: Record<string, number>,
): Promise<{ server: net.Server; close(): Promise<void> }> {
  let next = 0;
  const open = new Set<net.Socket>();
  const front = net.createServer((client) => {
    open.add(client);
    client.once("close", () => open.delete(client));
    client.pause();
    const candidates = backends().filter((b) => b.running && b.url);
    const tryAt = (i: number) => {
      if (i >= candidates.length) return client.destroy();
      const b = candidates[(next + i) % candidates.length]!;
      const u = new URL(b.url!);
      const upstream = net.connect(Number(u.port), u.hostname);
      let connected = false;
      upstream.once("connect", () => {
        connected = true;
        counts[b.name] = (counts[b.name] ?? 0) + 1;
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      upstream.once("error", () => {
        if (!connected) tryAt(i + 1); // that server is down: the next one
      });
      upstream.once("close", () => connected && client.destroy());
      client.once("close", () => upstream.destroy());
    };
    next = (next + 1) % Math.max(1, candidates.length);
    tryAt(0);
  });
  return new Promise((resolve, reject) => {
    front.once("error", reject);
    front.listen(port, "127.0.0.1", () =>
      resolve({
        server: front,
        // Like a load balancer going away: its connections end with it (close() alone waits for every client to
        // leave, and a client still connected kept the whole cluster running after a bench had finished).
        close: () =>
          new Promise<void>((done) => {
            front.close(() => done());
            for (const c of open) c.destroy();
          }),
      }),
    );
  });
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const tsx = (script: string) => ({ cmd: process.execPath, args: ["--import", "tsx", script] });
  const members: Member[] = [];
  const base: NodeJS.ProcessEnv = { ...process.env, REDIS_PREFIX: opts.prefix, MEDIA_IN_PROCESS: "false", ...opts.env };

  let redisUrl = base.REDIS_URL ?? "redis://127.0.0.1:6379";
  let redisDir: string | undefined;
  if (opts.privateRedis) {
    const port = await freePort();
    redisDir = mkdtempSync(path.join(os.tmpdir(), "yilian-cluster-redis-"));
    redisUrl = `redis://127.0.0.1:${port}`;
    const dir = redisDir;
    const redis = new Member(
      "redis",
      "redis",
      () => ({
        cmd: "redis-server",
        args: [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--dir",
          dir,
          "--appendonly",
          "yes",
          "--appendfsync",
          "always",
          "--save",
          "",
        ],
        env: process.env,
      }),
      opts.onOutput,
    );
    redis.url = redisUrl;
    members.push(redis);
  }
  const env = { ...base, REDIS_URL: redisUrl };

  const serverPorts = await Promise.all(Array.from({ length: opts.servers ?? 2 }, () => freePort()));
  serverPorts.forEach((port, i) =>
    members.push(
      new Member(
        `server-${i + 1}`,
        "server",
        () => ({
          ...tsx("server/src/main.ts"),
          env: { ...env, HOST: "127.0.0.1", PORT: String(port), SEED_DEMO_DATA: "false", ...opts.memberEnv?.server },
        }),
        opts.onOutput,
      ),
    ),
  );
  for (let i = 1; i <= (opts.mediaNodes ?? 2); i++) {
    members.push(
      new Member(
        `media-${i}`,
        "media",
        () => ({
          ...tsx("media/src/main.ts"),
          env: { ...env, MEDIA_NODE_ID: `media-${i}`, MEDIA_WEBRTC_PORT: "0", ...opts.memberEnv?.media },
        }),
        opts.onOutput,
      ),
    );
  }
  for (let i = 1; i <= (opts.workers ?? 2); i++) {
    members.push(
      new Member(
        `worker-${i}`,
        "worker",
        () => ({ ...tsx("worker/src/main.ts"), env: { ...env, ...opts.memberEnv?.worker } }),
        opts.onOutput,
      ),
    );
  }

  const counts: Record<string, number> = {};
  let front: Awaited<ReturnType<typeof startFront>> | undefined;
  const stop = async () => {
    await front?.close();
    // Clients first lose the servers, then the rest goes; Redis last.
    const order: MemberKind[] = ["server", "worker", "media", "redis"];
    for (const kind of order)
      await Promise.all(
        members.filter((m) => m.kind === kind).map((m) => (m.kind === "redis" ? m.kill("SIGKILL") : m.kill())),
      );
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  };
  try {
    for (const m of members.filter((m) => m.kind === "redis")) await m.start();
    await Promise.all(members.filter((m) => m.kind !== "redis").map((m) => m.start()));
    front = await startFront(opts.frontPort ?? 0, () => members.filter((m) => m.kind === "server"), counts);
  } catch (e) {
    await stop();
    throw e;
  }
  const { port } = front.server.address() as net.AddressInfo;

  const member = (name: string) => {
    const m = members.find((x) => x.name === name);
    if (!m) throw new Error(`no cluster member ${name}`);
    return m;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    redisUrl,
    prefix: opts.prefix,
    members,
    frontCounts: counts,
    member,
    mediaWorkerPids(node) {
      const pid = member(node).pid;
      if (!pid) return [];
      try {
        return execFileSync("pgrep", ["-P", String(pid), "-f", "mediasoup-worker"])
          .toString()
          .trim()
          .split("\n")
          .filter(Boolean)
          .map(Number);
      } catch {
        return [];
      }
    },
    stop,
  };
}
