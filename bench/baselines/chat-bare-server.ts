// bench chat, baseline: a bare socket.io server with the same Redis adapter setup and no product code — no
// authentication, no persistence, the room from the handshake; a message is acknowledged and sent to the others.
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";

// Root workspace code runs as CommonJS (no top-level await).
function main(): void {
  const prefix = process.env.REDIS_PREFIX!;
  const pub = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const sub = pub.duplicate();
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub, { key: `${prefix}:socket.io` }) });
  io.on("connection", (socket) => {
    const room = `media:${(socket.handshake.auth as { room: string }).room}`;
    void socket.join(room);
    socket.on("media:chat:send", (req: { text: string }, ack: (a: unknown) => void) => {
      const message = {
        id: randomUUID(),
        senderId: socket.id,
        senderName: "bare",
        text: req.text,
        sentAt: new Date().toISOString(),
      };
      socket.to(room).emit("media:chat", message);
      ack({ ok: true, data: message });
    });
  });
  http.listen(0, "127.0.0.1", () => {
    const addr = http.address();
    console.log(`bare listening on http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`);
  });
  process.on("SIGTERM", () => {
    void io.close();
    pub.disconnect();
    sub.disconnect();
    process.exit(0);
  });
}

main();
