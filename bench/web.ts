// `npm run bench -- web`: the built console served by the server, loaded in Chromium (fresh profile and cache
// per load). First contentful paint and time to interactive (the route's main control rendered and the main
// thread past its last long task) of the login page and of the doctor's consultation list, median of 10 loads;
// and the gzip size of the JavaScript each route loads.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser } from "playwright-core";
import { launchBrowser } from "../tests/helpers/chromium";
import {
  createBenchDatabase,
  dropBenchDatabase,
  emit,
  log,
  median,
  startProcess,
  stopProcess,
  deleteRedisKeys,
} from "./lib";

const BENCH = "web";
const DB = "yilian_bench_web";
const LOADS = 10;

// Runs in the page before its own scripts: long tasks and the moment the route's main control appears.
const PROBE = (selector: string) => `
  window.__lt = [];
  try { new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lt.push(e.startTime + e.duration); }).observe({ type: "longtask", buffered: true }); } catch {}
  (function poll() {
    if (document.querySelector(${JSON.stringify(selector)})) { window.__ready = performance.now(); return; }
    requestAnimationFrame(poll);
  })();
`;

interface Load {
  fcp: number;
  tti: number;
  js: Set<string>;
}

async function load(browser: Browser, url: string, selector: string, init?: string): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
  try {
    if (init) await context.addInitScript(init);
    await context.addInitScript(PROBE(selector));
    const page = await context.newPage();
    const js = new Set<string>();
    page.on("response", (r) => {
      const p = new URL(r.url()).pathname;
      if (p.endsWith(".js")) js.add(p);
    });
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction(() => (window as unknown as { __ready?: number }).__ready !== undefined, undefined, {
      timeout: 30_000,
    });
    await page.waitForTimeout(600); // a quiet window: long tasks after the control appeared still count
    const m = await page.evaluate(() => {
      const w = window as unknown as { __ready: number; __lt: number[] };
      const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN;
      return { fcp, tti: Math.max(w.__ready, fcp, ...w.__lt) };
    });
    return { ...m, js };
  } finally {
    await context.close();
  }
}

function gzipKb(files: Set<string>, dist: string): number {
  let bytes = 0;
  for (const f of files) bytes += gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length;
  return bytes / 1024;
}

export default async function run(): Promise<void> {
  log("building the console if stale");
  execFileSync("bash", ["scripts/ensure-web-built.sh"], { stdio: ["ignore", "inherit", "inherit"] });
  const dist = path.resolve("web/dist");
  log("creating and seeding the bench database");
  const databaseUrl = await createBenchDatabase(DB);
  const prefix = `yilian-bench-web-${process.pid}`;
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: prefix,
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    LOGIN_RATE_LIMIT: "100000",
    JWT_SECRET: "bench-secret-bench-secret-bench-secret-0123",
    WEB_DIST_DIR: dist,
  };
  const server = await startProcess(
    process.execPath,
    ["--import", "tsx", "server/src/main.ts"],
    env,
    /listening on (http:\/\/\S+)/,
  );
  let browser: Browser | undefined;
  try {
    const base = server.match[1]!;
    // The doctor's list shows real rows: a dozen requests filed through the API.
    const login = await fetch(`${base}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "doctor.hadashan", password: "Yilian@2024" }),
    });
    const pair = (await login.json()) as {
      accessToken: string;
      refreshToken: string;
      expiresIn: number;
      user: unknown;
    };
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${base}/api/consultations`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${pair.accessToken}` },
        body: JSON.stringify({
          patient: { name: `患者${i + 1}`, sex: i % 2 ? "FEMALE" : "MALE", birthDate: "1960-01-01" },
          urgency: "ROUTINE",
          chiefComplaint: "胸闷",
        }),
      });
      if (r.status !== 201) throw new Error(`seeding consultations: ${r.status} ${await r.text()}`);
    }
    const session = JSON.stringify({
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      expiresAt: Date.now() + pair.expiresIn * 1000,
      user: pair.user,
    });
    const loggedIn = `if (!sessionStorage.getItem("yilian.session")) sessionStorage.setItem("yilian.session", ${JSON.stringify(session)});`;

    browser = await launchBrowser();
    // One warm-up load each (server caches, Chromium start-up), not counted.
    await load(browser, `${base}/login`, "#username");
    await load(browser, `${base}/consultations`, ".ant-table-row", loggedIn);
    const logins: Load[] = [];
    const lists: Load[] = [];
    for (let i = 0; i < LOADS; i++) {
      logins.push(await load(browser, `${base}/login`, "#username"));
      lists.push(await load(browser, `${base}/consultations`, ".ant-table-row", loggedIn));
      log(
        `load ${i + 1}/${LOADS}: login fcp ${logins[i]!.fcp.toFixed(0)} tti ${logins[i]!.tti.toFixed(0)}; list fcp ${lists[i]!.fcp.toFixed(0)} tti ${lists[i]!.tti.toFixed(0)}`,
      );
    }
    emit(BENCH, "login_fcp_ms", median(logins.map((l) => l.fcp)), "ms");
    emit(BENCH, "login_tti_ms", median(logins.map((l) => l.tti)), "ms");
    emit(BENCH, "list_fcp_ms", median(lists.map((l) => l.fcp)), "ms");
    emit(BENCH, "list_tti_ms", median(lists.map((l) => l.tti)), "ms");
    emit(BENCH, "login_js_gzip_kb", gzipKb(logins[0]!.js, dist), "KiB");
    emit(BENCH, "list_js_gzip_kb", gzipKb(lists[0]!.js, dist), "KiB");
    emit(BENCH, "login_js_files", logins[0]!.js.size, "count");
    emit(BENCH, "list_js_files", lists[0]!.js.size, "count");
    emit(BENCH, "load_avg_1m", loadavg()[0]!, "load");
  } finally {
    await browser?.close();
    await stopProcess(server.child);
    await dropBenchDatabase(DB);
    await deleteRedisKeys(prefix);
  }
}
