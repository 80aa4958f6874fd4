// Orthanc (Debian's `orthanc` + `orthanc-dicomweb`) as the demo and test PACS: its configuration, the process, and
// a readiness wait. Loopback only (RemoteAccessAllowed=false), no DICOM listener (DICOMweb is the only way in),
// HTTP basic authentication with one user, storage under the caller's state directory.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

export const ORTHANC_BIN = "/usr/sbin/Orthanc";
export const DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

export interface OrthancOptions {
  /** Configuration, index and storage go here (created 0700). */
  stateDir: string;
  httpPort: number;
  username: string;
  password: string;
  /** Answer clients other than loopback (docker-compose's network); default loopback only. */
  remoteAccess?: boolean;
  /** Log lines (stderr and stdout) for the caller's logger. */
  onLine?: (line: string) => void;
}

export interface OrthancProcess {
  child: ChildProcess;
  /** Base URL of Orthanc's REST API, e.g. http://127.0.0.1:8042 */
  url: string;
  /** DICOMweb root (QIDO-RS, WADO-RS, STOW-RS). */
  dicomWebUrl: string;
  auth: { username: string; password: string };
  stop(): Promise<void>;
}

/** The orthanc.json for these options (pure; written by startOrthanc). */
export function orthancConfig(o: OrthancOptions): object {
  const storage = path.join(o.stateDir, "db");
  return {
    Name: "YILIAN-DEMO-PACS",
    StorageDirectory: storage,
    IndexDirectory: storage,
    Plugins: [DICOMWEB_PLUGIN],
    HttpPort: o.httpPort,
    // Only loopback clients: the server and worker reach it, nothing else on the network does.
    RemoteAccessAllowed: o.remoteAccess ?? false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [o.username]: o.password },
    DicomServerEnabled: false,
    WebDavEnabled: false,
    OrthancExplorerEnabled: false,
    DefaultEncoding: "Utf8",
    HttpDescribeErrors: true,
    SaveJobs: false,
    StableAge: 2,
    DicomWeb: { Enable: true, Root: "/dicom-web/", EnableWado: false, Host: `127.0.0.1:${o.httpPort}`, Ssl: false },
  };
}

export async function startOrthanc(o: OrthancOptions): Promise<OrthancProcess> {
  mkdirSync(path.join(o.stateDir, "db"), { recursive: true, mode: 0o700 });
  const configFile = path.join(o.stateDir, "orthanc.json");
  writeFileSync(configFile, JSON.stringify(orthancConfig(o), null, 2), { mode: 0o600 });
  const child = spawn(ORTHANC_BIN, [configFile], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const l of chunk.toString().split("\n").filter(Boolean)) {
      lines.push(l);
      if (lines.length > 50) lines.shift();
      o.onLine?.(l);
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const url = `http://127.0.0.1:${o.httpPort}`;
  const auth = { username: o.username, password: o.password };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited (${child.exitCode}): ${lines.slice(-5).join(" | ")}`);
    const res = await fetch(`${url}/system`, { headers: { authorization: basicAuth(auth) } }).catch(() => null);
    if (res?.ok) break;
    if (Date.now() - started > 30_000) {
      await stop();
      throw new Error(`Orthanc did not answer on ${url} within 30 s: ${lines.slice(-5).join(" | ")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, dicomWebUrl: `${url}/dicom-web`, auth, stop };
}

export function basicAuth(a: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${a.username}:${a.password}`).toString("base64")}`;
}

/** A TCP port free on loopback right now (tests start Orthanc on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Stores DICOM files in Orthanc through its REST API; returns the Orthanc instance ids. */
export async function storeInstances(o: Pick<OrthancProcess, "url" | "auth">, files: Buffer[]): Promise<string[]> {
  const ids: string[] = [];
  for (const body of files) {
    const res = await fetch(`${o.url}/instances`, {
      method: "POST",
      headers: { authorization: basicAuth(o.auth), "content-type": "application/dicom" },
      body: new Uint8Array(body),
    });
    if (!res.ok) throw new Error(`Orthanc refused an instance: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { ID: string }).ID);
  }
  return ids;
}
