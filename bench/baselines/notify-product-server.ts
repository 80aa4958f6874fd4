// bench notify, product side: the real Yilian server (REST + Socket.IO with its auth, rooms and Redis adapter)
// plus a trigger listener that raises consultation events through the product's own notification path
// (consultationEvent + publish → io.to(user rooms).emit). Triggers arrive on a Redis channel from the bench.
import { Redis } from "ioredis";
import { consultationEvent, createServices, createYilianServer, loadConfig, publish } from "@yilian/server";

// Root workspace code runs as CommonJS (no top-level await).
async function main(): Promise<void> {
  const config = loadConfig();
  const server = createYilianServer(createServices(config));
  const { url } = await server.listen();
  const sub = new Redis(config.REDIS_URL);
  await sub.subscribe(process.env.BENCH_TRIGGER_CHANNEL!);
  const subject = {
    id: "00000000-0000-4000-8000-000000000000",
    number: "HZ20260101-0001",
    status: "SCHEDULED" as const,
    urgency: "URGENT" as const,
    specialtyCode: "CARDIOLOGY",
    scheduledStart: new Date(),
  };
  sub.on("message", (_ch, msg) => {
    for (const userId of JSON.parse(msg) as string[])
      publish(server.io, [consultationEvent("consultation:scheduled", subject, [userId])]);
  });
  console.log(`product listening on ${url}`);
  process.on("SIGTERM", async () => {
    sub.disconnect();
    await server.stop();
    process.exit(0);
  });
}

void main();
