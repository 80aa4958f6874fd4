// Two-way referral from a report, and the upper hospital's reserved referral slots (预留号源).
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { draftBody, plusMinutes, shanghaiAt } from "./helpers";

let t: TestServer;
type Pair = Awaited<ReturnType<TestServer["login"]>>;
let doctor: Pair, coord: Pair, spec: Pair, admin: Pair;

beforeAll(async () => {
  t = await startTestServer();
  [doctor, coord, spec, admin] = (await Promise.all(
    ["doctor.hadashan", "coord.youtian", "spec.youtian.1", "admin.youtian"].map((u) => t.login(u)),
  )) as [Pair, Pair, Pair, Pair];
});
afterAll(async () => {
  // The 50 % reserved share leaves with this suite: later suites in the same database book this hospital's
  // specialists and expect the default share.
  await testDb().schedulingPolicy.deleteMany({ where: { institutionId: coord.user.institution.id } });
  await closeTestDb();
  await t.stop();
});

async function reportedReading() {
  const d = await t.api("/api/consultations", {
    token: doctor.accessToken,
    body: draftBody({ kind: "ECG_READING", targetInstitutionId: coord.user.institution.id }),
  });
  await t.api(`/api/consultations/${d.body.id}/submit`, { token: doctor.accessToken, body: {} });
  await t.api(`/api/consultations/${d.body.id}/accept`, {
    token: coord.accessToken,
    body: { specialistIds: [spec.user.id] },
  });
  // A reading needs no meeting: writing the report starts it.
  const w = await t.api(`/api/consultations/${d.body.id}/report`, {
    token: spec.accessToken,
    method: "PUT",
    body: { impression: "持续性房颤，建议上级医院电生理评估。", referralAdvice: "UP" },
  });
  expect(w.body.status).toBe("IN_PROGRESS");
  const s = await t.api(`/api/consultations/${d.body.id}/report/sign`, { token: spec.accessToken, body: {} });
  expect(s.body.status).toBe("REPORTED");
  return d.body.id as string;
}

it("refers a patient UP from a report: REQUESTED → ACCEPTED → booked on a reserved slot → ARRIVED", async () => {
  const consultationId = await reportedReading();
  const ref = await t.api("/api/referrals", {
    token: doctor.accessToken,
    body: {
      direction: "UP",
      toInstitutionId: coord.user.institution.id,
      consultationId,
      reason: "需电生理检查及射频消融评估",
    },
  });
  expect(ref.status).toBe(201);
  expect(ref.body).toMatchObject({
    status: "REQUESTED",
    direction: "UP",
    patient: { name: "王秀英", idNumberMasked: expect.stringContaining("****") },
  });
  expect(
    (await t.api(`/api/referrals/${ref.body.id}`, { token: (await t.login("doctor.nongan")).accessToken })).status,
  ).toBe(404);
  expect((await t.api(`/api/referrals/${ref.body.id}/arrive`, { token: coord.accessToken, body: {} })).status).toBe(
    409,
  );
  expect(
    (await t.api(`/api/referrals/${ref.body.id}/accept`, { token: coord.accessToken, body: {} })).body.status,
  ).toBe("ACCEPTED");

  // Half of the upper hospital's slots reserved for referred patients (default 20 %).
  expect(
    (
      await t.api(`/api/institutions/${coord.user.institution.id}/scheduling-policy`, {
        token: admin.accessToken,
        method: "PUT",
        body: { reservedReferralShare: 0.5 },
      })
    ).status,
  ).toBe(200);
  expect(
    (
      await t.api(`/api/institutions/${coord.user.institution.id}/scheduling-policy`, {
        token: doctor.accessToken,
        method: "PUT",
        body: { reservedReferralShare: 0.5 },
      })
    ).status,
  ).toBe(404);
  const start = shanghaiAt(15, 8);
  await t.api(`/api/specialists/${spec.user.id}/availability/windows`, {
    token: spec.accessToken,
    body: { kind: "OPEN", startsAt: start, endsAt: plusMinutes(start, 120), slotMinutes: 30 },
  });
  const q = `/api/slots?specialtyCode=CARDIOLOGY&specialistId=${spec.user.id}&from=${encodeURIComponent(start)}&days=1`;
  const open = await t.api(q, { token: doctor.accessToken });
  const all = await t.api(`${q}&includeReserved=true`, { token: doctor.accessToken });
  const reserved = all.body.items
    .filter((s: { reserved: boolean }) => s.reserved)
    .map((s: { startsAt: string }) => s.startsAt);
  expect(reserved).toEqual([plusMinutes(start, 30), plusMinutes(start, 90)]);
  expect(open.body.items.map((s: { startsAt: string }) => s.startsAt)).toEqual([start, plusMinutes(start, 60)]);

  // A consultation may not take a reserved slot ...
  const d = await t.api("/api/consultations", {
    token: doctor.accessToken,
    body: draftBody({ kind: "SINGLE_SPECIALIST", targetInstitutionId: coord.user.institution.id }),
  });
  await t.api(`/api/consultations/${d.body.id}/submit`, { token: doctor.accessToken, body: {} });
  await t.api(`/api/consultations/${d.body.id}/accept`, {
    token: coord.accessToken,
    body: { specialistIds: [spec.user.id] },
  });
  const taken = await t.api(`/api/consultations/${d.body.id}/booking`, {
    token: coord.accessToken,
    body: { startsAt: plusMinutes(start, 30) },
  });
  expect(taken.status).toBe(409);
  expect(taken.body.detail).toContain("转诊");
  // ... a referred patient may.
  const b = await t.api(`/api/referrals/${ref.body.id}/booking`, {
    token: coord.accessToken,
    body: { specialistId: spec.user.id, startsAt: plusMinutes(start, 30) },
  });
  expect(b.status).toBe(201);
  expect(b.body).toMatchObject({ reservedSlot: true, startsAt: plusMinutes(start, 30) });
  expect(
    (await t.api(`/api/referrals/${ref.body.id}/arrive`, { token: coord.accessToken, body: {} })).body,
  ).toMatchObject({ status: "ARRIVED", arrivedAt: expect.any(String) });
});

it("refers DOWN to a linked lower institution only, and declines need a reason", async () => {
  const down = await t.api("/api/referrals", {
    token: spec.accessToken,
    body: {
      direction: "DOWN",
      toInstitutionId: doctor.user.institution.id,
      patient: { name: "李建国", sex: "MALE", birthDate: "1948-07-02" },
      reason: "术后病情稳定，转回基层康复",
      clinicalSummary: "PCI 术后第 5 天。",
    },
  });
  expect(down.status).toBe(201);
  // The township doctor receives the patient referred down (no coordinator at a township centre).
  expect(
    (await t.api(`/api/referrals/${down.body.id}/accept`, { token: doctor.accessToken, body: {} })).body.status,
  ).toBe("ACCEPTED");
  expect(
    (await t.api(`/api/referrals/${down.body.id}/arrive`, { token: doctor.accessToken, body: {} })).body.status,
  ).toBe("ARRIVED");
  const changchun = await t.api("/api/institutions?q=" + encodeURIComponent("长春市中心医院"), {
    token: doctor.accessToken,
  });
  const bad = await t.api("/api/referrals", {
    token: doctor.accessToken,
    body: {
      direction: "UP",
      toInstitutionId: changchun.body.items[0].id,
      patient: { name: "李建国", sex: "MALE", birthDate: "1948-07-02" },
      reason: "上转",
    },
  });
  expect(bad.status).toBe(400);
  const up = await t.api("/api/referrals", {
    token: doctor.accessToken,
    body: {
      direction: "UP",
      toInstitutionId: coord.user.institution.id,
      patient: { name: "赵敏", sex: "FEMALE", birthDate: "1980-02-02" },
      reason: "疑似急性胆囊炎",
    },
  });
  expect((await t.api(`/api/referrals/${up.body.id}/decline`, { token: coord.accessToken, body: {} })).status).toBe(
    400,
  );
  const declined = await t.api(`/api/referrals/${up.body.id}/decline`, {
    token: coord.accessToken,
    body: { reason: "本院床位已满，建议转省级医院" },
  });
  expect(declined.body).toMatchObject({ status: "DECLINED", declineReason: "本院床位已满，建议转省级医院" });
});
