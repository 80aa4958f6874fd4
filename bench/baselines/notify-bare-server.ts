// bench notify, baseline: a bare socket.io server with the same Redis adapter setup and no product code —
// no authentication, rooms from the handshake, the same trigger channel and the same payload shape.
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";

// Root workspace code runs as CommonJS (no top-level await).
async function main(): Promise<void> {
  const prefix = process.env.REDIS_PREFIX!;
  const pub = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const sub = pub.duplicate();
  const trigger = pub.duplicate();
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub, { key: `${prefix}:socket.io` }) });
  io.on("connection", (socket) => {
    const a = socket.handshake.auth as { userId: string; institutionId: string };
    socket.join([`user:${a.userId}`, `institution:${a.institutionId}`]);
  });
  await trigger.subscribe(process.env.BENCH_TRIGGER_CHANNEL!);
  trigger.on("message", (_ch, msg) => {
    for (const userId of JSON.parse(msg) as string[]) {
      io.to(`user:${userId}`).emit("consultation:scheduled", {
        consultationId: "00000000-0000-4000-8000-000000000000",
        number: "HZ20260101-0001",
        status: "SCHEDULED",
        urgency: "URGENT",
        specialtyCode: "CARDIOLOGY",
        at: new Date().toISOString(),
        actorId: null,
        scheduledStart: new Date().toISOString(),
        sentAt: performance.timeOrigin + performance.now(),
      });
    }
  });
  http.listen(0, "127.0.0.1", () => {
    const addr = http.address();
    console.log(`bare listening on http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`);
  });
  process.on("SIGTERM", () => {
    void io.close();
    pub.disconnect();
    sub.disconnect();
    trigger.disconnect();
    process.exit(0);
  });
}

void main();
