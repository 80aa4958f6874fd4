// With two server processes joined through Redis, an event raised on one reaches a client connected to the
// other: this jest process runs server A, a child process (tsx server/src/main.ts) runs server B.
import { startTestServer, type TestServer } from "../helpers/server";
import { startServerProcess, type ServerProcess } from "./helpers-process";
import { draftBody, nextEvent, openSocket, type ClientSocket } from "./helpers";

let a: TestServer;
let b: ServerProcess;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startTestServer(), startServerProcess()]);
}, 90_000);
afterAll(async () => {
  sockets.forEach((s) => s.disconnect());
  await Promise.all([a?.stop(), b?.stop()]);
});

it("delivers consultation events across server processes, both ways", async () => {
  const [doctor, coord] = await Promise.all([a.login("doctor.hadashan"), a.login("coord.youtian")]);
  // The coordinator is connected to B only; the doctor to A only.
  const sCoordOnB = await openSocket(b.url, coord.accessToken);
  const sDoctorOnA = await openSocket(a.baseUrl, doctor.accessToken);
  sockets.push(sCoordOnB, sDoctorOnA);

  const draft = await a.api("/api/consultations", {
    token: doctor.accessToken,
    body: draftBody({ targetInstitutionId: coord.user.institution.id }),
  });
  const queued = nextEvent(sCoordOnB, "consultation:queued", (e) => e.consultationId === draft.body.id);
  // Raised on A (REST call handled by A) ...
  expect(
    (await a.api(`/api/consultations/${draft.body.id}/submit`, { token: doctor.accessToken, body: {} })).status,
  ).toBe(200);
  // ... received by a client of B.
  expect(await queued).toMatchObject({ consultationId: draft.body.id, status: "SUBMITTED" });

  // And the other way: the coordinator acts through B, the doctor hears it on A.
  const returned = nextEvent(sDoctorOnA, "consultation:returned", (e) => e.consultationId === draft.body.id);
  const res = await fetch(`${b.url}/api/consultations/${draft.body.id}/return`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${coord.accessToken}` },
    body: JSON.stringify({ reason: "请补充检查报告" }),
  });
  expect(res.status).toBe(200);
  expect(await returned).toMatchObject({ status: "RETURNED", reason: "请补充检查报告" });
}, 60_000);
