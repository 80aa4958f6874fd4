// Remote training through the console, UI only: a lecturer schedules a session for the whole province, two
// trainees register, the lecturer goes live, both trainees watch the lecturer's video, one raises a hand and is
// invited to speak, a question is asked and answered, the lecturer ends and the attendance report lists both.
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb } from "../helpers/db";
import {
  ensureConsoleBuilt,
  horizontalOverflow,
  launchBrowser,
  loginUi,
  nav,
  openTab,
  screenshot,
  untranslated,
  type Tab,
} from "./helpers";

jest.setTimeout(180_000);

/** "YYYY-MM-DD HH:mm" in Asia/Shanghai, `minutes` from now. */
const shanghai = (minutes: number) =>
  new Date(Date.now() + minutes * 60_000 + 8 * 3600_000).toISOString().slice(0, 16).replace("T", " ");

const watching = (p: Page) =>
  p.waitForFunction(
    () => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="training-video"] video');
      return !!v && v.readyState >= 2 && v.videoWidth > 0;
    },
    undefined,
    { timeout: 30_000 },
  );

describe("training in the console", () => {
  let ts: TestServer;
  let browser: Browser;
  const tabs: Tab[] = [];
  const tab = async () => {
    const t = await openTab(browser, ts.baseUrl);
    tabs.push(t);
    return t;
  };

  beforeAll(async () => {
    ensureConsoleBuilt();
    ts = await startTestServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const t of tabs.splice(0)) await t.context.close();
    await browser?.close();
    await ts?.stop();
    await closeTestDb();
  });

  it("a lecturer runs a lecture with two trainees; a raised hand is promoted; attendance lists both", async () => {
    const title = `心电图判读要点 ${Date.now() % 100000}`;
    const lect = await tab();
    await loginUi(lect.page, "lect.jdyy");
    await nav(lect.page, "远程培训");
    await lect.page.getByRole("button", { name: "安排培训" }).click();
    await lect.page.locator("#training-title").fill(title);
    await lect.page.locator("#training-time").click();
    await lect.page.locator("#training-time").fill(shanghai(5));
    await lect.page.keyboard.press("Enter");
    await lect.page.keyboard.type(shanghai(50));
    await lect.page.keyboard.press("Enter");
    await screenshot(lect.page, "training-schedule");
    await lect.page.getByRole("button", { name: "发布培训" }).click();
    await lect.page.getByTestId("training-title").filter({ hasText: title }).waitFor();

    // Two trainees of a township health centre register from the catalogue.
    const trainees: Tab[] = [];
    for (const user of ["trainee.hadashan", "doctor.hadashan"]) {
      const t = await tab();
      trainees.push(t);
      await loginUi(t.page, user);
      await nav(t.page, "远程培训");
      const row = t.page.locator(".ant-table-row", { hasText: title });
      await row.getByRole("button", { name: /报\s?名/ }).click();
      await t.page.getByText("报名成功").waitFor();
    }
    await screenshot(trainees[0]!.page, "training-catalogue");
    expect(await horizontalOverflow(trainees[0]!.page)).toBeLessThanOrEqual(0);

    // The lecturer goes live; both trainees join and see the lecturer's camera.
    await lect.page.getByRole("button", { name: "开始直播" }).click();
    await lect.page.getByText("已连接直播").waitFor({ timeout: 20_000 });
    for (const t of trainees) {
      await t.page.locator(".ant-table-row", { hasText: title }).getByRole("link").click();
      await t.page.getByText("已连接直播").waitFor({ timeout: 20_000 });
    }
    await Promise.all(trainees.map((t) => watching(t.page)));

    // The lecturer records the lecture: everyone in it sees 录制中; stopped, it is processed for playback.
    const recording = (p: Page, state: string) =>
      p.locator(`[data-testid="recording-indicator"][data-state="${state}"]`).waitFor({ timeout: 15_000 });
    await lect.page.getByTestId("recording-start").click();
    for (const p of [lect.page, ...trainees.map((t) => t.page)]) await recording(p, "recording");
    expect(await trainees[0]!.page.getByTestId("recording-indicator").innerText()).toContain("录制中");
    await expect(trainees[0]!.page.getByTestId("recording-start").count()).resolves.toBe(0);
    await screenshot(trainees[0]!.page, "training-recording-trainee");
    await lect.page.waitForTimeout(2000);
    await lect.page.getByTestId("recording-stop").click();
    await lect.page.getByTestId("recording-processing").waitFor();
    for (const t of trainees) await recording(t.page, "off");

    // Q&A: a trainee asks, the lecturer answers.
    const [a, b] = trainees as [Tab, Tab];
    await a.page.getByRole("textbox", { name: "提问" }).fill("ST 段抬高与早复极如何鉴别？");
    await a.page.getByRole("button", { name: /提\s?问/ }).click();
    await lect.page.getByTestId("question").filter({ hasText: "早复极" }).waitFor();

    // Raise hand → the lecturer invites the trainee to speak.
    await b.page.getByTestId("raise-hand").click();
    const hand = lect.page.getByTestId("hand-item");
    await hand.waitFor();
    await hand.getByRole("button", { name: "邀请发言" }).click();
    await b.page.getByText("您已获邀发言").waitFor({ timeout: 15_000 });
    await lect.page.getByText("发言中").waitFor();
    await screenshot(lect.page, "training-live-lecturer");
    await screenshot(b.page, "training-live-trainee");
    expect(await horizontalOverflow(lect.page)).toBeLessThanOrEqual(0);

    // End: the attendance report lists both trainees.
    await a.page.waitForTimeout(1500);
    await lect.page.getByRole("button", { name: "结束直播" }).click();
    await lect.page.getByRole("tab", { name: "参训统计" }).waitFor();
    await lect.page.getByRole("tab", { name: "参训统计" }).click();
    const table = lect.page.locator(".ant-table-row");
    await table.first().waitFor();
    const text = (await table.allInnerTexts()).join("\n");
    expect(text).toContain("哈达山卫生院");
    expect(await table.count()).toBeGreaterThanOrEqual(2);
    await screenshot(lect.page, "training-attendance");
    // The session's recordings: the lecturer sees the one just made (processed by the worker, not running here).
    await lect.page.getByRole("tab", { name: "课程回放" }).click();
    await lect.page.getByTestId("recording-item").first().waitFor();
    expect(await untranslated(lect.page)).toEqual([]);
  });
});
