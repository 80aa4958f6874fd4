// A weak link in user space (this kernel has no netem): a UDP relay in front of coturn that drops, delays and
// rate-limits datagrams each way, like a township 4G or ADSL line. The sandboxed browser may only reach this relay,
// so all of its media (TURN over UDP) crosses the impairment, which can be changed or lifted while a call runs.
import dgram from "node:dgram";
import { isIP } from "node:net";
import { performance } from "node:perf_hooks";

export interface Impairment {
  /** Random loss, % of datagrams. */
  lossPct: number;
  /** One-way delay added, ms (RTT grows by twice this). */
  delayMs: number;
  /** Link capacity, kb/s (0: unlimited). */
  rateKbps: number;
  /** Longest queue at that capacity before datagrams are dropped (tail drop), ms. */
  queueMs?: number;
}

/** 5 % loss, 150 ms RTT, 600 kb/s each way: the weak link of issue 13. */
export const TOWNSHIP_4G: Impairment = { lossPct: 5, delayMs: 75, rateKbps: 600, queueMs: 200 };

class Pipe {
  impairment: Impairment | null = null;
  private nextFree = 0;
  dropped = 0;
  passed = 0;
  /** Bytes offered to the link (passed or not). */
  offeredBytes = 0;

  push(datagram: Buffer, deliver: () => void): void {
    this.offeredBytes += datagram.length;
    const imp = this.impairment;
    if (!imp) {
      this.passed++;
      deliver();
      return;
    }
    if (Math.random() * 100 < imp.lossPct) {
      this.dropped++;
      return;
    }
    const now = performance.now();
    const start = Math.max(now, this.nextFree);
    if (imp.rateKbps > 0 && start - now > (imp.queueMs ?? 200)) {
      this.dropped++;
      return;
    }
    this.nextFree = start + (imp.rateKbps > 0 ? (datagram.length * 8) / imp.rateKbps : 0);
    this.passed++;
    setTimeout(deliver, this.nextFree + imp.delayMs - now);
  }
}

export interface ImpairingRelay {
  port: number;
  /** Sets the impairment of both directions (null: a clean link). */
  impair(imp: Impairment | null): void;
  stats(): {
    up: { passed: number; dropped: number; offeredBytes: number };
    down: { passed: number; dropped: number; offeredBytes: number };
  };
  close(): Promise<void>;
}

export async function startImpairingRelay(opts: {
  listenIp: string;
  listenPort: number;
  targetIp: string;
  targetPort: number;
}): Promise<ImpairingRelay> {
  const family = isIP(opts.listenIp) === 6 ? "udp6" : "udp4";
  const front = dgram.createSocket(family);
  const up = new Pipe();
  const down = new Pipe();
  // One upstream socket per client address, so coturn sees each client as its own 5-tuple.
  const upstream = new Map<string, dgram.Socket>();
  front.on("message", (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let sock = upstream.get(key);
    if (!sock) {
      const s = dgram.createSocket(isIP(opts.targetIp) === 6 ? "udp6" : "udp4");
      s.on("message", (back) => down.push(back, () => front.send(back, rinfo.port, rinfo.address)));
      s.on("error", () => undefined);
      upstream.set(key, (sock = s));
    }
    const target = sock;
    up.push(msg, () => target.send(msg, opts.targetPort, opts.targetIp));
  });
  front.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.bind(opts.listenPort, opts.listenIp, () => resolve());
  });
  return {
    port: front.address().port,
    impair(imp) {
      up.impairment = imp;
      down.impairment = imp;
    },
    stats: () => ({
      up: { passed: up.passed, dropped: up.dropped, offeredBytes: up.offeredBytes },
      down: { passed: down.passed, dropped: down.dropped, offeredBytes: down.offeredBytes },
    }),
    async close() {
      for (const s of upstream.values()) s.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
