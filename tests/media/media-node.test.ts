// MEDIA_IN_PROCESS=false: a separate media node process (media/src/main.ts) registers in Redis, and the server
// runs its rooms there — same signalling, same answers.
import { spawn, type ChildProcess } from "node:child_process";
import { io as connect, type Socket } from "socket.io-client";
import type {
  Ack,
  ClientToServerEvents,
  MediaJoinResult,
  MediaTransportInfo,
  ServerToClientEvents,
} from "@yilian/contract";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { createConsultationRoom } from "./fixtures";

type S = Socket<ServerToClientEvents, ClientToServerEvents>;
const prefix = `${process.env.REDIS_PREFIX}-node-${process.pid}`;
let node: ChildProcess;
let t: TestServer;
let s: S | undefined;

beforeAll(async () => {
  node = spawn(process.execPath, ["--import", "tsx", "media/src/main.ts"], {
    env: {
      ...process.env,
      REDIS_PREFIX: prefix,
      MEDIA_NODE_ID: "node-test",
      MEDIA_WORKERS: "1",
      MEDIA_WEBRTC_PORT: "0",
      MEDIA_NODE_HEARTBEAT_MS: "1000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("media node did not start")), 20_000);
    node.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    node.once("exit", (code) => reject(new Error(`media node exited ${code}`)));
  });
  t = await startTestServer({ MEDIA_IN_PROCESS: "false", REDIS_PREFIX: prefix });
});

afterAll(async () => {
  s?.disconnect();
  await t?.stop();
  await new Promise<void>((resolve) => {
    if (node.exitCode !== null) return resolve();
    node.once("exit", () => resolve());
    node.kill("SIGTERM");
  });
  await closeTestDb();
});

const req = <T>(sock: S, event: string, ...payload: unknown[]) =>
  new Promise<Ack<T>>((resolve) => (sock.emit as (...a: unknown[]) => void)(event, ...payload, resolve));

it("runs the room on the media node and answers through the same signalling", async () => {
  const { consultationId } = await createConsultationRoom(testDb(), {
    requester: "doctor.hadashan",
    specialists: ["spec.youtian.1"],
  });
  const { accessToken } = await t.login("doctor.hadashan");
  s = connect(t.baseUrl, { auth: { token: accessToken }, transports: ["websocket"], reconnection: false });
  await new Promise<void>((r) => s!.once("connect", () => r()));
  expect(await req<MediaJoinResult>(s, "media:join", { kind: "consultation", roomId: consultationId })).toMatchObject({
    ok: true,
    data: { role: "REQUESTER" },
  });
  const transport = await req<MediaTransportInfo>(s, "media:createTransport", { direction: "recv" });
  expect(transport).toMatchObject({ ok: true, data: { id: expect.any(String) } });
  expect(await req(s, "media:resumeConsumer", { consumerId: "nope" })).toMatchObject({
    ok: false,
    error: { code: "NOT_FOUND" },
  });
  await new Promise((r) => setTimeout(r, 1200)); // the node's next heartbeat carries its load
  const load = await (await t.server.media.hub.media()).load();
  expect(load).toMatchObject({ nodeId: "node-test", rooms: 1, peers: 1 });
  expect(await req(s, "media:leave")).toEqual({ ok: true, data: null });
});
