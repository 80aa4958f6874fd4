// The consultation video room in the console, UI only, in the order that used to fail: the township doctor is
// in the room BEFORE the specialist (whose arrival starts the consultation). Both must see each other's camera
// decoding. Then recording with consent: the specialist starts it, the doctor sees 录制中 and consents, the
// specialist stops it and the recording's processing state shows in the consultation.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { createRedis } from "@yilian/server";
import { createStorage } from "@yilian/storage";
import { initRecording } from "../../worker/src/queues/recording";
import { testDb } from "../helpers/db";
import { createConsultationRoom } from "../media/fixtures";
import { consoleSuite, horizontalOverflow, loginUi, screenshot, untranslated } from "./helpers";

jest.setTimeout(240_000);

const storageDir = mkdtempSync(path.join(tmpdir(), "yilian-web-room-"));
process.env.STORAGE_DIR = storageDir;

/** The first remote tile's video is decoding: dimensions known, frames decoded and time advancing. */
async function remoteVideoDecoding(p: Page, timeout = 30_000): Promise<void> {
  await p.waitForFunction(
    () => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-tile"] video');
      return !!v && v.readyState >= 2 && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 0;
    },
    undefined,
    { timeout },
  );
  // Frames keep coming (not one frozen first frame): currentTime and decoded frames advance.
  const advancing = await p.evaluate(async () => {
    const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-tile"] video')!;
    const t0 = v.currentTime;
    const f0 = v.getVideoPlaybackQuality().totalVideoFrames;
    const callbacks = await new Promise<number>((resolve) => {
      let n = 0;
      const tick = () => {
        n++;
        if (n < 5) v.requestVideoFrameCallback(tick);
        else resolve(n);
      };
      v.requestVideoFrameCallback(tick);
      setTimeout(() => resolve(n), 5000);
    });
    return { dt: v.currentTime - t0, frames: v.getVideoPlaybackQuality().totalVideoFrames - f0, callbacks };
  });
  expect(advancing.dt).toBeGreaterThan(0);
  expect(advancing.frames).toBeGreaterThan(0);
  expect(advancing.callbacks).toBeGreaterThanOrEqual(5);
}

describe("consultation video room in the console", () => {
  let recWorker: Awaited<ReturnType<typeof initRecording>>;
  const connection = createRedis(process.env.REDIS_URL!);
  const web = consoleSuite({
    before: async () => {
      recWorker = await initRecording(
        { db: testDb(), storage: createStorage() },
        connection,
        `${process.env.REDIS_PREFIX}:bull`,
      );
    },
    after: async () => {
      await recWorker?.worker.close();
      await recWorker?.queue.close();
      connection.disconnect();
    },
  });
  const tab = () => web.tab();

  it("the doctor enters first, the specialist second: both see each other's video; recording with consent", async () => {
    const { consultationId } = await createConsultationRoom(testDb(), {
      requester: "doctor.hadashan",
      specialists: ["spec.youtian.1"],
    });
    const url = `/consultations/${consultationId}`;

    const doctor = await tab();
    await loginUi(doctor.page, "doctor.hadashan");
    await doctor.page.goto(url);
    await doctor.page.getByTestId("enter-room").click();
    await doctor.page.getByText("已连接").waitFor({ timeout: 20_000 });
    // The doctor is alone in the room, camera published, before the specialist arrives.
    await doctor.page.locator('[data-testid="local-tile"] video').waitFor();
    expect(await doctor.page.getByTestId("remote-tile").count()).toBe(0);

    const spec = await tab();
    await loginUi(spec.page, "spec.youtian.1");
    await spec.page.goto(url);
    await spec.page.getByTestId("enter-room").click();
    await spec.page.getByText("已连接").waitFor({ timeout: 20_000 });

    await Promise.all([remoteVideoDecoding(doctor.page), remoteVideoDecoding(spec.page)]).catch(async (e) => {
      await screenshot(doctor.page, "failed-video-room-doctor-first-doctor");
      await screenshot(spec.page, "failed-video-room-doctor-first-specialist");
      throw e;
    });
    // The specialist's arrival started the consultation; the doctor's page shows it without losing the video.
    await doctor.page.getByText("已连接 · 2 人").waitFor();
    await remoteVideoDecoding(doctor.page);
    await screenshot(doctor.page, "video-room-doctor-first");
    expect(await horizontalOverflow(doctor.page)).toBeLessThanOrEqual(0);
    expect(await untranslated(doctor.page)).toEqual([]);

    // Recording needs the patient's consent (confirmed by the specialist) and then everyone present.
    const indicator = (p: Page) => p.getByTestId("recording-indicator");
    expect(await indicator(doctor.page).getAttribute("data-state")).toBe("off");
    const ask = async () => {
      await spec.page.getByTestId("recording-start").click();
      const ok = spec.page.getByRole("button", { name: "征求同意并录制" });
      expect(await ok.isDisabled()).toBe(true);
      await spec.page.getByText("患者（或其监护人）已知情同意本次会诊录像").click();
      await ok.click();
      await spec.page.locator('[data-testid="recording-indicator"][data-state="asking"]').waitFor();
      await doctor.page.getByTestId("consent-prompt").waitFor({ timeout: 15_000 });
    };
    // First request: the doctor refuses, nothing is recorded and the specialist is told.
    await ask();
    expect(await doctor.page.getByTestId("consent-prompt").innerText()).toContain("请求录制本次视频会诊");
    await screenshot(doctor.page, "video-room-consent-prompt");
    expect(await untranslated(doctor.page)).toEqual([]);
    await doctor.page.getByTestId("consent-decline").click();
    await spec.page.getByText("不同意录像，本次未开始录制").waitFor();
    await spec.page.locator('[data-testid="recording-indicator"][data-state="off"]').waitFor();
    expect(await testDb().recording.count({ where: { subjectId: consultationId } })).toBe(0);

    // Second request: the doctor agrees, recording starts, both see 录制中; the recorder is not a participant tile.
    await ask();
    await doctor.page.getByTestId("consent-agree").click();
    for (const p of [doctor.page, spec.page]) {
      await p.locator('[data-testid="recording-indicator"][data-state="recording"]').waitFor({ timeout: 20_000 });
      expect(await indicator(p).innerText()).toContain("录制中");
    }
    await doctor.page.waitForTimeout(4000); // a few seconds of both cameras
    for (const p of [doctor.page, spec.page]) {
      expect(await p.getByTestId("remote-tile").count()).toBe(1);
      expect(await p.getByText("已连接 · 2 人").count()).toBe(1);
    }
    await remoteVideoDecoding(doctor.page);
    await screenshot(doctor.page, "video-room-recording-doctor");
    await screenshot(spec.page, "video-room-recording-specialist");
    for (const p of [doctor.page, spec.page]) {
      expect(await horizontalOverflow(p)).toBeLessThanOrEqual(0);
      expect(await untranslated(p)).toEqual([]);
    }
    const consents = await testDb().auditLog.findMany({
      where: { action: "recording.consent", entityId: consultationId },
      orderBy: { at: "asc" },
    });
    const doctorId = (await testDb().user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } })).id;
    expect(consents.map((a) => [a.actorId, (a.detail as { agree: boolean }).agree])).toEqual([
      [doctorId, false],
      [doctorId, true],
    ]);

    // Stop: both are told, the recording is processed into an MP4 and appears in the consultation.
    await spec.page.getByTestId("recording-stop").click();
    await doctor.page.locator('[data-testid="recording-indicator"][data-state="off"]').waitFor({ timeout: 20_000 });
    await spec.page.getByTestId("recording-processing").waitFor();
    await spec.page.locator('[data-testid="recording-processing"][data-state="READY"]').waitFor({ timeout: 150_000 });
    expect(await spec.page.getByTestId("recording-processing").innerText()).toContain("录像已处理完成");
    await screenshot(spec.page, "video-room-recording-ready");

    await doctor.page.getByRole("button", { name: "离开" }).click();
    await doctor.page.waitForURL(/\/consultations\/[0-9a-f-]{36}$/);
    const item = doctor.page.locator('[data-testid="recording-item"][data-status="READY"]');
    await item.waitFor({ timeout: 30_000 });
    expect(await item.innerText()).toContain("可回放");
    await item.getByRole("button", { name: "回放" }).click();
    await doctor.page.waitForFunction(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="recording-player"]');
      return !!v && v.readyState >= 1 && v.videoWidth > 0 && v.duration > 2;
    });
    await screenshot(doctor.page, "consultation-recording");
    expect(await untranslated(doctor.page)).toEqual([]);
  });
});
