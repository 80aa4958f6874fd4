// `npm start`: one command brings up the whole system on this machine.
// Creates the database if missing, applies migrations (Prisma CLI), seeds the demo province on first start,
// then runs coturn (TURN), the server (with the media service in-process) and the worker, and prints the URL.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { ensureDatabase, loadConfig, requireDependencies } from "@yilian/server";

const config = loadConfig();
const env = { ...process.env, DATABASE_URL: config.DATABASE_URL, REDIS_URL: config.REDIS_URL };
const children: ChildProcess[] = [];
let stopping = false;

function runStep(label: string, cmd: string, args: string[]): void {
  console.log(`start: ${label}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  if (r.status !== 0) {
    console.error(`start: ${label} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 5000).unref();
  void Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r))))).then(
    () => process.exit(code),
  );
}

/** Runs a service with its output prefixed by its name; if it dies, everything stops. */
function runService(name: string, script: string): void {
  const child = spawn(process.execPath, ["--import", "tsx", script], { env, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split("\n")
      .filter(Boolean)
      .map((l) => `[${name}] ${l}\n`)
      .join("");
  child.stdout!.on("data", (c: Buffer) => process.stdout.write(prefix(c)));
  child.stderr!.on("data", (c: Buffer) => process.stderr.write(prefix(c)));
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`start: ${name} exited (${signal ?? code}); stopping everything`);
      stopAll(code || 1);
    }
  });
  children.push(child);
}

async function main(): Promise<void> {
  // Reachability is checked on the maintenance database: the application database may not exist yet.
  const maintenanceUrl = Object.assign(new URL(config.DATABASE_URL), { pathname: "/postgres" }).toString();
  await requireDependencies(maintenanceUrl, config.REDIS_URL, "yilian");
  if (await ensureDatabase(config.DATABASE_URL))
    console.log(`start: created database ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
  runStep("applying migrations", "npx", ["prisma", "migrate", "deploy"]);
  if (config.SEED_DEMO_DATA)
    runStep("seeding demo data (first start only)", process.execPath, ["--import", "tsx", "prisma/seed/main.ts"]);
  // TURN (coturn) for browsers behind firewalls that only let TCP 443 out; off when TURN runs elsewhere.
  if (config.TURN_ENABLED && config.TURN_START) runService("turn", "server/src/turn/main.ts");
  // The demo PACS (Orthanc + DICOMweb) hospitals' imaging is imported from; off when a real PACS is registered.
  if (config.PACS_DEMO_START) runService("pacs", "server/src/pacs/orthanc/main.ts");
  runService("server", "server/src/main.ts");
  runService("worker", "worker/src/main.ts");
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stopAll(0));
}

void main();
