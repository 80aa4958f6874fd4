// Worker process entry: BullMQ processors against Redis. Each queue lives in its own module under queues/.
import { loadConfig, requireDependencies } from "@yilian/server";
import { startWorkers } from "./index";

const config = loadConfig();
await requireDependencies(config.DATABASE_URL, config.REDIS_URL, "worker");
const workers = await startWorkers(config);
console.log(`Yilian worker running queues: ${workers.queueNames.join(", ")}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await workers.stop();
    process.exit(0);
  });
}
