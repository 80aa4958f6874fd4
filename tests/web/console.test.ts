// The web console in Chromium, through the UI only: login per role and role-aware navigation, the network
// browser and user management, a consultation filed by a township doctor reaching the coordinator's triage
// queue, another institution's consultation answering 未找到, and an expired session returning to the login
// without losing the half-filled request.
import { consoleSuite, horizontalOverflow, loginUi, menuLabels, nav, screenshot, untranslated } from "./helpers";

jest.setTimeout(120_000);

describe("web console", () => {
  const web = consoleSuite();
  const tab = () => web.tab();

  it("serves the console with SPA fallback, cache headers and a CSP it runs under", async () => {
    const index = await fetch(`${web.ts.baseUrl}/consultations/123`, { headers: { accept: "text/html" } });
    expect(index.status).toBe(200);
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(index.headers.get("content-security-policy")).toContain("connect-src 'self' ws: wss:");
    const html = await index.text();
    expect(html).toContain('<div id="root">');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(web.ts.baseUrl + asset);
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toContain("immutable");
    // API paths keep answering problem+json, never the console.
    const api = await fetch(`${web.ts.baseUrl}/api/nope`, { headers: { accept: "text/html" } });
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toContain("application/problem+json");
  });

  const roles: { user: string; must: string[]; mustNot: string[]; shot: string }[] = [
    {
      user: "doctor.hadashan",
      must: ["工作台", "发起会诊", "会诊列表", "远程培训", "医疗网络"],
      mustNot: ["分诊队列", "用户管理", "统计分析"],
      shot: "home-doctor",
    },
    {
      user: "coord.youtian",
      must: ["会诊列表", "分诊队列"],
      mustNot: ["发起会诊", "用户管理"],
      shot: "home-coordinator",
    },
    {
      user: "spec.youtian.1",
      must: ["会诊列表", "出诊日历"],
      mustNot: ["发起会诊", "分诊队列"],
      shot: "home-specialist",
    },
    { user: "lect.jdyy", must: ["远程培训"], mustNot: ["发起会诊", "分诊队列", "用户管理"], shot: "home-lecturer" },
    {
      user: "province.admin",
      must: ["统计分析", "医疗网络", "用户管理", "会诊列表"],
      mustNot: ["发起会诊", "分诊队列"],
      shot: "home-province-admin",
    },
  ];
  it.each(roles)("logs in as $user and shows the role's navigation", async ({ user, must, mustNot, shot }) => {
    const { page } = await tab();
    await page.goto("/");
    // Not logged in: the login page, in Chinese.
    await page.waitForURL(/\/login$/);
    await page.getByText("医联远程医疗协作平台").first().waitFor();
    if (user === "doctor.hadashan") await screenshot(page, "login");
    await loginUi(page, user);
    const labels = await menuLabels(page);
    for (const m of must) expect(labels).toContain(m);
    for (const m of mustNot) expect(labels).not.toContain(m);
    await page.getByText("您好").waitFor();
    await screenshot(page, shot);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    expect(await untranslated(page)).toEqual([]);
  });

  it("shows the reconnecting banner while the live connection is down, and clears it when back", async () => {
    const { page } = await tab();
    await loginUi(page, "doctor.hadashan");
    await page.locator('[data-testid="live-state"][data-state="connected"]').waitFor();
    web.ts.server.io.disconnectSockets(true);
    await page.getByTestId("reconnect-banner").waitFor({ timeout: 5000 });
    expect(await page.getByTestId("reconnect-banner").innerText()).toContain("正在重新连接");
    await screenshot(page, "reconnecting");
    await page.getByTestId("reconnect-banner").waitFor({ state: "detached", timeout: 15_000 });
    await page.locator('[data-testid="live-state"][data-state="connected"]').waitFor();
  });

  it("rejects a wrong password with guidance", async () => {
    const { page } = await tab();
    await page.goto("/login");
    await page.locator("#username").fill("doctor.hadashan");
    await page.locator("#password").fill("wrong-password");
    await page.getByRole("button", { name: /登\s?录/ }).click();
    await page.getByText("用户名或密码错误").waitFor();
    await page.getByText("处理建议").waitFor();
  });

  it("browses the four-tier network and the consortia", async () => {
    const { page } = await tab();
    await loginUi(page, "province.admin");
    await nav(page, "医疗网络");
    await page.waitForURL(/\/network$/);
    const tree = page.locator(".ant-tree");
    await tree.getByText("省级").first().waitFor();
    // Expand the first collapsed hospital (children load on demand) and open one of its children.
    const before = await tree.locator(".ant-tree-node-content-wrapper").count();
    await tree.locator(".ant-tree-switcher_close").first().click();
    await page.waitForFunction(
      (n) => document.querySelectorAll(".ant-tree .ant-tree-node-content-wrapper").length > n,
      before,
    );
    await tree.locator(".ant-tree-node-content-wrapper").nth(1).click();
    await page.locator(".ant-descriptions-title").waitFor();
    await page.getByText("科室").first().waitFor();
    await screenshot(page, "network-tree");
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.getByRole("tab", { name: "医联体" }).click();
    await page.locator(".ant-table-row").first().waitFor();
    const first = await page.locator(".ant-table-row").first().innerText();
    expect(first).toMatch(/府院合作|外部协作指导|城市医疗集团|县域医共体|专科联盟|远程医疗协作网/);
    await page.locator(".ant-table-row").first().click();
    await page.getByText("成员单位").first().waitFor();
    await screenshot(page, "network-consortia");
    expect(await untranslated(page)).toEqual([]);
  });

  it("lists and edits users within the administrator's scope", async () => {
    const { page } = await tab();
    await loginUi(page, "admin.youtian");
    await nav(page, "用户管理");
    await page.locator(".ant-table-row").first().waitFor();
    const rows = await page.locator(".ant-table-row").allInnerTexts();
    // Institution administrators see their own institution's staff only.
    expect(rows.every((r) => r.includes("松原吉林油田医院"))).toBe(true);
    await screenshot(page, "users");
    // Edit a colleague's title through the dialog; the table shows the change.
    const row = page.locator(".ant-table-row", { hasText: "doc.jl070001" });
    await row.getByRole("button", { name: /编\s?辑/ }).click();
    const dialog = page.locator(".ant-modal");
    await dialog.getByLabel("职称").click();
    await page.locator(".ant-select-item-option", { hasText: "副主任医师" }).click();
    await dialog.getByRole("button", { name: /保\s?存/ }).click();
    await page.getByText("已保存").waitFor();
    await row.getByText("副主任医师").waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  });
});
