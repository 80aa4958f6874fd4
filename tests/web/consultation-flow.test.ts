// A consultation through the console, UI only: a township doctor files a request with a DICOM attachment
// (upload progress, preview rendered by the worker), the coordinator finds it in the triage queue; a doctor of
// another institution gets 未找到 for its URL; an expired session returns to the login and keeps the form.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { Emitter } from "@socket.io/redis-emitter";
import { createRedis, type EventSink } from "@yilian/server";
import { createStorage } from "@yilian/storage";
import { initUploads } from "../../worker/src/queues/uploads";
import { initStatistics } from "../../worker/src/queues/statistics";
import { testDb } from "../helpers/db";
import { consoleSuite, horizontalOverflow, loginUi, nav, screenshot, untranslated } from "./helpers";

jest.setTimeout(180_000);

const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-web-storage-"));
process.env.STORAGE_DIR = storageDir;

/** A real DICOM file (dcmtk's img2dcm over an ImageMagick gradient). */
function makeDicom(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "yilian-web-fx-"));
  execFileSync("/usr/bin/convert", ["-size", "512x512", "radial-gradient:white-black", "-quality", "90", "chest.jpg"], {
    cwd: dir,
  });
  execFileSync(
    "img2dcm",
    [
      "chest.jpg",
      "chest-ct.dcm",
      "-k",
      "PatientName=Wang^Wu",
      "-k",
      "Modality=CT",
      "-k",
      "BodyPartExamined=CHEST",
      "-k",
      "StudyDate=20261120",
    ],
    { cwd: dir },
  );
  return path.join(dir, "chest-ct.dcm");
}

async function pickDate(page: Page, selector: string, value: string) {
  await page.locator(selector).click();
  await page.locator(selector).fill(value);
  await page.keyboard.press("Enter");
}

async function chooseOption(page: Page, selector: string, text: string) {
  await page.locator(selector).click();
  await page.locator(selector).fill(text);
  await page.locator(".ant-select-item-option", { hasText: text }).first().click();
}

describe("consultation in the console", () => {
  let worker: Awaited<ReturnType<typeof initUploads>>;
  let stats: Awaited<ReturnType<typeof initStatistics>>;
  const connection = createRedis(process.env.REDIS_URL!);
  let consultationUrl = "";
  let number = "";

  const startedAt = new Date();
  const web = consoleSuite({
    before: async () => {
      // Test files share one database: requests other files left in this hospital's triage queue would push this
      // flow's request off the queue's first page. Withdraw them so the coordinator sees a working day's queue.
      const lead = await testDb().institution.findUniqueOrThrow({ where: { name: "松原吉林油田医院" } });
      await testDb().consultation.updateMany({
        where: { targetInstitutionId: lead.id, status: { in: ["SUBMITTED", "RETURNED"] } },
        data: { status: "CANCELLED", statusReason: "测试准备：清空分诊队列" },
      });
      // Files added after submission are announced (consultation:attachment-added) through the servers' Socket.IO
      // Redis adapter channel, as the worker process does.
      const sink = new Emitter(connection, { key: `${process.env.REDIS_PREFIX}:socket.io` }) as unknown as EventSink;
      worker = await initUploads(
        { db: testDb(), storage: createStorage(), sink },
        connection,
        `${process.env.REDIS_PREFIX}:bull`,
        { concurrency: 1 },
      );
      stats = await initStatistics(testDb(), connection, `${process.env.REDIS_PREFIX}:bull`);
    },
    after: async () => {
      // The specialist's opening hours added through the UI would change other files' slot searches.
      await testDb().availabilityRule.deleteMany({ where: { createdAt: { gte: startedAt } } });
      await testDb().availabilityWindow.deleteMany({ where: { createdAt: { gte: startedAt } } });
      await worker?.worker.close();
      await worker?.queue.close();
      await stats?.worker.close();
      await stats?.queue.close();
      connection.disconnect();
    },
  });
  const tab = () => web.tab();

  it("a township doctor files a request with a DICOM attachment and the coordinator sees it in the queue", async () => {
    const doctor = await tab();
    const coord = await tab();
    await loginUi(coord.page, "coord.youtian");
    await nav(coord.page, "分诊队列");
    await coord.page.getByText("队列为空").or(coord.page.locator(".ant-table-row").first()).waitFor();

    const page = doctor.page;
    await loginUi(page, "doctor.hadashan");
    await nav(page, "发起会诊");
    await page.locator("#patientName").fill("王五");
    await pickDate(page, "#birthDate", "1958-03-12");
    await page.getByText("加急").click();
    await screenshot(page, "wizard-patient");
    await page.getByRole("button", { name: "保存草稿并继续" }).click();

    await chooseOption(page, "#specialtyCode", "心血管内科");
    await page.locator("#chiefComplaint").fill("反复胸闷、胸痛 3 天，活动后加重");
    await page.locator("#question").fill("明确胸痛原因，指导下一步治疗及是否需要上转");
    await page.getByRole("button", { name: "下一步" }).click();

    // Ranked targets, each with the reason it is suggested.
    await page.getByTestId("target-option").first().waitFor();
    await page.getByText("推荐理由").first().waitFor();
    // The group lead hospital is offered with its reason; the ranking itself depends on other hospitals' free
    // slots, so pick it explicitly.
    const songyuan = page.getByTestId("target-option").filter({ hasText: "松原吉林油田医院" });
    expect(await songyuan.innerText()).toContain("推荐理由");
    await songyuan.locator("input[type=radio]").check();
    await screenshot(page, "wizard-targets");
    await page.getByRole("button", { name: "下一步" }).click();

    // Attachment: upload progress, then the worker's PNG preview of the DICOM.
    await page.locator('input[type="file"]').setInputFiles(makeDicom());
    await page.locator('[data-testid="upload-card"][data-status="READY"]').waitFor({ timeout: 60_000 });
    await page.getByTestId("upload-preview").waitFor();
    expect(await page.locator('[data-testid="upload-card"]').innerText()).toContain("CT");
    await screenshot(page, "wizard-attachments");
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.getByRole("button", { name: "下一步" }).click();
    await page.getByText("1 个文件").waitFor();
    await page.getByRole("button", { name: "提交会诊申请" }).click();

    await page.waitForURL(/\/consultations\/[0-9a-f-]{36}$/);
    consultationUrl = new URL(page.url()).pathname;
    await page.locator('[data-status="SUBMITTED"]').first().waitFor();
    number = (await page.getByTestId("consultation-number").innerText()).trim();
    await page.getByRole("tab", { name: /影像与病例资料/ }).click();
    await page.getByTestId("upload-preview").waitFor();
    await page.getByRole("tab", { name: "流转记录" }).click();
    await page.getByTestId("timeline").getByText("已提交").waitFor();
    await screenshot(page, "consultation-detail-doctor");
    expect(await untranslated(page)).toEqual([]);

    // The coordinator's queue updates live (consultation:queued) with an SLA countdown.
    await coord.page.locator(".ant-table-row", { hasText: number }).waitFor({ timeout: 15_000 });
    const row = coord.page.locator(".ant-table-row", { hasText: number });
    expect(await row.innerText()).toContain("加急");
    expect(await row.getByTestId("sla").innerText()).toMatch(/剩余/);
    await coord.page.getByTestId("notification-badge").locator(".ant-badge-count").waitFor();
    await screenshot(coord.page, "triage-queue");
    expect(await horizontalOverflow(coord.page)).toBeLessThanOrEqual(0);
  });

  it("the coordinator assigns, the specialist books, both meet on video, the report is signed and downloaded", async () => {
    expect(consultationUrl).not.toBe("");
    // Coordinator: accept and assign 金静 (spec.youtian.1, 心血管内科) from the triage queue.
    const coord = await tab();
    await loginUi(coord.page, "coord.youtian");
    await nav(coord.page, "分诊队列");
    const row = coord.page.locator(".ant-table-row", { hasText: number });
    await row.getByRole("button", { name: "受理并指派" }).click();
    const option = coord.page.getByTestId("specialist-option").filter({ hasText: "金静" });
    await option.waitFor();
    expect(await option.innerText()).toContain("对口专科");
    await option.locator("input[type=checkbox]").check();
    await screenshot(coord.page, "triage-assign");
    await coord.page.locator(".ant-modal").getByRole("button", { name: "受理并指派" }).click();
    await coord.page.getByText("队列为空").waitFor();

    // Specialist: add consulting hours for today and tomorrow (5-minute slots), then book the next slot.
    const spec = await tab();
    await loginUi(spec.page, "spec.youtian.1");
    await nav(spec.page, "出诊日历");
    const today = new Date(Date.now() + 8 * 3600_000).getUTCDay(); // Asia/Shanghai weekday, 0 = Sunday
    for (const wd of [today, (today + 1) % 7]) {
      const label = `周${"日一二三四五六"[wd]}`;
      await spec.page.getByLabel("星期").click();
      await spec.page.locator(".ant-select-item-option", { hasText: label }).last().click();
      await chooseOption(spec.page, "[aria-label=开始时间]", "00:00");
      await chooseOption(spec.page, "[aria-label=结束时间]", "24:00");
      await spec.page.getByLabel("每号时长").fill("5");
      await spec.page.getByTestId("add-rule").click();
      await spec.page.getByText(`${label} 00:00–24:00`).waitFor();
    }
    await screenshot(spec.page, "specialist-calendar");
    expect(await horizontalOverflow(spec.page)).toBeLessThanOrEqual(0);
    await spec.page.goto(consultationUrl);
    await spec.page.getByRole("button", { name: "预约会诊时间" }).click();
    await spec.page.locator(".ant-modal .ant-radio-button-wrapper").first().click();
    await spec.page.getByRole("button", { name: "确认预约" }).click();
    await spec.page.locator('[data-status="SCHEDULED"]').first().waitFor();

    // Both join the video room; each sees the other's camera decoding.
    const doctor = await tab();
    await loginUi(doctor.page, "doctor.hadashan");
    await doctor.page.goto(consultationUrl);

    // After submission the doctor adds one more image (the specialist asked for it); the specialist's open page
    // lists it as soon as it is READY (consultation:attachment-added), without a reload.
    await spec.page.getByRole("tab", { name: /影像与病例资料/ }).click();
    await doctor.page.getByRole("tab", { name: /影像与病例资料/ }).click();
    await doctor.page.locator('input[type="file"]').setInputFiles(makeDicom());
    await doctor.page.locator('[data-testid="upload-card"][data-status="READY"]').nth(1).waitFor({ timeout: 60_000 });
    await spec.page.getByRole("tab", { name: "影像与病例资料（2）" }).waitFor({ timeout: 15_000 });
    await spec.page.locator('[data-testid="upload-card"]').nth(1).waitFor();
    // The specialist opens the room (which starts the consultation), then the doctor joins.
    await spec.page.getByTestId("enter-room").click();
    await spec.page.getByText("已连接").waitFor({ timeout: 20_000 });
    await doctor.page.getByTestId("enter-room").click();
    const decoding = (p: Page) =>
      p.waitForFunction(
        () => {
          const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-tile"] video');
          return (
            !!v && v.readyState >= 2 && v.videoWidth > 0 && (v.getVideoPlaybackQuality?.().totalVideoFrames ?? 1) > 0
          );
        },
        undefined,
        { timeout: 30_000 },
      );
    await Promise.all([decoding(doctor.page), decoding(spec.page)]).catch(async (e) => {
      await screenshot(doctor.page, "failed-video-doctor");
      await screenshot(spec.page, "failed-video-specialist");
      throw e;
    });
    await spec.page.getByRole("textbox", { name: "聊天消息" }).fill("您好，我是心内科金静，请介绍一下患者情况。");
    await spec.page.keyboard.press("Enter");
    await doctor.page.getByTestId("chat-message").filter({ hasText: "请介绍一下患者情况" }).waitFor();
    await doctor.page.getByText("网络良好").or(doctor.page.getByText("网络一般")).first().waitFor({ timeout: 15_000 });
    await screenshot(doctor.page, "video-room-doctor");
    expect(await horizontalOverflow(doctor.page)).toBeLessThanOrEqual(0);

    // The specialist writes and signs the report beside the call.
    await spec.page.getByRole("tab", { name: "会诊报告" }).click();
    await spec.page.locator("#report-impression").fill("考虑不稳定型心绞痛，建议尽快上转行冠状动脉造影。");
    await screenshot(spec.page, "video-room-specialist");
    await spec.page.getByTestId("sign-report").click();
    await spec.page.getByTestId("report-impression").waitFor();

    // The doctor sees the signed report and downloads the PDF.
    await doctor.page.getByRole("button", { name: "离开" }).click();
    await doctor.page.waitForURL(/\/consultations\/[0-9a-f-]{36}$/);
    await doctor.page.locator('[data-status="REPORTED"]').first().waitFor();
    expect(await doctor.page.getByTestId("report-impression").innerText()).toContain("不稳定型心绞痛");
    const [download] = await Promise.all([
      doctor.page.waitForEvent("download"),
      doctor.page.getByTestId("download-pdf").click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    const pdf = await download.path();
    expect((await import("node:fs")).readFileSync(pdf).subarray(0, 4).toString()).toBe("%PDF");
    await screenshot(doctor.page, "consultation-reported");
    expect(await untranslated(doctor.page)).toEqual([]);

    // The doctor refers the patient up as advised, then records the decision taken (→ CLOSED).
    await doctor.page.getByLabel("转诊原因").fill("需行冠状动脉造影，本院无条件");
    await doctor.page.getByRole("button", { name: "提交转诊申请" }).click();
    await doctor.page.getByText(/已提交转诊申请 \S+/).waitFor();
    await doctor.page.getByLabel("处置决定").fill("已按会诊意见安排上转，继续双联抗血小板治疗。");
    await doctor.page.getByRole("button", { name: "记录处置决定" }).click();
    await doctor.page.locator('[data-status="CLOSED"]').first().waitFor();
    await doctor.page.getByRole("tab", { name: "流转记录" }).click();
    await doctor.page.getByTestId("timeline").getByText("已结束").waitFor();

    // The province administrator recomputes this month and sees the consultation in the figures.
    const admin = await tab();
    await loginUi(admin.page, "province.admin");
    await nav(admin.page, "统计分析");
    await admin.page.getByTestId("trend-chart").locator("canvas").waitFor();
    await admin.page.getByRole("button", { name: "重新统计本月" }).click();
    await admin.page.getByText("已提交重新统计本月").waitFor();
    const kpi = admin.page.getByTestId("kpi-consultations").locator(".ant-statistic-content-value");
    for (let i = 0; i < 40; i++) {
      await admin.page.getByRole("button", { name: /刷\s?新/ }).click();
      await admin.page.waitForTimeout(500);
      if (Number((await kpi.innerText()).replace(/,/g, "")) >= 1) break;
    }
    expect(Number((await kpi.innerText()).replace(/,/g, ""))).toBeGreaterThanOrEqual(1);
    await admin.page.locator(".ant-table-row").first().waitFor();
    await screenshot(admin.page, "statistics");
    expect(await horizontalOverflow(admin.page)).toBeLessThanOrEqual(0);
  });

  it("a doctor of another institution gets 未找到 for that consultation's URL", async () => {
    expect(consultationUrl).not.toBe("");
    const { page } = await tab();
    await loginUi(page, "doctor.nongan");
    await page.goto(consultationUrl);
    await page.getByText("未找到").waitFor();
    await page.getByText("不在您的查看范围内").waitFor();
    expect(await page.getByText("王五").count()).toBe(0);
    await screenshot(page, "not-found");
  });

  it("an expired session returns to the login and keeps the half-filled request", async () => {
    const { page } = await tab();
    await loginUi(page, "doctor.hadashan");
    await nav(page, "发起会诊");
    await page.locator("#patientName").fill("赵六");
    await pickDate(page, "#birthDate", "1971-09-30");
    await page.locator("#recordNumber").fill("MZ-20261123-77");
    // The session ends (tokens no longer valid, refresh refused) while the doctor is typing.
    await page.evaluate(() => {
      const s = JSON.parse(sessionStorage.getItem("yilian.session")!);
      sessionStorage.setItem(
        "yilian.session",
        JSON.stringify({
          ...s,
          accessToken: "expired.token.value",
          refreshToken: "revoked-refresh-token",
          expiresAt: Date.now() - 1000,
        }),
      );
    });
    await page.getByRole("button", { name: "保存草稿并继续" }).click();
    await page.waitForURL(/\/login$/);
    await page.getByTestId("expired-notice").waitFor();
    await screenshot(page, "login-expired");
    await loginUi(page, "doctor.hadashan");
    await page.waitForURL(/\/consultations\/new$/);
    expect(await page.locator("#patientName").inputValue()).toBe("赵六");
    expect(await page.locator("#recordNumber").inputValue()).toBe("MZ-20261123-77");
    expect(await page.locator("#birthDate").inputValue()).toBe("1971-09-30");
    await page.getByRole("button", { name: "保存草稿并继续" }).click();
    await page.locator("#chiefComplaint").waitFor();
  });
});
