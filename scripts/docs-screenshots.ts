// Retakes the README's console screenshots (docs/*.png) from the living demo: `npx tsx scripts/docs-screenshots.ts`
// against DATABASE_URL seeded by `npm run seed -- --reset`. Starts its own server on an ephemeral port.
import path from "node:path";
import { createServices, createYilianServer, loadConfig } from "@yilian/server";
import { launchBrowser } from "../tests/helpers/chromium";

const DOCS = path.resolve("docs"); // run from the repository root
const PASSWORD = process.env.YILIAN_PASSWORD ?? "Yilian@2024";

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn" });
  const server = createYilianServer(createServices(config));
  const { url } = await server.listen();
  const browser = await launchBrowser();
  try {
    const shoot = async (username: string, route: string, file: string, ready: string) => {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 720 },
        locale: "zh-CN",
        timezoneId: "Asia/Shanghai",
        baseURL: url,
      });
      const page = await context.newPage();
      page.setDefaultTimeout(60_000);
      await page.goto("/login");
      await page.locator("#username").fill(username);
      await page.locator("#password").fill(PASSWORD);
      await page
        .getByRole("button", { name: "登 录" })
        .or(page.getByRole("button", { name: "登录" }))
        .click();
      await page.getByTestId("user-menu").waitFor();
      await page.goto(route);
      await page.locator(ready).first().waitFor();
      await page
        .waitForFunction(() => !document.querySelector(".ant-spin-spinning, .ant-skeleton"), undefined, {
          timeout: 20_000,
        })
        .catch(() => undefined);
      await page.waitForTimeout(1500); // charts animate in
      await page.screenshot({ path: path.join(DOCS, file) });
      await context.close();
      console.log(`docs/${file}`);
    };
    await shoot("coord.youtian", "/triage", "console-triage.png", ".ant-table-row");
    await shoot("province.admin", "/statistics", "console-statistics.png", "canvas");
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
