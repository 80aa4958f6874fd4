// PostgreSQL crashing and coming back under a running server (a private PostgreSQL: the machine's own serves every
// other suite). While it is down, users get a clear 503 with a retry hint — never a 500 or a half-written record —
// and their live connections stay up; once it is back, the same requests work without restarting anything.
import { startPrivatePostgres, type PrivatePostgres } from "../helpers/postgres";
import { startTestServer, type TestServer } from "../helpers/server";
import { draftBody, openSocket, type ClientSocket } from "../consultations/helpers";
import { waitFor } from "../worker/helpers";

jest.setTimeout(120_000);

let pg: PrivatePostgres;
let t: TestServer;
let socket: ClientSocket | undefined;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  // The seeded test database, copied over.
  const databaseUrl = pg.copyFrom(process.env.DATABASE_URL!, "yilian");
  t = await startTestServer({ DATABASE_URL: databaseUrl });
}, 120_000);

afterAll(async () => {
  socket?.disconnect();
  await t?.stop();
  await pg?.stop();
});

test("PostgreSQL crashes and restarts: 503 with a retry hint meanwhile, connections stay up, then everything works again", async () => {
  const doctor = await t.login("doctor.hadashan");
  const list = () => t.api("/api/consultations", { token: doctor.accessToken });
  expect((await list()).status).toBe(200);
  socket = await openSocket(t.baseUrl, doctor.accessToken);
  const drafts = async () => (await list()).body.total as number;
  const before = await drafts();

  await pg.crash();
  const down = await list();
  expect(down.status).toBe(503);
  expect(down.headers.get("content-type")).toContain("application/problem+json");
  expect(down.body).toMatchObject({ code: "UNAVAILABLE", status: 503 });
  expect(down.headers.get("retry-after")).toBe("5");
  const write = await t.api("/api/consultations", { token: doctor.accessToken, body: draftBody() });
  expect(write.status).toBe(503);
  expect((await t.api("/api/auth/login", { body: { username: "doctor.hadashan", password: "x" } })).status).toBe(503);
  // Over the socket: a typed error on the ack, and the connection itself stays.
  const ack = await socket.timeout(10_000).emitWithAck("session:whoami");
  expect(ack).toMatchObject({ ok: false, error: { code: "UNAVAILABLE" } });
  expect(socket.connected).toBe(true);

  await pg.start();
  // The pool drops its dead connections and opens new ones: back without restarting the server.
  await waitFor(async () => (await list()).status === 200, 15_000);
  expect(await drafts()).toBe(before); // the draft refused during the outage was not half-written
  expect(await socket.timeout(10_000).emitWithAck("session:whoami")).toMatchObject({ ok: true });
  expect(socket.connected).toBe(true);
  expect((await t.api("/api/consultations", { token: doctor.accessToken, body: draftBody() })).status).toBe(201);
});
