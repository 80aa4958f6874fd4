// Server process entry: checks PostgreSQL and Redis, then serves REST + Socket.IO.
import { loadConfig } from "./config";
import { requireDependencies } from "./platform/dependencies";
import { createYilianServer } from "./app";
import { createServices } from "./services";
import { warmPool } from "./db";

const config = loadConfig();
await requireDependencies(config.DATABASE_URL, config.REDIS_URL, "server");
const services = createServices(config);
await warmPool(services.db);
const server = createYilianServer(services);
const { url } = await server.listen().catch((err: NodeJS.ErrnoException) => {
  console.error(
    `server: cannot start: ${err.code === "EADDRINUSE" ? `port ${config.PORT} is already in use (set PORT)` : err.message}`,
  );
  process.exit(1);
});
services.logger.info({ url }, "server listening");
console.log(`Yilian server listening on ${url}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await server.stop().catch((err) => services.logger.error({ err }, "error while stopping"));
    process.exit(0);
  });
}
