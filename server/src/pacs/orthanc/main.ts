// The demo PACS of `npm start` and of docker-compose's `pacs` service: Orthanc with DICOMweb on loopback, its
// storage under the state directory, seeded with the dcmtk-made demo studies when empty. Stopped with this process.
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../config";
import { basicAuth, startOrthanc, storeInstances } from "./orthanc";
import { makeDemoStudies, readAll } from "./demo-studies";

const config = loadConfig();
const stateDir = path.join(path.resolve(process.env.YILIAN_STATE_DIR ?? ".state"), "pacs");

// Debian's own `orthanc` service listens on 8042 too: say so instead of Orthanc's bare bind error.
const portFree = await new Promise<boolean>((resolve) => {
  const probe = net.createServer();
  probe.once("error", () => resolve(false));
  probe.listen(config.PACS_DEMO_PORT, config.PACS_DEMO_REMOTE_ACCESS ? "0.0.0.0" : "127.0.0.1", () =>
    probe.close(() => resolve(true)),
  );
});
if (!portFree) {
  console.error(
    `pacs: port ${config.PACS_DEMO_PORT} is already in use (often the system Orthanc service: systemctl stop orthanc); ` +
      "set PACS_DEMO_PORT to a free port, or PACS_DEMO_START=false when a real PACS is registered",
  );
  process.exit(1);
}

const orthanc = await startOrthanc({
  stateDir,
  httpPort: config.PACS_DEMO_PORT,
  username: config.PACS_DEMO_USER,
  password: config.PACS_DEMO_PASSWORD,
  remoteAccess: config.PACS_DEMO_REMOTE_ACCESS,
  onLine: (line) => /^E\d{4} /.test(line) && console.error(`orthanc: ${line}`),
}).catch((err: Error) => {
  console.error(`pacs: ${err.message}`);
  process.exit(1);
});
orthanc.child.once("exit", (code, signal) => {
  console.error(`pacs: Orthanc exited (${signal ?? code})`);
  process.exit(1);
});

const stats = (await (
  await fetch(`${orthanc.url}/statistics`, { headers: { authorization: basicAuth(orthanc.auth) } })
).json()) as { CountInstances: number };
if (stats.CountInstances === 0) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "yilian-pacs-demo-"));
  try {
    const demo = await makeDemoStudies(dir);
    await storeInstances(orthanc, await readAll(demo.files));
    console.log(`pacs: seeded ${demo.files.length} demo instances (CT, US, DR)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
console.log(`pacs: demo PACS (Orthanc) DICOMweb at ${orthanc.dicomWebUrl}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    orthanc.child.removeAllListeners("exit");
    void orthanc.stop().then(() => process.exit(0));
  });
}
