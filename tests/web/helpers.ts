// The web console in real Chromium (Debian's, driven by playwright-core) against a real server serving the
// built console. Everything goes through the UI: fill, click, read what a user reads.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DEMO_PASSWORD, startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb } from "../helpers/db";
import { launchBrowser } from "../helpers/chromium";

export { launchBrowser };

export const VIEWPORT = { width: 1366, height: 768 };
export const SCREENSHOTS = path.resolve(__dirname, "../../test-output/screenshots");

/** Builds web/dist when it is missing or older than its sources (no-op otherwise). */
export function ensureConsoleBuilt(): void {
  execFileSync("bash", [path.resolve(__dirname, "../../scripts/ensure-web-built.sh")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors (other than expected network failures). */
  errors: string[];
}

export async function openTab(browser: Browser, baseUrl: string): Promise<Tab> {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    baseURL: baseUrl,
  });
  const page = await context.newPage();
  // Generous: the machine's CPU is shared with other test suites and media workers.
  page.setDefaultTimeout(45_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource|status of 40[134]/.test(m.text()))
      errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

/** Logs in through the login form and waits for the shell. */
export async function loginUi(page: Page, username: string, password = DEMO_PASSWORD): Promise<void> {
  if (!page.url().includes("/login")) await page.goto("/login");
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await page
    .getByRole("button", { name: "登 录" })
    .or(page.getByRole("button", { name: "登录" }))
    .click();
  await page.getByTestId("user-menu").waitFor({ timeout: 15_000 });
}

/** The labels of the side menu. */
export async function menuLabels(page: Page): Promise<string[]> {
  const texts = await page.locator("nav .ant-menu-item").allInnerTexts();
  return texts.map((s) => s.trim()).filter(Boolean);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Let loading overlays settle so the picture shows what the user reads.
  await page
    .waitForFunction(() => !document.querySelector(".ant-spin-spinning, .ant-spin-blur"), undefined, {
      timeout: 10_000,
    })
    .catch(() => undefined);
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The page must not scroll sideways at 1366×768 (overflowing layouts are bugs). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Visible text that looks like an untranslated i18n key (e.g. "nav.home") or an English leftover word. */
export async function untranslated(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => document.body.innerText);
  const keys = text.match(/\b[a-z]+\.[a-zA-Z]+(\.[a-zA-Z]+)?\b/g) ?? [];
  const english =
    text.match(/\b(undefined|null|NaN|Loading|Submit|Cancel|Error|Search|Next|Previous|items|page)\b/g) ?? [];
  return [...keys.filter((k) => !/^(yilian|www)\./.test(k)), ...english];
}

/** Clicks an entry of the side menu. */
export async function nav(page: Page, label: string): Promise<void> {
  await page.getByRole("navigation", { name: "主导航" }).getByRole("link", { name: label, exact: true }).click();
}

export interface ConsoleSuite {
  /** The test server (started in beforeAll). */
  readonly ts: TestServer;
  /** Opens a workstation-sized zh-CN tab; after each test it is checked for page errors and closed. */
  tab(): Promise<Tab>;
}

/**
 * The server and Chromium of a describe block of console tests. `before` runs before the server starts (data it
 * reads, workers it needs), `after` after the browser closed and before the server stops.
 */
export function consoleSuite(hooks: { before?: () => Promise<void>; after?: () => Promise<void> } = {}): ConsoleSuite {
  let ts: TestServer | undefined;
  let browser: Browser | undefined;
  const tabs: Tab[] = [];
  beforeAll(async () => {
    ensureConsoleBuilt();
    await hooks.before?.();
    ts = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await hooks.after?.();
    await ts?.stop();
    await closeTestDb();
  });
  afterEach(async () => {
    for (const t of tabs.splice(0)) {
      expect(t.errors).toEqual([]);
      await t.context.close();
    }
  });
  const started = () => {
    if (!ts || !browser) throw new Error("consoleSuite: used before beforeAll ran");
    return { ts, browser };
  };
  return {
    get ts() {
      return started().ts;
    },
    async tab() {
      const { ts, browser } = started();
      const t = await openTab(browser, ts.baseUrl);
      tabs.push(t);
      return t;
    },
  };
}
