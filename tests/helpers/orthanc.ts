// A real Orthanc (with DICOMweb) per test file: own port, own storage directory, seeded with dcmtk-made studies.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, startOrthanc, storeInstances, type OrthancProcess } from "../../server/src/pacs/orthanc/orthanc";
import { makeDemoStudies, readAll } from "../../server/src/pacs/orthanc/demo-studies";

/** Address rules of a worker whose PACS is the test Orthanc (or a stand-in) on loopback. */
export const LOOPBACK_PACS = { allowed: new Set(["127.0.0.1", "localhost"]), allowPrivate: true };

export interface TestPacs {
  orthanc: OrthancProcess;
  demo: Awaited<ReturnType<typeof makeDemoStudies>>;
  dir: string;
  stop(): Promise<void>;
}

export async function startTestPacs(opts: { ctSlices?: number; ctSize?: number } = {}): Promise<TestPacs> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "yilian-test-pacs-"));
  const demo = await makeDemoStudies(path.join(dir, "studies"), {
    ctSlices: opts.ctSlices ?? 6,
    ctSize: opts.ctSize ?? 128,
  });
  const orthanc = await startOrthanc({
    stateDir: path.join(dir, "orthanc"),
    httpPort: await freePort(),
    username: "pacs",
    password: "pacs-test-password",
  });
  await storeInstances(orthanc, await readAll(demo.files));
  return {
    orthanc,
    demo,
    dir,
    async stop() {
      await orthanc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
