// A PostgreSQL server of the test's own (initdb in a temporary directory, on a free port), so a test can crash
// and restart it without touching the machine's PostgreSQL that every other suite uses. Debian's server binaries
// (/usr/lib/postgresql/<major>/bin) run as the `postgres` system user.
import { execFileSync, execSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/cluster/harness";

const BIN = (() => {
  const root = "/usr/lib/postgresql";
  const major = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return path.join(root, major!, "bin");
})();

export interface PrivatePostgres {
  /** A database URL on this server (`postgres` superuser, trust auth). */
  url(database: string): string;
  /** Creates database `name` here as a copy of the database at `fromUrl` (schema and rows); its URL. */
  copyFrom(fromUrl: string, name: string): string;
  /** SIGQUIT: PostgreSQL's immediate shutdown — every backend dies at once, crash recovery on the next start. */
  crash(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
  const dir = mkdtempSync(path.join(tmpdir(), "yilian-pg-"));
  chownSync(dir, uid, gid);
  const data = path.join(dir, "data");
  execFileSync(path.join(BIN, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], {
    uid,
    gid,
    stdio: "ignore",
  });
  const port = await freePort();
  const url = (database: string) => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  let child: ChildProcess | undefined;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(
        path.join(BIN, "postgres"),
        ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
        { uid, gid, stdio: ["ignore", "pipe", "pipe"] },
      );
      child = c;
      let out = "";
      const timer = setTimeout(() => reject(new Error(`private PostgreSQL not ready:\n${out}`)), 30_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes("database system is ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      };
      c.stdout!.on("data", onData);
      c.stderr!.on("data", onData);
      c.once("exit", () => {
        clearTimeout(timer);
        if (!out.includes("ready to accept connections")) reject(new Error(`private PostgreSQL exited:\n${out}`));
      });
    });
  const signal = async (sig: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill(sig);
    await exited;
  };
  await start();
  return {
    url,
    copyFrom(fromUrl, name) {
      execFileSync("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", name]);
      execSync(`pg_dump --no-owner --no-privileges "${fromUrl}" | psql -q -o /dev/null "${url(name)}"`, {
        stdio: ["ignore", "ignore", "inherit"],
      });
      return url(name);
    },
    crash: () => signal("SIGQUIT"),
    start,
    async stop() {
      await signal("SIGINT"); // fast shutdown
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
