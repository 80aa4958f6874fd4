// The PACS screen and the stack viewer in Chromium, UI only: the township doctor searches the institution's PACS
// (a real Orthanc), imports the CT, sees its progress and the series among the files, opens the stack viewer
// (dwv, loaded only then), scrolls slices, applies CT window presets and measures. The login page never loads dwv.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRedis } from "@yilian/server";
import { createStorage } from "@yilian/storage";
import { encryptCredential } from "../../server/src/pacs/credentials";
import { initPacsImports } from "../../worker/src/queues/pacs-imports";
import { LOOPBACK_PACS } from "../helpers/orthanc";
import { initUploads } from "../../worker/src/queues/uploads";
import { startTestPacs, type TestPacs } from "../helpers/orthanc";
import { testDb } from "../helpers/db";
import { makeConsultation, userId } from "../worker/helpers";
import { consoleSuite, loginUi, screenshot, untranslated } from "./helpers";

jest.setTimeout(180_000);

process.env.STORAGE_DIR = mkdtempSync(path.join(tmpdir(), "yilian-web-pacs-"));
process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-webpacs`;

const db = testDb();
const connection = createRedis(process.env.REDIS_URL!);
let pacs: TestPacs;
let workers: { worker: { close(): Promise<void> }; queue: { close(): Promise<void> } }[] = [];

const suite = consoleSuite({
  before: async () => {
    pacs = await startTestPacs();
    const prefix = `${process.env.REDIS_PREFIX}:bull`;
    const key = process.env.PATIENT_DATA_KEY!;
    workers = [
      await initPacsImports(
        { db, storage: createStorage(), keyB64: key, policy: LOOPBACK_PACS, maxStudyBytes: 1 << 30 },
        connection,
        prefix,
      ),
      await initUploads({ db, storage: createStorage() }, connection, prefix, { concurrency: 1 }),
    ];
    const doctor = await userId(db, "doctor.hadashan");
    const data = {
      name: "哈达山卫生院 PACS",
      baseUrl: pacs.orthanc.dicomWebUrl,
      usernameEnc: encryptCredential("pacs", key),
      passwordEnc: encryptCredential("pacs-test-password", key),
    };
    await db.pacsConnection.upsert({
      where: { institutionId: doctor.institutionId },
      create: { institutionId: doctor.institutionId, createdById: doctor.id, ...data },
      update: data,
    });
  },
  after: async () => {
    for (const w of workers) {
      await w.worker.close();
      await w.queue.close();
    }
    // The Orthanc stops with this file: its registration goes too (later files share the database copy).
    await db.pacsConnection.deleteMany({ where: { name: "哈达山卫生院 PACS" } });
    await pacs?.stop();
    connection.disconnect();
  },
});

it("searches the PACS, imports the CT and browses it slice by slice with window presets and a measurement", async () => {
  const consultationId = await makeConsultation(db);
  const { page } = await suite.tab();
  const chunks: string[] = [];
  page.on("request", (r) => chunks.push(r.url()));
  await page.goto("/login");
  await page.locator("#username").waitFor();
  expect(chunks.filter((u) => /StackViewer|dwv/i.test(u))).toEqual([]);
  await loginUi(page, "doctor.hadashan");
  await page.goto(`/consultations/${consultationId}`);
  await page.getByRole("tab", { name: /影像与病例资料/ }).click();
  await page.getByText("从本院 PACS 导入影像").click();
  const panel = page.getByTestId("pacs-import");
  await panel.getByLabel("患者 ID").fill("PACS-DEMO-0001");
  await page.getByTestId("pacs-search").click();
  await panel.getByText("胸部CT平扫").waitFor();
  await panel.locator(".ant-table-row .ant-checkbox-input").first().check();
  await page.getByTestId("pacs-import-start").click();
  await page.locator('[data-testid="pacs-import-row"][data-status="DONE"]').waitFor({ timeout: 60_000 });
  await page.getByTestId("series-card").first().waitFor();
  await screenshot(page, "pacs-import");
  expect(await untranslated(page)).toEqual([]);

  const opened = Date.now();
  await page.getByTestId("open-series").first().click();
  await page.locator('[data-testid="stack-viewer"][data-ready="1"]').waitFor({ timeout: 30_000 });
  const firstImageMs = Date.now() - opened;
  expect(chunks.some((u) => /StackViewer/.test(u))).toBe(true);
  const indicator = page.getByTestId("slice-indicator");
  await expect(indicator.textContent()).resolves.toMatch(/第 \d+ \/ 6 层/);
  const before = await indicator.textContent();
  await page
    .getByRole("button", { name: "下一层" })
    .click()
    .catch(async () => page.getByRole("button", { name: "上一层" }).click());
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid="slice-indicator"]')?.textContent !== t,
    before,
  );
  for (const p of ["lung", "mediastinum", "bone", "brain"]) await page.getByTestId(`preset-${p}`).click();
  // A distance measurement: the ruler draws a labelled line (dwv's Konva layer) on the image.
  await page.getByText("测距", { exact: true }).click();
  const canvas = page.locator('[data-testid="stack-viewer"] canvas').first();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 8 });
  await page.mouse.up();
  await screenshot(page, "pacs-stack-viewer");
  console.log(JSON.stringify({ viewer_first_image_ms: firstImageMs }));
});
