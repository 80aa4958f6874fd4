// The SDK as a hospital's developer gets it: packed with `npm pack`, installed into a directory outside the
// repository, a TypeScript program type-checked against the package's own .d.ts (strict, nodenext, no skipLibCheck)
// and run under Node with no flags, driving one whole consultation against a live server.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { packSdk } from "../../client-sdk/build";
import { startTestServer, DEMO_PASSWORD, type TestServer } from "../helpers/server";

let t: TestServer;
let dir: string;
const repo = path.resolve(__dirname, "../..");

beforeAll(async () => {
  t = await startTestServer();
  dir = mkdtempSync(path.join(os.tmpdir(), "yilian-sdk-integrator-"));
});
afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  execFileSync(cmd, args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, ...env, NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 240_000,
  });

it("installs from the packed tarball, type-checks a program against it and drives a consultation", async () => {
  expect(path.relative(repo, dir).startsWith("..")).toBe(true);
  const tarball = await packSdk(dir);
  expect(path.basename(tarball)).toMatch(/^yilian-client-sdk-\d+\.\d+\.\d+\.tgz$/);

  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "county-hospital-his-bridge", private: true, type: "module" }),
  );
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        skipLibCheck: false,
        lib: ["ES2022", "DOM"],
        types: ["node"],
        outDir: "out",
        rootDir: "src",
      },
      include: ["src"],
    }),
  );
  run("mkdir", ["-p", "src"]);
  copyFileSync(path.join(repo, "client-sdk/example/node/consultation.ts"), path.join(dir, "src/consultation.ts"));
  // The package, its dependencies and the integrator's own tools, from the npm registry (cache first).
  run("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--prefer-offline",
    "--loglevel=error",
    tarball,
    "typescript@5.9.3",
    "@types/node@20",
  ]);

  run(path.join(dir, "node_modules/.bin/tsc"), ["-p", "."]);
  // Asynchronously: the server answering it runs in this process.
  const { stdout: out } = await promisify(execFile)(process.execPath, ["out/consultation.js"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "", YILIAN_URL: t.baseUrl, YILIAN_PASSWORD: DEMO_PASSWORD },
    timeout: 120_000,
  });
  const result = JSON.parse(out.trim().split("\n").at(-1)!);

  expect(result.refusedField).toBe("body.patient.idNumber");
  expect(result.eventMs).toBeLessThan(5000);
  expect(result.timeline).toEqual([
    "DRAFT",
    "SUBMITTED",
    "ACCEPTED",
    "SCHEDULED",
    "SCHEDULED",
    "IN_PROGRESS",
    "REPORTED",
    "CLOSED",
  ]);
  expect(result.closed).toBe("CLOSED 已结束");
  expect(result.reportedStatus).toBe("REPORTED");
  // The invite's wall-clock is the booked instant in Asia/Shanghai.
  const local = new Date(Date.parse(result.booked.startsAt) + 8 * 3600_000)
    .toISOString()
    .replace(/[-:]/g, "")
    .slice(0, 15);
  expect(result.inviteStart).toBe(local);
  expect(result.pdfBytes).toBeGreaterThan(1000);
  expect(result.fhirIdValues.every((v: string | null) => v === null || !/^\d{17}[\dX]$/.test(v))).toBe(true);
  expect(result.conflict).toEqual({ code: "INVALID_STATE", currentStatus: "CLOSED" });
}, 300_000);

it("a program that misuses the API does not compile against the package's types", () => {
  writeFileSync(
    path.join(dir, "src/wrong.ts"),
    [
      'import { createRestClient } from "@yilian/client-sdk/rest";',
      "const rest = createRestClient({ baseUrl: 'http://127.0.0.1' });",
      "const c = await rest.consultation('x');",
      "const s: number = c.status;", // a status is a string enum
      "await rest.rescheduleBooking('x', new Date());", // ISO string and a reason are required
      "export {};",
    ].join("\n"),
  );
  let output = "";
  try {
    run(path.join(dir, "node_modules/.bin/tsc"), ["-p", ".", "--noEmit"]);
  } catch (e) {
    output = String((e as { stdout?: string }).stdout);
  }
  rmSync(path.join(dir, "src/wrong.ts"));
  expect(output).toMatch(/wrong\.ts\(4,\d+\): error TS2322/);
  expect(output).toMatch(/wrong\.ts\(5,\d+\): error TS/);
});
