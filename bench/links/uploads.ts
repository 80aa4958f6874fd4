// Upload half of `npm run bench -- links`: a 100 MB CT image (uncompressed DICOM made with dcmtk) sent by the SDK's
// tus client to a real server process, through a TCP proxy that counts every byte the client sends.
//   upload_mb_per_s           a clean line: file size / (upload call → server's answer)
//   upload_cut_mb_per_s       the same with the line cut once at 50 % (reconnect and resume included)
//   upload_resume_resent_pct  bytes the cut run sent beyond the clean run's total, % of the file (≤ 5)
// Extra: raw_put_mb_per_s, one plain HTTP request carrying the same bytes to a Node sink through the same proxy
// (the line's own speed on this machine), and upload_ratio_vs_raw.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createDb } from "@yilian/server";
import { createRestClient } from "../../client-sdk/src/rest";
import { startCuttingProxy } from "../../tests/helpers/tus";
import { makeConsultation } from "../../tests/worker/helpers";
import { createBenchDatabase, dropBenchDatabase, emit, log, startProcess, stopProcess } from "../lib";

const BENCH = "links";
const DB = "yilian_bench_links_uploads";
const FILE_MB = Number(process.env.BENCH_LINKS_UPLOAD_MB ?? 100);
const MB = 1024 * 1024;

/** An uncompressed RGB DICOM of about `mb` MB (noise, so nothing on the way can compress it). */
function makeDicom(dir: string, mb: number): Buffer {
  const side = Math.ceil(Math.sqrt((mb * MB) / 3));
  const run = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  run("/usr/bin/convert", [
    "-size",
    `${side}x${side}`,
    "xc:gray",
    "+noise",
    "Random",
    "-type",
    "TrueColor",
    "-quality",
    "92",
    "big.jpg",
  ]);
  run("img2dcm", ["big.jpg", "big-jpeg.dcm", "-k", "Modality=CT", "-k", "PatientID=BENCH-LINKS"]);
  run("dcmdjpeg", ["big-jpeg.dcm", "big.dcm"]);
  return readFileSync(path.join(dir, "big.dcm"));
}

/** One plain POST of the bytes to a sink behind the proxy: what the line itself carries per second. */
async function rawPutMbPerS(bytes: Buffer): Promise<number> {
  const sink = http.createServer((req, res) => {
    req.on("data", () => undefined).on("end", () => res.end("ok"));
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  const port = (sink.address() as { port: number }).port;
  const proxy = await startCuttingProxy({ host: "127.0.0.1", port }, Number.POSITIVE_INFINITY);
  try {
    const t0 = performance.now();
    const res = await fetch(`${proxy.url}/sink`, { method: "POST", body: new Uint8Array(bytes) });
    await res.text();
    return bytes.length / MB / ((performance.now() - t0) / 1000);
  } finally {
    await proxy.close();
    sink.close();
  }
}

export default async function runUploadLinks(): Promise<void> {
  const fx = mkdtempSync(path.join(tmpdir(), "yilian-bench-links-up-"));
  const storage = mkdtempSync(path.join(tmpdir(), "yilian-bench-links-storage-"));
  log(`making a ${FILE_MB} MB DICOM and the bench database`);
  const bytes = makeDicom(fx, FILE_MB);
  const dbUrl = await createBenchDatabase(DB);
  const db = createDb(dbUrl);
  const server = await startProcess(
    process.execPath,
    ["--import", "tsx", "server/src/main.ts"],
    {
      DATABASE_URL: dbUrl,
      REDIS_PREFIX: `yilian-bench-links-up-${process.pid}`,
      STORAGE_DIR: storage,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SEED_DEMO_DATA: "false",
      TURN_START: "false",
    },
    /listening on (http:\/\/\S+)/,
  );
  try {
    const target = new URL(server.match[1]!);
    /** One upload through a counting proxy (cut once after `cutAt` bytes); bytes the upload sent and its time. */
    const upload = async (cutAt: number) => {
      const consultationId = await makeConsultation(db);
      const proxy = await startCuttingProxy({ host: target.hostname, port: Number(target.port) }, cutAt);
      try {
        const rest = createRestClient({ baseUrl: proxy.url });
        await rest.login("doctor.hadashan", "Yilian@2024");
        const before = proxy.sentBytes();
        const t0 = performance.now();
        const view = await rest.upload(
          consultationId,
          new Blob([new Uint8Array(bytes)], { type: "application/dicom" }),
          "bench-ct.dcm",
          { resumable: true, retryDelays: [0, 200, 1000] },
        );
        const seconds = (performance.now() - t0) / 1000;
        if (view.sizeBytes !== bytes.length) throw new Error(`uploaded ${view.sizeBytes} of ${bytes.length} bytes`);
        if (cutAt < Number.POSITIVE_INFINITY && !proxy.cut()) throw new Error("the line was never cut");
        return { sent: proxy.sentBytes() - before, seconds };
      } finally {
        await proxy.close();
      }
    };
    const clean = await upload(Number.POSITIVE_INFINITY);
    const cut = await upload(Math.floor(bytes.length / 2));
    const raw = await rawPutMbPerS(bytes);
    const size = bytes.length / MB;
    log(
      `clean: ${clean.sent} bytes in ${clean.seconds.toFixed(2)} s; cut at 50 %: ${cut.sent} bytes in ${cut.seconds.toFixed(2)} s`,
    );
    emit(BENCH, "upload_mb_per_s", size / clean.seconds, "MB/s");
    emit(BENCH, "upload_cut_mb_per_s", size / cut.seconds, "MB/s");
    emit(BENCH, "upload_resume_resent_pct", (100 * (cut.sent - clean.sent)) / bytes.length, "%");
    emit(BENCH, "raw_put_mb_per_s", raw, "MB/s");
    emit(BENCH, "upload_ratio_vs_raw", raw / (size / clean.seconds), "ratio");
  } finally {
    await stopProcess(server.child);
    await db.$disconnect();
    await dropBenchDatabase(DB);
    rmSync(fx, { recursive: true, force: true });
    rmSync(storage, { recursive: true, force: true });
  }
}
