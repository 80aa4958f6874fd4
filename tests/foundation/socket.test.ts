import { io as connect, type Socket } from "socket.io-client";
import type { Ack, ClientToServerEvents, Me, ServerToClientEvents } from "@yilian/contract";
import { rooms } from "@yilian/contract";
import { startTestServer, type TestServer } from "../helpers/server";

let t: TestServer;
const sockets: Socket[] = [];
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  sockets.forEach((s) => s.disconnect());
  await t.stop();
});

function open(token?: unknown): Socket<ServerToClientEvents, ClientToServerEvents> {
  const s = connect(t.baseUrl, {
    auth: token === undefined ? {} : { token },
    transports: ["websocket"],
    reconnection: false,
  });
  sockets.push(s);
  return s;
}

function connectError(s: Socket): Promise<{ message: string; data?: { code: string; message: string } }> {
  return new Promise((resolve, reject) => {
    s.once("connect", () => reject(new Error("connected unexpectedly")));
    s.once("connect_error", (e) => resolve(e as never));
  });
}

it("authenticates with the same access token as REST and answers typed acks", async () => {
  const pair = await t.login("doctor.hadashan");
  const s = open(pair.accessToken);
  await new Promise<void>((r) => s.once("connect", () => r()));
  const ack = await new Promise<Ack<Me>>((resolve) => s.emit("session:whoami", resolve));
  expect(ack).toEqual({ ok: true, data: expect.objectContaining({ username: "doctor.hadashan" }) });
});

it("joins the personal and institution rooms so notifications reach the user", async () => {
  const pair = await t.login("doctor.hadashan");
  const s = open(pair.accessToken);
  await new Promise<void>((r) => s.once("connect", () => r()));
  const got = new Promise((resolve) => s.once("notification", resolve));
  t.server.io
    .to(rooms.institution(pair.user.institution.id))
    .emit("notification", { id: "n1", type: "test", at: new Date().toISOString(), title: "测试通知" });
  await expect(got).resolves.toMatchObject({ id: "n1", title: "测试通知" });
});

it("refuses a missing, forged or revoked token with a typed error", async () => {
  expect((await connectError(open())).data).toMatchObject({ code: "UNAUTHENTICATED" });
  expect((await connectError(open("garbage.token.here"))).data).toMatchObject({ code: "TOKEN_INVALID" });
  expect((await connectError(open(12345))).data).toMatchObject({ code: "UNAUTHENTICATED" });
  const pair = await t.login("doctor.hadashan");
  await t.api("/api/auth/logout", { token: pair.accessToken, body: {} });
  const revoked = await connectError(open(pair.accessToken));
  expect(revoked.data).toMatchObject({ code: "TOKEN_REVOKED", message: expect.stringContaining("登录") });
});
