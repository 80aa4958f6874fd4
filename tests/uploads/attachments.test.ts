// #16 "uploads vs attachments": the consultation's READY uploads are its attachments (one source of truth), files
// may still be added after submission (the specialist asks for more images), and the other participants are told.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { Emitter } from "@socket.io/redis-emitter";
import { createRedis, type EventSink } from "@yilian/server";
import { createStorage } from "@yilian/storage";
import { initUploads } from "../../worker/src/queues/uploads";
import { startTestServer, type TestServer } from "../helpers/server";
import { testDb, closeTestDb } from "../helpers/db";
import { makeConsultation, uploadFile, waitForFinal } from "../worker/helpers";
import { nextEvent, openSocket, type ClientSocket } from "../consultations/helpers";

process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX}-att`;
process.env.STORAGE_DIR = mkdtempSync(path.join(tmpdir(), "yilian-att-"));

const fx = mkdtempSync(path.join(tmpdir(), "yilian-att-fx-"));
let ts: TestServer;
let worker: Awaited<ReturnType<typeof initUploads>>;
const connection = createRedis(process.env.REDIS_URL!);
const db = testDb();
let sockets: ClientSocket[] = [];

beforeAll(async () => {
  execFileSync("/usr/bin/convert", ["-size", "320x240", "gradient:navy-white", "xray.jpg"], { cwd: fx });
  ts = await startTestServer();
  const sink = new Emitter(connection, { key: `${process.env.REDIS_PREFIX}:socket.io` }) as unknown as EventSink;
  worker = await initUploads({ db, storage: createStorage(), sink }, connection, `${process.env.REDIS_PREFIX}:bull`, {
    concurrency: 1,
  });
});

afterAll(async () => {
  sockets.forEach((s) => s.disconnect());
  await worker.worker.close();
  await worker.queue.close();
  await ts.stop();
  connection.disconnect();
  await closeTestDb();
});

it("lists every READY upload as an attachment, takes files after submission and tells the other participants", async () => {
  const consultationId = await makeConsultation(db); // SUBMITTED, doctor.hadashan requesting, spec.youtian.1 assigned
  const doctor = await ts.login("doctor.hadashan");
  const spec = await ts.login("spec.youtian.1");
  const sDoctor = await openSocket(ts.baseUrl, doctor.accessToken);
  const sSpec = await openSocket(ts.baseUrl, spec.accessToken);
  sockets = [sDoctor, sSpec];

  // The specialist adds an image after submission: accepted, processed, and the requesting doctor is told.
  const told = nextEvent(sDoctor, "consultation:attachment-added", (e) => e.consultationId === consultationId, 30_000);
  let specTold = false;
  sSpec.on("consultation:attachment-added", () => void (specTold = true));
  const up = await uploadFile(ts.baseUrl, spec.accessToken, consultationId, path.join(fx, "xray.jpg"), "补充胸片.jpg");
  expect(up.status).toBe(202);
  expect((await waitForFinal(db, up.body.id)).status).toBe("READY");
  const event = await told;
  expect(event).toMatchObject({ consultationId, uploadId: up.body.id, actorId: spec.user.id, status: "SUBMITTED" });
  expect(specTold).toBe(false); // the uploader is not told about their own file

  const detail = await ts.api(`/api/consultations/${consultationId}`, { token: doctor.accessToken });
  expect(detail.status).toBe(200);
  expect(detail.body.attachments).toEqual([
    expect.objectContaining({ uploadId: up.body.id, originalName: "补充胸片.jpg", kind: "JPEG" }),
  ]);
  const seen = await ts.api(`/api/consultations/${consultationId}`, { token: spec.accessToken });
  expect(seen.body.attachments).toHaveLength(1);
}, 60_000);
