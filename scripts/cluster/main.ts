// `npm run cluster`: the multi-process shape on this machine — 2 server processes behind a round-robin front on
// PORT, 2 media nodes, 2 workers — on the PostgreSQL and Redis of .env (key prefix REDIS_PREFIX). Options:
//   --servers N --media N --workers N   how many of each (default 2)
//   --private-redis                     a redis-server of its own instead of REDIS_URL
// Ctrl-C stops everything. The README ("Running a cluster") shows the same shape on several hosts.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { ensureDatabase, loadConfig, requireDependencies } from "@yilian/server";
import { startCluster } from "./harness";

const { values } = parseArgs({
  options: {
    servers: { type: "string", default: "2" },
    media: { type: "string", default: "2" },
    workers: { type: "string", default: "2" },
    "private-redis": { type: "boolean", default: false },
  },
});
const count = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 16) {
    console.error(`cluster: --${name} must be a whole number from 1 to 16`);
    process.exit(2);
  }
  return n;
};

// The root package is CommonJS for tsx: no top-level await.
async function main(): Promise<void> {
  const config = loadConfig();
  const maintenanceUrl = Object.assign(new URL(config.DATABASE_URL), { pathname: "/postgres" }).toString();
  await requireDependencies(maintenanceUrl, config.REDIS_URL, "cluster");
  if (await ensureDatabase(config.DATABASE_URL))
    console.log(`cluster: created database ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
  const env = { ...process.env, DATABASE_URL: config.DATABASE_URL, REDIS_URL: config.REDIS_URL };
  for (const [label, args] of [
    ["applying migrations", ["npx", "prisma", "migrate", "deploy"]],
    ...(config.SEED_DEMO_DATA
      ? [["seeding demo data (first start only)", [process.execPath, "--import", "tsx", "prisma/seed/main.ts"]]]
      : []),
  ] as [string, string[]][]) {
    console.log(`cluster: ${label}`);
    const r = spawnSync(args[0]!, args.slice(1), { stdio: "inherit", env });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }

  const cluster = await startCluster({
    prefix: config.REDIS_PREFIX,
    frontPort: config.PORT,
    servers: count("servers", values.servers!),
    mediaNodes: count("media", values.media!),
    workers: count("workers", values.workers!),
    privateRedis: values["private-redis"],
    env,
    onOutput: (member, line) => process.stdout.write(`[${member}] ${line}\n`),
  });
  for (const m of cluster.members) console.log(`cluster: ${m.name} running (pid ${m.pid}${m.url ? `, ${m.url}` : ""})`);
  console.log(
    `cluster: open ${cluster.url} (round-robin over ${cluster.members.filter((m) => m.kind === "server").length} servers)`,
  );

  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, async () => {
      if (stopping) return;
      stopping = true;
      await cluster.stop();
      process.exit(0);
    });
  }
}

void main().catch((e) => {
  console.error("cluster: cannot start:", e instanceof Error ? e.message : e);
  process.exit(1);
});
