// The statistics dashboard in Chromium, through the UI only, on a simulated 2024 computed into monthly rollups:
// the province administrator drills into a city (table) and one of its counties (chart); the table, its total and
// the KPIs follow the focus; the breadcrumb and the back button step out; a specialty filters everything; the CSV
// of a drilled view holds only that city's rows. A city administrator opening another city's link gets 未找到.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import type { StatScope } from "@yilian/contract";
import { computeMonth } from "../../worker/src/statistics/compute";
import { published2024, simulateYear } from "../../worker/src/statistics/simulate";
import { testDb } from "../helpers/db";
import { consoleSuite, horizontalOverflow, loginUi, screenshot, untranslated } from "./helpers";

jest.setTimeout(240_000);

const db = testDb();
const VIEW = "from=2024-01&to=2024-12&month=2024-12";

/** The database's own figure for a scope: a month's value, or the year's sum. */
async function figure(scope: StatScope, scopeId: string, metric: string, month?: string): Promise<number> {
  const r = await db.monthlyStat.aggregate({
    _sum: { value: true },
    where: {
      scope,
      scopeId,
      metric,
      dimension: "",
      key: "",
      month: month ? new Date(`${month}-01T00:00:00Z`) : { gte: new Date("2024-01-01"), lte: new Date("2024-12-01") },
    },
  });
  return r._sum.value ?? 0;
}

const num = (s: string) => Number(s.replace(/[,\s]/g, ""));
const kpi = async (page: Page, metric: string) =>
  (await page.getByTestId(`kpi-${metric}`).locator(".ant-statistic-content").innerText()).trim();
const crumbs = async (page: Page) =>
  (await page.getByTestId("stats-breadcrumb").locator(".ant-breadcrumb-link").allInnerTexts()).map((s) => s.trim());
/** Names in the first column of the breakdown table (all pages: the table shows up to 10 rows per page). */
const tableNames = async (page: Page) =>
  (await page.getByTestId("breakdown-table").locator("tbody tr.ant-table-row td:first-child").allInnerTexts()).map(
    (s) => s.trim(),
  );
const tableTotal = async (page: Page) => num(await page.getByTestId("breakdown-total").innerText());
const columnTitle = async (page: Page) =>
  (await page.getByTestId("breakdown-table").locator("thead th").first().innerText()).trim();

async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector(".ant-spin-spinning, .ant-skeleton"), undefined, {
    timeout: 30_000,
  });
}

/** Screenshot of the top of the dashboard, once the charts' transition animations are over. */
async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(1200);
  await screenshot(page, name);
}

async function downloadCsv(page: Page, testId: string): Promise<string[][]> {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testId).click()]);
  const text = readFileSync((await download.path())!, "utf8").replace(/^\uFEFF/, "");
  return text
    .trim()
    .split("\r\n")
    .map((l) => l.split(","));
}

describe("statistics dashboard", () => {
  const web = consoleSuite({
    // The same simulated year (and tag) as tests/worker/statistics.test.ts: a re-run replaces it, never adds to it.
    before: async () => {
      await simulateYear(db, { year: 2024, tag: "SIM", ...published2024() });
      for (let m = 1; m <= 12; m++) await computeMonth(db, `2024-${String(m).padStart(2, "0")}`);
    },
  });
  const tab = () => web.tab();

  it("province admin drills into a city and a county, steps back, filters a specialty and exports the drilled view", async () => {
    const songyuan = await db.region.findFirstOrThrow({ where: { name: "松原市", kind: "CITY" } });
    const { page } = await tab();
    await loginUi(page, "province.admin");
    await page.goto(`/statistics?${VIEW}`);
    await page.getByTestId("breakdown-total").waitFor();
    await settled(page);

    // The province: cities listed, KPIs are the year's province figures.
    expect(await crumbs(page)).toEqual(["全省"]);
    expect(await columnTitle(page)).toBe("市（州）");
    expect(num(await kpi(page, "consultations"))).toBe(await figure("PROVINCE", "PROVINCE", "consultations"));
    expect(await tableTotal(page)).toBe(await figure("PROVINCE", "PROVINCE", "consultations", "2024-12"));
    expect(await horizontalOverflow(page)).toBe(0);
    expect(await untranslated(page)).toEqual([]);
    await shot(page, "statistics-province");

    // Click the city's row: everything narrows to it, its counties are listed.
    await page.getByTestId("breakdown-table").locator("tr.ant-table-row", { hasText: "松原市" }).click();
    await page.waitForURL((u) => u.searchParams.get("path") === `CITY:${songyuan.id}`);
    await page.getByTestId("stats-breadcrumb").getByText("松原市").waitFor();
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=breakdown-table] thead th")?.textContent?.includes("县（市、区）"),
    );
    await settled(page);
    expect(await crumbs(page)).toEqual(["全省", "松原市"]);
    const counties = await db.region.findMany({ where: { parentId: songyuan.id }, select: { id: true, name: true } });
    const countyNames = new Set(counties.map((c) => c.name));
    const listed = await tableNames(page);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((n) => countyNames.has(n))).toBe(true);
    expect(num(await kpi(page, "consultations"))).toBe(await figure("CITY", songyuan.id, "consultations"));
    const countyRows = await db.monthlyStat.findMany({
      where: {
        scope: "COUNTY",
        scopeId: { in: counties.map((c) => c.id) },
        month: new Date("2024-12-01"),
        metric: "consultations",
        dimension: "",
      },
    });
    expect(await tableTotal(page)).toBe(countyRows.reduce((a, r) => a + r.value, 0));
    expect(await horizontalOverflow(page)).toBe(0);
    expect(await untranslated(page)).toEqual([]);
    await shot(page, "statistics-city");

    // Exports are the view shown: the city's monthly rows, and its counties only.
    const monthlyCsv = await downloadCsv(page, "export-monthly-csv");
    expect(monthlyCsv[0]).toEqual(["月份", "统计范围", "范围名称", "指标", "维度", "分类", "数值"]);
    expect(monthlyCsv.length).toBeGreaterThan(12);
    expect(monthlyCsv.slice(1).every((r) => r[2] === "松原市")).toBe(true);
    const breakdownCsv = await downloadCsv(page, "export-breakdown-csv");
    expect(
      breakdownCsv
        .slice(1)
        .map((r) => r[2])
        .sort(),
    ).toEqual([...listed].sort());

    // Click the biggest county's bar in the chart (the top bar): its institutions are listed.
    const top = listed[0]!;
    const county = counties.find((c) => c.name === top)!;
    const chart = (await page.getByTestId("breakdown-chart").boundingBox())!;
    const band = (chart.height - 8 - 20) / Math.min(12, listed.length);
    await page.mouse.click(chart.x + 130 + 6, chart.y + 8 + band / 2);
    await page.waitForURL((u) => u.searchParams.get("path") === `CITY:${songyuan.id},COUNTY:${county.id}`);
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=breakdown-table] thead th")?.textContent?.includes("医疗机构"),
    );
    await settled(page);
    expect(await crumbs(page)).toEqual(["全省", "松原市", top]);
    const institutions = new Set(
      (await db.institution.findMany({ where: { countyId: county.id }, select: { name: true } })).map((i) => i.name),
    );
    const instListed = await tableNames(page);
    expect(instListed.length).toBeGreaterThan(0);
    expect(instListed.every((n) => institutions.has(n))).toBe(true);
    expect(await tableTotal(page)).toBe(await figure("COUNTY", county.id, "consultations", "2024-12"));
    expect(num(await kpi(page, "consultations"))).toBe(await figure("COUNTY", county.id, "consultations"));
    expect(await horizontalOverflow(page)).toBe(0);
    expect(await untranslated(page)).toEqual([]);
    await shot(page, "statistics-county");
    await page.getByTestId("breakdown-table").scrollIntoViewIfNeeded();
    await screenshot(page, "statistics-county-table");

    // The back button returns to the city; the breadcrumb's root to the province.
    await page.goBack();
    await page.waitForURL((u) => u.searchParams.get("path") === `CITY:${songyuan.id}`);
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=breakdown-table] thead th")?.textContent?.includes("县（市、区）"),
    );
    expect(await crumbs(page)).toEqual(["全省", "松原市"]);
    await page.getByTestId("stats-breadcrumb").getByText("全省").click();
    await page.waitForURL((u) => !u.searchParams.get("path"));
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=breakdown-table] thead th")?.textContent?.includes("市（州）"),
    );
    await settled(page);
    expect(await crumbs(page)).toEqual(["全省"]);
    expect(await tableTotal(page)).toBe(await figure("PROVINCE", "PROVINCE", "consultations", "2024-12"));

    // A specialty filters the dashboard to its share; referrals (not split by specialty) are not shown.
    await page.locator(".ant-segmented-item", { hasText: "按专科" }).click();
    await page.waitForFunction(() =>
      document.querySelector("[data-testid=breakdown-table] thead th")?.textContent?.includes("专科"),
    );
    await settled(page);
    const specialty = (await tableNames(page))[0]!;
    await page.getByTestId("breakdown-table").locator("tr.ant-table-row").first().click();
    await page.waitForURL((u) => !!u.searchParams.get("specialty"));
    await page.getByTestId("stats-breadcrumb").getByText(`专科：${specialty}`).waitFor();
    await settled(page);
    const code = new URL(page.url()).searchParams.get("specialty")!;
    const share = await db.monthlyStat.aggregate({
      _sum: { value: true },
      where: {
        scope: "PROVINCE",
        metric: "consultations",
        dimension: "specialty",
        key: code,
        month: { gte: new Date("2024-01-01"), lte: new Date("2024-12-01") },
      },
    });
    expect(num(await kpi(page, "consultations"))).toBe(share._sum.value ?? 0);
    expect(await kpi(page, "referrals")).toBe("—");
    expect(await untranslated(page)).toEqual([]);
    expect(await horizontalOverflow(page)).toBe(0);
    await shot(page, "statistics-specialty");
  });

  it("a city admin opening a link into another city gets 未找到, not its figures", async () => {
    const songyuan = await db.region.findFirstOrThrow({ where: { name: "松原市", kind: "CITY" } });
    const { page } = await tab();
    await loginUi(page, "region.changchun");
    await page.goto(`/statistics?${VIEW}&path=CITY:${songyuan.id}`);
    await page
      .getByText(/未找到/)
      .first()
      .waitFor();
    await settled(page);
    expect(await page.getByTestId("breakdown-table").locator("tr.ant-table-row").count()).toBe(0);
    expect(await page.locator("body").innerText()).not.toContain("松原市");
    expect(await page.locator(".ant-alert-error").count()).toBe(1);
    await shot(page, "statistics-other-city");
  });
});
