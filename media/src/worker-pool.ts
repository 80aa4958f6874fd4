// One mediasoup worker per core, each with one WebRtcServer (one UDP + one TCP port: a hospital firewall opens
// a short, fixed list). A worker that dies is replaced at the same index (same ports); the pool reports it so
// the rooms it hosted can move.
import { EventEmitter } from "node:events";
import type { types } from "mediasoup";
import { loadMediasoup } from "./load-mediasoup";
import type { MediaSettings } from "./settings";

export interface PoolWorker {
  index: number;
  worker: types.Worker;
  webRtcServer: types.WebRtcServer;
  /** Bumped on each replacement of this slot. */
  generation: number;
}

export interface WorkerPoolEvents {
  /** A worker died; its replacement is being started (its rooms may move to a live worker at once). */
  died: [dead: PoolWorker, error: Error];
  /** A worker died and its replacement is ready. */
  replaced: [entry: PoolWorker, died: { pid: number; error: Error }];
  /** A worker died and could not be replaced (the slot stays empty; the others keep working). */
  replaceFailed: [index: number, error: Error];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  private readonly slots: (PoolWorker | undefined)[];
  private closed = false;

  private constructor(private readonly settings: MediaSettings) {
    super();
    this.slots = new Array(settings.numWorkers).fill(undefined);
  }

  static async create(settings: MediaSettings): Promise<WorkerPool> {
    const pool = new WorkerPool(settings);
    try {
      for (let i = 0; i < settings.numWorkers; i++) pool.slots[i] = await pool.start(i, 0);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get workers(): PoolWorker[] {
    return this.slots.filter((s): s is PoolWorker => !!s && !s.worker.closed);
  }

  /** Picks a worker by the caller's load measure (rooms, peers): least loaded first, lowest index on ties. */
  pick(load: (w: PoolWorker) => number): PoolWorker {
    const live = this.workers;
    if (!live.length) throw new Error("no live mediasoup worker");
    return live.reduce((best, w) => (load(w) < load(best) ? w : best));
  }

  /** CPU time (user + system, ms) each worker has used so far. */
  async cpuTimes(): Promise<{ index: number; pid: number; cpuMs: number }[]> {
    return Promise.all(
      this.workers.map(async (w) => {
        const u = await w.worker.getResourceUsage();
        return { index: w.index, pid: w.worker.pid, cpuMs: u.ru_utime + u.ru_stime };
      }),
    );
  }

  /** Closes every worker and waits (up to 3 s) for their processes to exit. */
  async close(): Promise<void> {
    this.closed = true;
    const pids = this.slots.filter((s): s is PoolWorker => !!s).map((s) => s.worker.pid);
    for (const s of this.slots) s?.worker.close();
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (const until = Date.now() + 3000; pids.some(alive) && Date.now() < until; ) await sleep(20);
  }

  private async start(index: number, generation: number): Promise<PoolWorker> {
    const mediasoup = await loadMediasoup();
    const worker = await mediasoup.createWorker({ logLevel: this.settings.logLevel, appData: { index } });
    const port = this.settings.webRtcPortBase ? this.settings.webRtcPortBase + index : 0;
    const listen = { ip: this.settings.listenIp, announcedIp: this.settings.announcedIp, port };
    let webRtcServer: types.WebRtcServer;
    try {
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: "udp", ...listen },
          { protocol: "tcp", ...listen },
        ],
      });
    } catch (e) {
      worker.close();
      throw e;
    }
    const entry: PoolWorker = { index, worker, webRtcServer, generation };
    worker.on("died", (error) => {
      this.emit("died", entry, error);
      void this.replace(entry, error);
    });
    return entry;
  }

  private async replace(dead: PoolWorker, error: Error): Promise<void> {
    if (this.closed) return;
    const pid = dead.worker.pid;
    // The dead process's ports are released by the kernel at once, but retry a few times to be safe.
    let lastError: unknown;
    for (let attempt = 0; attempt < 5 && !this.closed; attempt++) {
      try {
        const entry = await this.start(dead.index, dead.generation + 1);
        if (this.closed) {
          entry.worker.close();
          return;
        }
        this.slots[dead.index] = entry;
        this.emit("replaced", entry, { pid, error });
        return;
      } catch (e) {
        lastError = e;
        await sleep(200 * (attempt + 1));
      }
    }
    this.slots[dead.index] = undefined;
    this.emit("replaceFailed", dead.index, lastError instanceof Error ? lastError : new Error(String(lastError)));
  }
}
