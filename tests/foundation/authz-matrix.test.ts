// Issue 12: the authorisation matrix, generated from /openapi.json. Every operation is called by every principal
// of the demo network — each role at the subject's own institution, in the same city and in another city, plus no
// token — against a fresh subject (consultation, user, upload, recording, session...) of 松原吉林油田医院, and
// must answer what the table below says: allowed (past authorisation), 401, 403 or 404. Any other answer fails,
// an unexpected 2xx above all. A new operation without a row fails too, so new routes join the matrix.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createStorage } from "@yilian/storage";
import { startTestServer, type TestServer } from "../helpers/server";
import { closeTestDb, testDb } from "../helpers/db";
import { draftBody, plusMinutes, shanghaiAt } from "../consultations/helpers";

/** The callers. "own" is the subject's institution (松原吉林油田医院), "region" another institution of 松原市, "other" 长春市. */
const WHO = [
  "anon",
  "doctor.requester",
  "doctor.own",
  "doctor.other",
  "specialist.assigned",
  "specialist.own",
  "specialist.other",
  "coordinator.own",
  "coordinator.other",
  "lecturer.own",
  "instadmin.own",
  "instadmin.region",
  "instadmin.other",
  "regionadmin.own",
  "regionadmin.other",
  "provinceadmin",
] as const;
type Who = (typeof WHO)[number];

/** allow: got past authorisation (any answer but 401/403/404 and never ≥ 500); 200: exactly that list answer. */
type Answer = "allow" | 401 | 403 | 404;

interface Subject {
  /** Values for the path's {params}. */
  params: Record<string, string>;
  query?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Row {
  /** Who gets past authorisation; everyone else (signed in) gets `deny`. */
  allow: readonly Who[] | "everyone";
  /** The answer for the signed-in callers not allowed; default 404 (someone else's record does not exist). */
  deny?: 403 | 404;
  /** Exceptions to allow/deny, per caller. */
  except?: Partial<Record<Who, Answer>>;
  /** Callers who can see the subject but may not do this: 403 instead of the default deny. */
  readers?: readonly Who[];
  /** A fresh subject for every allowed caller (the first one's change would otherwise answer the next 404/409). */
  fresh?: boolean;
  /** A fresh subject for this operation (default: none). */
  subject?: () => Promise<Subject>;
  /** Public operations: everyone including anon gets this one answer. */
  public?: number;
  /** Lists: a record only `seenBy` may see; it must not appear in anybody else's answer. */
  hides?: { make: () => Promise<string>; seenBy: readonly Who[] };
}

let t: TestServer;
const db = testDb();
const matrixStartedAt = new Date();
const tokens = new Map<Who, string>();
const ids = {} as Record<
  | "youtian"
  | "hadashan"
  | "songyuanCity"
  | "consortium"
  | "specialist"
  | "specialist2"
  | "coordinator"
  | "lecturer"
  | "requester",
  string
>;

async function loginAll() {
  const names = await principals();
  for (const [who, username] of Object.entries(names) as [Who, string][])
    tokens.set(who, (await t.login(username)).accessToken);
}

async function principals(): Promise<Record<Exclude<Who, "anon">, string>> {
  const youtian = await db.institution.findFirstOrThrow({ where: { name: "松原吉林油田医院" } });
  const changchun = await db.region.findFirstOrThrow({ where: { name: "长春市", kind: "CITY" } });
  const first = async (where: Parameters<typeof db.user.findFirst>[0]) =>
    (await db.user.findFirstOrThrow({ ...where, orderBy: { username: "asc" } })).username;
  return {
    "doctor.requester": "doctor.hadashan",
    "doctor.own": await first({
      where: {
        institutionId: youtian.id,
        roles: { has: "DOCTOR" },
        active: true,
        NOT: { roles: { hasSome: ["COORDINATOR", "INSTITUTION_ADMIN", "SPECIALIST"] } },
      },
    }),
    "doctor.other": "doctor.nongan",
    "specialist.assigned": "spec.youtian.1",
    "specialist.own": "spec.youtian.2",
    "specialist.other": "spec.jdyy.1",
    "coordinator.own": "coord.youtian",
    "coordinator.other": "coord.jdyy",
    "lecturer.own": await first({ where: { institutionId: youtian.id, roles: { has: "LECTURER" }, active: true } }),
    "instadmin.own": "admin.youtian",
    // Townships have no administrator of their own: a county hospital's, in the same city.
    "instadmin.region": await first({
      where: {
        institution: { cityId: youtian.cityId, tier: "COUNTY" },
        roles: { has: "INSTITUTION_ADMIN" },
        active: true,
      },
    }),
    "instadmin.other": await first({
      where: { institution: { cityId: changchun.id, tier: "CITY" }, roles: { has: "INSTITUTION_ADMIN" }, active: true },
    }),
    "regionadmin.own": "region.songyuan",
    "regionadmin.other": "region.changchun",
    provinceadmin: "province.admin",
  };
}

const token = (who: Who) => tokens.get(who)!;
const api = (who: Who, p: string, opts: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  t.api(p, { ...opts, token: who === "anon" ? undefined : token(who) });
async function ok(r: Promise<{ status: number; body: any }>, status = [200, 201, 204]) {
  const res = await r;
  if (!status.includes(res.status)) throw new Error(`fixture: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

// ------------------------------------------------------------------------------------------- subjects
// Each operation gets its own subject, so an allowed caller changing it cannot spoil the next operation's cells.

// From 200 days out: other suites book fixed days within the next two months, and they share a database copy.
let day = 200;
/** A consultation from 哈达山卫生院 to 松原吉林油田医院, brought to `state`. */
async function consultation(
  state: "DRAFT" | "SUBMITTED" | "ACCEPTED" | "SCHEDULED" | "IN_PROGRESS" | "REPORTED" = "ACCEPTED",
) {
  const c = await ok(
    api("doctor.requester", "/api/consultations", { body: draftBody({ targetInstitutionId: ids.youtian }) }),
  );
  if (state === "DRAFT") return c as { id: string; version: number };
  await ok(api("doctor.requester", `/api/consultations/${c.id}/submit`, { body: {} }));
  if (state === "SUBMITTED") return c;
  await ok(api("coordinator.own", `/api/consultations/${c.id}/accept`, { body: { specialistIds: [ids.specialist] } }));
  if (state === "ACCEPTED") return c;
  const start = shanghaiAt(day++, 9);
  await ok(
    api("coordinator.own", `/api/specialists/${ids.specialist}/availability/windows`, {
      body: { kind: "OPEN", startsAt: start, endsAt: plusMinutes(start, 60), slotMinutes: 30 },
    }),
  );
  await ok(api("coordinator.own", `/api/consultations/${c.id}/booking`, { body: { startsAt: start } }));
  if (state === "SCHEDULED") return c;
  if (!(await t.server.consultations.markStarted(c.id, ids.specialist)))
    throw new Error("fixture: the consultation did not start");
  if (state === "IN_PROGRESS") return c;
  await ok(
    api("specialist.assigned", `/api/consultations/${c.id}/report`, {
      method: "PUT",
      body: { impression: "考虑慢性心力衰竭急性加重。" },
    }),
  );
  await ok(api("specialist.assigned", `/api/consultations/${c.id}/report/sign`, { body: {} }));
  return c;
}
const onConsultation = (state?: Parameters<typeof consultation>[0], body?: unknown) => async (): Promise<Subject> => ({
  params: { id: (await consultation(state)).id },
  body,
});

let userSeq = 0;
async function youtianUser() {
  const u = await ok(
    api("instadmin.own", "/api/users", {
      body: {
        username: `t.matrix.${Date.now().toString(36)}.${userSeq++}`,
        displayName: "矩阵测试",
        password: "a-long-password-1",
        roles: ["DOCTOR"],
        institutionId: ids.youtian,
      },
    }),
  );
  return u.id as string;
}

const storage = createStorage();
async function stored(key: string, bytes: Buffer) {
  const file = path.join(tmpdir(), `matrix-${process.pid}-${key.replace(/\W/g, "_")}`);
  writeFileSync(file, bytes);
  await storage.putFile(key, file, { move: true });
  return key;
}
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
  "hex",
);

async function upload() {
  const c = await consultation();
  const requester = await db.user.findUniqueOrThrow({ where: { id: ids.requester } });
  const key = await stored(`matrix/${c.id}/ecg.png`, PNG);
  const u = await db.upload.create({
    data: {
      consultationId: c.id,
      uploaderId: requester.id,
      uploaderInstitutionId: requester.institutionId,
      originalName: "心电图.png",
      kind: "PNG",
      category: "CASE",
      mime: "image/png",
      sizeBytes: BigInt(PNG.length),
      sha256: "0".repeat(64),
      status: "READY",
      storageKey: key,
      previewKey: key,
    },
  });
  return { params: { id: u.id, consultationId: c.id } };
}

async function recording() {
  const c = await consultation("IN_PROGRESS");
  const key = await stored(`matrix/${c.id}/rec.mp4`, Buffer.alloc(64));
  const poster = await stored(`matrix/${c.id}/rec.jpg`, Buffer.alloc(64));
  const r = await db.recording.create({
    data: {
      subject: "CONSULTATION",
      subjectId: c.id,
      institutionId: ids.youtian,
      startedById: ids.specialist,
      consentRecorded: true,
      status: "READY",
      stoppedAt: new Date(),
      durationMs: 1000,
      sizeBytes: 64n,
      storageKey: key,
      posterKey: poster,
    },
  });
  return { params: { id: r.id }, query: `subject=CONSULTATION&subjectId=${c.id}` };
}

async function training(opts: { registered?: readonly Who[] } = {}) {
  const start = shanghaiAt(day++, 14);
  const s = await ok(
    api("lecturer.own", "/api/training/sessions", {
      body: {
        title: "矩阵测试培训",
        startsAt: start,
        endsAt: plusMinutes(start, 60),
        audience: [{ kind: "INSTITUTION", institutionId: ids.youtian }],
      },
    }),
  );
  for (const who of opts.registered ?? [])
    await ok(api(who, `/api/training/sessions/${s.id}/registration`, { method: "POST" }));
  return { params: { id: s.id as string } };
}

async function referral(accepted = false) {
  const r = await ok(
    api("doctor.requester", "/api/referrals", {
      body: {
        direction: "UP",
        toInstitutionId: ids.youtian,
        patient: draftBody().patient,
        reason: "需上级医院进一步诊治",
      },
    }),
  );
  if (accepted) await ok(api("coordinator.own", `/api/referrals/${r.id}/accept`, { body: {} }));
  return { params: { id: r.id as string } };
}

const b64 = (v: string) => Buffer.from(v).toString("base64");
const tusCreation = (consultationId: string) => ({
  "tus-resumable": "1.0.0",
  "upload-length": String(PNG.length),
  "upload-metadata": `consultationId ${b64(consultationId)},filename ${b64("心电图.png")},filetype ${b64("image/png")}`,
});

let ruleSeq = 0;
const PACS = { name: "矩阵测试 PACS", baseUrl: "http://203.0.113.10/dicom-web" }; // TEST-NET-3: public, never contacted

/** A weekly window no other one overlaps, valid from 2030 on (out of other tests' slot searches). */
const ruleBody = () => {
  // Half-hour windows before 06:00, apart from the rules other suites leave (they share a database copy with this
  // one); afterAll removes them again.
  const n = ruleSeq++;
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  const start = 30 * Math.floor(n / 7);
  if (start >= 6 * 60) throw new Error("authz matrix: more availability rules than early-morning half hours");
  return { weekday: 1 + (n % 7), start: hhmm(start), end: hhmm(start + 30), slotMinutes: 30, validFrom: "2030-01-01" };
};
const windowBody = () => {
  const start = shanghaiAt(day++, 15);
  return { kind: "OPEN", startsAt: start, endsAt: plusMinutes(start, 60), slotMinutes: 30 };
};

// ------------------------------------------------------------------------------------------- the table

const ADMINS_OF_SCOPE = ["instadmin.own", "regionadmin.own", "provinceadmin"] as const;
/** Coordinators read their institution's directory: they assign its specialists. */
const USER_READERS = ["coordinator.own", ...ADMINS_OF_SCOPE] as const;
const RECEIVERS = ["coordinator.own", "specialist.assigned"] as const;
/** Who reads a consultation from 哈达山 to 油田 (participants and the administrators of either end). */
const CONSULTATION_READERS = [
  "doctor.requester",
  ...RECEIVERS,
  "instadmin.own",
  "regionadmin.own",
  "provinceadmin",
] as const;
/** Before acceptance nobody is assigned yet. */
const SUBMITTED_READERS = CONSULTATION_READERS.filter((w) => w !== "specialist.assigned");
/** Who reads a referral from 哈达山 to 油田. */
const REFERRAL_READERS = ["doctor.requester", "coordinator.own", "instadmin.own", "provinceadmin"] as const;
/** The receiving institution's coordinators and administrators act on a referral. */
const REFERRAL_RECEIVERS = ["coordinator.own", "instadmin.own"] as const;
/** The staff of 松原吉林油田医院 (region.songyuan works there too): a training session's audience. */
const AUDIENCE = [
  "doctor.own",
  "specialist.assigned",
  "specialist.own",
  "coordinator.own",
  "lecturer.own",
  "instadmin.own",
  "regionadmin.own",
] as const;
/** The audience and the province administrators (who manage every session). */
const TRAINING_READERS = [...AUDIENCE, "provinceadmin"] as const;
/** A specialist's weekly rules and windows: the specialist, and the coordinators and administrators of their institution. */
const AVAILABILITY_EDITORS = ["specialist.assigned", "coordinator.own", "instadmin.own"] as const;
/** Administrators of other scopes: statistics outside their scope do not exist for them. */
const OTHER_ADMINS_404 = { "instadmin.region": 404, "instadmin.other": 404, "regionadmin.other": 404 } as const;
const TRAINING_MANAGERS = ["lecturer.own", "instadmin.own", "provinceadmin"] as const;

const MATRIX: Record<string, Row> = {
  // auth: public or self-service
  // An unknown account and a forged refresh token: 401 for everybody, whoever's bearer token comes along.
  "POST /api/auth/login": {
    allow: "everyone",
    public: 401,
    subject: async () => ({ params: {}, body: { username: "t.matrix.nobody", password: "not-the-password" } }),
  },
  "POST /api/auth/refresh": {
    allow: "everyone",
    public: 401,
    subject: async () => ({ params: {}, body: { refreshToken: "not-a-refresh-token-at-all" } }),
  },
  "POST /api/auth/logout": { allow: "everyone" },
  "GET /api/me": { allow: "everyone" },

  // users
  "GET /api/users": { allow: "everyone", hides: { make: youtianUser, seenBy: USER_READERS } },
  "GET /api/users/{id}": { allow: USER_READERS, subject: async () => ({ params: { id: await youtianUser() } }) },
  "POST /api/users": {
    allow: [...ADMINS_OF_SCOPE],
    subject: async () => ({
      params: {},
      body: {
        username: `t.matrix.new.${userSeq++}`,
        displayName: "矩阵测试",
        password: "a-long-password-1",
        roles: ["DOCTOR"],
        institutionId: ids.youtian,
      },
    }),
  },
  "PATCH /api/users/{id}": {
    allow: [...ADMINS_OF_SCOPE],
    readers: USER_READERS,
    subject: async () => ({ params: { id: await youtianUser() }, body: { displayName: "矩阵测试（改）" } }),
  },
  "POST /api/users/{id}/unlock": {
    allow: [...ADMINS_OF_SCOPE],
    readers: USER_READERS,
    subject: async () => ({ params: { id: await youtianUser() } }),
  },

  // network directory: public inside the service
  "GET /api/institutions": { allow: "everyone" },
  "GET /api/institutions/tree": { allow: "everyone" },
  "GET /api/institutions/{id}": { allow: "everyone", subject: async () => ({ params: { id: ids.youtian } }) },
  "GET /api/institutions/{id}/departments": {
    allow: "everyone",
    subject: async () => ({ params: { id: ids.youtian } }),
  },
  "GET /api/consortia": { allow: "everyone" },
  "GET /api/consortia/{id}": { allow: "everyone", subject: async () => ({ params: { id: ids.consortium } }) },
  "GET /api/consortia/{id}/members": { allow: "everyone", subject: async () => ({ params: { id: ids.consortium } }) },
  "GET /api/regions": { allow: "everyone" },
  "GET /api/specialties": { allow: "everyone" },

  // consultations
  "POST /api/consultations": {
    allow: ["doctor.requester", "doctor.own", "doctor.other"],
    deny: 403,
    subject: async () => ({ params: {}, body: draftBody({ targetInstitutionId: ids.youtian }) }),
  },
  "GET /api/consultations": {
    allow: "everyone",
    hides: { make: async () => (await consultation()).id, seenBy: CONSULTATION_READERS },
  },
  "GET /api/consultations/triage": {
    allow: ["coordinator.own", "coordinator.other"],
    deny: 403,
    hides: { make: async () => (await consultation("SUBMITTED")).id, seenBy: ["coordinator.own"] },
  },
  "GET /api/consultations/targets": {
    allow: "everyone",
    subject: async () => ({ params: {}, query: "specialtyCode=CARDIOLOGY" }),
  },
  "GET /api/consultations/presence": {
    allow: ["coordinator.own", "coordinator.other", "instadmin.own", "instadmin.region", "instadmin.other"],
    deny: 403,
  },
  "GET /api/consultations/{id}": { allow: CONSULTATION_READERS, subject: onConsultation() },
  "POST /api/consultations/{id}/reveal-id": {
    allow: ["doctor.requester", "specialist.assigned"],
    readers: CONSULTATION_READERS,
    subject: onConsultation(),
  },
  "PATCH /api/consultations/{id}": {
    allow: ["doctor.requester"],
    subject: onConsultation("DRAFT", { history: "补充：近一周夜间阵发性呼吸困难。" }),
  },
  "POST /api/consultations/{id}/submit": { allow: ["doctor.requester"], subject: onConsultation("DRAFT", {}) },
  "POST /api/consultations/{id}/accept": {
    allow: ["coordinator.own"],
    readers: SUBMITTED_READERS,
    subject: async () => ({
      params: { id: (await consultation("SUBMITTED")).id },
      body: { specialistIds: [ids.specialist] },
    }),
  },
  "POST /api/consultations/{id}/return": {
    allow: ["coordinator.own"],
    readers: SUBMITTED_READERS,
    subject: onConsultation("SUBMITTED", { reason: "请补充近期心脏彩超结果" }),
  },
  "POST /api/consultations/{id}/reject": {
    allow: ["coordinator.own"],
    readers: SUBMITTED_READERS,
    subject: onConsultation("SUBMITTED", { reason: "本院暂无该专科" }),
  },
  "POST /api/consultations/{id}/cancel": {
    allow: ["doctor.requester"],
    readers: CONSULTATION_READERS,
    subject: onConsultation("ACCEPTED", { reason: "患者已转院" }),
  },
  "POST /api/consultations/{id}/booking": {
    allow: RECEIVERS,
    readers: CONSULTATION_READERS,
    subject: async () => {
      const c = await consultation("ACCEPTED");
      const w = windowBody();
      await ok(api("coordinator.own", `/api/specialists/${ids.specialist}/availability/windows`, { body: w }));
      return { params: { id: c.id }, body: { startsAt: w.startsAt } };
    },
  },
  "PUT /api/consultations/{id}/booking": {
    allow: RECEIVERS,
    readers: CONSULTATION_READERS,
    subject: async () => ({
      params: { id: (await consultation("SCHEDULED")).id },
      body: { startsAt: shanghaiAt(day - 1, 9, 30), reason: "专家临时手术，顺延半小时" },
    }),
  },
  "DELETE /api/consultations/{id}/booking": {
    allow: RECEIVERS,
    readers: CONSULTATION_READERS,
    subject: onConsultation("SCHEDULED", { reason: "患者当天无法到场" }),
  },
  "GET /api/consultations/{id}/booking.ics": { allow: CONSULTATION_READERS, subject: onConsultation("SCHEDULED") },
  "GET /api/slots": {
    allow: "everyone",
    subject: async () => ({ params: {}, query: `specialtyCode=CARDIOLOGY&institutionId=${ids.youtian}` }),
  },
  "GET /api/specialists/{id}/availability": {
    allow: "everyone",
    subject: async () => ({ params: { id: ids.specialist } }),
  },
  "POST /api/specialists/{id}/availability/rules": {
    allow: AVAILABILITY_EDITORS,
    subject: async () => ({ params: { id: ids.specialist }, body: ruleBody() }),
  },
  "POST /api/specialists/{id}/availability/windows": {
    allow: AVAILABILITY_EDITORS,
    subject: async () => ({ params: { id: ids.specialist }, body: windowBody() }),
  },
  "DELETE /api/specialists/{id}/availability/rules/{itemId}": {
    allow: AVAILABILITY_EDITORS,
    fresh: true,
    subject: async () => ({
      params: {
        id: ids.specialist,
        itemId: (
          await ok(
            api("coordinator.own", `/api/specialists/${ids.specialist}/availability/rules`, { body: ruleBody() }),
          )
        ).id,
      },
    }),
  },
  "DELETE /api/specialists/{id}/availability/windows/{itemId}": {
    allow: AVAILABILITY_EDITORS,
    fresh: true,
    subject: async () => ({
      params: {
        id: ids.specialist,
        itemId: (
          await ok(
            api("coordinator.own", `/api/specialists/${ids.specialist}/availability/windows`, { body: windowBody() }),
          )
        ).id,
      },
    }),
  },
  "POST /api/institutions/{id}/weekend-expert-days": {
    allow: ["coordinator.own", "instadmin.own"],
    subject: async () => ({
      params: { id: ids.youtian },
      body: {
        specialistIds: [ids.specialist2],
        start: "05:00",
        end: "06:00",
        validFrom: "2027-06-01",
        validUntil: "2027-06-30",
      },
    }),
  },
  "PUT /api/consultations/{id}/report": {
    allow: ["specialist.assigned"],
    readers: CONSULTATION_READERS,
    subject: onConsultation("IN_PROGRESS", { impression: "考虑慢性心力衰竭急性加重。" }),
  },
  "POST /api/consultations/{id}/report/sign": {
    allow: ["specialist.assigned"],
    readers: CONSULTATION_READERS,
    subject: async () => {
      const c = await consultation("IN_PROGRESS");
      await ok(
        api("specialist.assigned", `/api/consultations/${c.id}/report`, {
          method: "PUT",
          body: { impression: "考虑慢性心力衰竭急性加重。" },
        }),
      );
      return { params: { id: c.id } };
    },
  },
  "POST /api/consultations/{id}/report/amendments": {
    allow: ["specialist.assigned"],
    readers: CONSULTATION_READERS,
    subject: onConsultation("REPORTED", { followUp: "一周后复查 BNP。", reason: "随访间隔更正" }),
  },
  "POST /api/consultations/{id}/decision": {
    allow: ["doctor.requester"],
    readers: CONSULTATION_READERS,
    subject: onConsultation("REPORTED", { outcome: "FOLLOWED", decision: "按会诊意见在本院治疗" }),
  },
  "GET /api/consultations/{id}/report.pdf": { allow: CONSULTATION_READERS, subject: onConsultation("REPORTED") },
  "GET /api/consultations/{id}/fhir": { allow: CONSULTATION_READERS, subject: onConsultation("REPORTED") },

  // referrals and policies
  "POST /api/referrals": {
    allow: [
      "doctor.requester",
      "doctor.own",
      "doctor.other",
      "specialist.assigned",
      "specialist.own",
      "specialist.other",
    ],
    deny: 403,
    subject: async () => ({
      params: {},
      body: {
        direction: "UP",
        toInstitutionId: ids.youtian,
        patient: draftBody().patient,
        reason: "需上级医院进一步诊治",
      },
    }),
  },
  "GET /api/referrals": {
    allow: "everyone",
    hides: { make: async () => (await referral()).params.id, seenBy: REFERRAL_READERS },
  },
  "GET /api/referrals/{id}": { allow: REFERRAL_READERS, subject: referral },
  "POST /api/referrals/{id}/accept": {
    allow: REFERRAL_RECEIVERS,
    readers: REFERRAL_READERS,
    fresh: true,
    subject: referral,
  },
  "POST /api/referrals/{id}/decline": {
    allow: REFERRAL_RECEIVERS,
    readers: REFERRAL_READERS,
    fresh: true,
    subject: async () => ({ ...(await referral()), body: { reason: "床位已满" } }),
  },
  "POST /api/referrals/{id}/arrive": {
    allow: REFERRAL_RECEIVERS,
    readers: REFERRAL_READERS,
    fresh: true,
    subject: () => referral(true),
  },
  "POST /api/referrals/{id}/cancel": {
    allow: ["doctor.requester"],
    readers: REFERRAL_READERS,
    subject: async () => ({ ...(await referral()), body: { reason: "患者拒绝转诊" } }),
  },
  "POST /api/referrals/{id}/booking": {
    allow: ["doctor.requester", "coordinator.own"],
    readers: REFERRAL_READERS,
    fresh: true,
    subject: async () => {
      const r = await referral(true);
      const w = windowBody();
      await ok(api("coordinator.own", `/api/specialists/${ids.specialist}/availability/windows`, { body: w }));
      return { ...r, body: { specialistId: ids.specialist, startsAt: w.startsAt } };
    },
  },
  "GET /api/sla-policies": { allow: "everyone" },
  "PUT /api/sla-policies": {
    allow: ["provinceadmin"],
    deny: 403,
    subject: async () => {
      // The province-wide routine limit, unchanged (the SLA tests rely on it).
      const { defaults, policies } = await ok(api("provinceadmin", "/api/sla-policies"));
      const current =
        policies.find(
          (p: { consortiumId: string | null; urgency: string }) => p.consortiumId === null && p.urgency === "ROUTINE",
        ) ?? defaults.ROUTINE;
      return {
        params: {},
        body: {
          consortiumId: null,
          urgency: "ROUTINE",
          acceptWithinS: current.acceptWithinS,
          notifyCoordinatorAtS: current.notifyCoordinatorAtS,
          notifyAdminAtS: current.notifyAdminAtS,
        },
      };
    },
  },
  "PUT /api/institutions/{id}/scheduling-policy": {
    allow: ["instadmin.own", "provinceadmin"],
    subject: async () => {
      // Unchanged: other tests book against this hospital's reserved share.
      const policy = await db.schedulingPolicy.findUnique({ where: { institutionId: ids.youtian } });
      return { params: { id: ids.youtian }, body: { reservedReferralShare: policy?.reservedReferralShare ?? 0.2 } };
    },
  },

  // uploads
  "POST /api/consultations/{consultationId}/uploads": {
    allow: ["doctor.requester", ...RECEIVERS],
    readers: CONSULTATION_READERS,
    subject: upload,
  },
  "POST /api/uploads/tus": {
    allow: ["doctor.requester", ...RECEIVERS],
    readers: CONSULTATION_READERS,
    subject: async () => ({ params: {}, body: "", headers: tusCreation((await consultation()).id) }),
  },
  "PATCH /api/uploads/tus/{id}": {
    allow: ["doctor.requester"],
    subject: async () => {
      const created = await api("doctor.requester", "/api/uploads/tus", {
        method: "POST",
        body: "",
        headers: tusCreation((await consultation()).id),
      });
      if (created.status !== 201) throw new Error(`fixture: tus creation ${created.status}`);
      const id = created.headers.get("location")!.split("/").pop()!;
      return {
        params: { id },
        body: "x".repeat(PNG.length),
        headers: { "tus-resumable": "1.0.0", "upload-offset": "0", "content-type": "application/offset+octet-stream" },
      };
    },
  },
  // Importing from the requesting institution's PACS: its doctors who work on the consultation.
  "POST /api/consultations/{consultationId}/pacs-imports": {
    allow: ["doctor.requester"],
    readers: CONSULTATION_READERS,
    subject: async () => ({
      params: { consultationId: (await consultation()).id },
      body: { studyInstanceUids: ["1.2.826.0.1.3680043.8.498.1"] },
    }),
  },
  "GET /api/consultations/{consultationId}/pacs-imports": { allow: CONSULTATION_READERS, subject: upload },
  "GET /api/consultations/{consultationId}/uploads": { allow: CONSULTATION_READERS, subject: upload },
  "GET /api/uploads/{id}": { allow: CONSULTATION_READERS, subject: upload },
  "GET /api/uploads/{id}/content": { allow: CONSULTATION_READERS, subject: upload },
  "GET /api/uploads/{id}/preview": { allow: CONSULTATION_READERS, subject: upload },

  // recordings
  "POST /api/recordings": {
    allow: ["specialist.assigned"],
    readers: CONSULTATION_READERS,
    subject: async () => ({
      params: {},
      body: { subject: "CONSULTATION", subjectId: (await consultation("IN_PROGRESS")).id, consent: true },
    }),
  },
  "POST /api/recordings/{id}/stop": {
    allow: ["specialist.assigned"],
    readers: CONSULTATION_READERS,
    subject: recording,
  },
  "POST /api/recordings/consent-requests": {
    allow: ["specialist.assigned"],
    readers: CONSULTATION_READERS,
    subject: async () => ({
      params: {},
      body: { subjectId: (await consultation("IN_PROGRESS")).id, patientConsent: true },
    }),
  },
  // A consent request lives for two minutes in a live room; an unknown one does not exist for anybody.
  "POST /api/recordings/consent-requests/{id}/answer": {
    allow: [],
    subject: async () => ({ params: { id: "00000000-0000-4000-8000-000000000001" }, body: { agree: true } }),
  },
  "GET /api/recordings/room-state": {
    allow: CONSULTATION_READERS,
    subject: async () => ({ params: {}, query: `subjectId=${(await consultation("IN_PROGRESS")).id}` }),
  },
  "POST /api/recordings/{id}/consent": {
    allow: ["doctor.requester", ...RECEIVERS],
    readers: CONSULTATION_READERS,
    subject: async () => ({ ...(await recording()), body: { agree: true } }),
  },
  "GET /api/recordings": { allow: CONSULTATION_READERS, subject: recording },
  "GET /api/recordings/{id}": { allow: CONSULTATION_READERS, subject: recording },
  "GET /api/recordings/{id}/video": { allow: CONSULTATION_READERS, subject: recording },
  "GET /api/recordings/{id}/poster": { allow: CONSULTATION_READERS, subject: recording },

  // training: an INSTITUTION audience of 松原吉林油田医院, scheduled by its lecturer
  "POST /api/training/sessions": {
    allow: ["lecturer.own", "instadmin.own", "instadmin.region", "instadmin.other"],
    deny: 403,
    subject: async () => {
      const start = shanghaiAt(day++, 16);
      return {
        params: {},
        body: {
          title: "矩阵测试培训",
          startsAt: start,
          endsAt: plusMinutes(start, 60),
          lecturerIds: [ids.lecturer],
          audience: [{ kind: "INSTITUTION", institutionId: ids.youtian }],
        },
      };
    },
  },
  "GET /api/training/sessions": {
    allow: "everyone",
    hides: { make: async () => (await training()).params.id, seenBy: TRAINING_READERS },
  },
  "GET /api/training/sessions/{id}": { allow: TRAINING_READERS, subject: training },
  "POST /api/training/sessions/{id}/cancel": {
    allow: TRAINING_MANAGERS,
    readers: TRAINING_READERS,
    subject: async () => ({ ...(await training()), body: { reason: "讲者临时出诊" } }),
  },
  "POST /api/training/sessions/{id}/start": { allow: TRAINING_MANAGERS, readers: TRAINING_READERS, subject: training },
  "POST /api/training/sessions/{id}/end": { allow: TRAINING_MANAGERS, readers: TRAINING_READERS, subject: training },
  "POST /api/training/sessions/{id}/registration": { allow: AUDIENCE, readers: TRAINING_READERS, subject: training },
  "DELETE /api/training/sessions/{id}/registration": {
    allow: AUDIENCE,
    readers: TRAINING_READERS,
    except: { provinceadmin: 404 },
    subject: () => training({ registered: AUDIENCE }),
  },
  // The host institution's coordinators and administrators read attendance; for the rest of the audience it does not exist.
  "GET /api/training/sessions/{id}/attendance": {
    allow: ["coordinator.own", "lecturer.own", ...ADMINS_OF_SCOPE],
    subject: training,
  },
  "GET /api/training/sessions/{id}/attendance/me": { allow: TRAINING_READERS, subject: training },
  "GET /api/training/sessions/{id}/questions": { allow: TRAINING_READERS, subject: training },
  "GET /api/training/attendance": {
    allow: USER_READERS,
    subject: async () => ({ params: {}, query: `institutionId=${ids.youtian}&month=2026-11` }),
  },

  // PACS of 松原吉林油田医院 (removed again after the matrix: other tests register their own)
  "PUT /api/institutions/{institutionId}/pacs": {
    allow: ["instadmin.own"],
    subject: async () => ({ params: { institutionId: ids.youtian }, body: PACS }),
  },
  "GET /api/institutions/{institutionId}/pacs": {
    allow: ["instadmin.own"],
    subject: async () => {
      await ok(api("instadmin.own", `/api/institutions/${ids.youtian}/pacs`, { method: "PUT", body: PACS }));
      return { params: { institutionId: ids.youtian } };
    },
  },
  "GET /api/pacs/studies": {
    allow: ["doctor.requester", "doctor.own", "doctor.other"],
    deny: 403,
    // Without the matrix's unreachable PACS: every doctor's institution then has none (409).
    subject: async () => {
      await db.pacsConnection.deleteMany({ where: { institutionId: ids.youtian, name: PACS.name } });
      return { params: {} };
    },
  },

  // statistics of 松原吉林油田医院
  "GET /api/statistics/monthly": {
    allow: [...ADMINS_OF_SCOPE],
    deny: 403,
    except: OTHER_ADMINS_404,
    subject: async () => ({ params: {}, query: `from=2026-10&to=2026-11&scope=INSTITUTION&scopeId=${ids.youtian}` }),
  },
  "GET /api/statistics/breakdown": {
    allow: [...ADMINS_OF_SCOPE],
    deny: 403,
    except: OTHER_ADMINS_404,
    subject: async () => ({
      params: {},
      query: `month=2026-11&scope=INSTITUTION&withinScope=INSTITUTION&withinId=${ids.youtian}`,
    }),
  },
  "GET /api/statistics/scopes": {
    allow: [...ADMINS_OF_SCOPE],
    deny: 403,
    except: OTHER_ADMINS_404,
    subject: async () => ({ params: {}, query: `path=INSTITUTION:${ids.youtian}` }),
  },
  "GET /api/statistics/runs": {
    allow: [...ADMINS_OF_SCOPE, "instadmin.region", "instadmin.other", "regionadmin.other"],
    deny: 403,
  },
  "POST /api/statistics/recompute": {
    allow: ["provinceadmin"],
    deny: 403,
    subject: async () => ({ params: {}, body: { month: "2026-11" } }),
  },
  "POST /api/admin/queues/ticket": { allow: ["provinceadmin"], deny: 403 },
};

// DICOMweb of a consultation's images: the study search answers its readers; a study it does not hold does not
// exist for anybody, so everything below /studies/{study} answers 404 all round.
const dicomweb = async (): Promise<Subject> => ({
  params: {
    consultationId: (await consultation()).id,
    study: "1.2.3.4",
    series: "1.2.3.4.5",
    sop: "1.2.3.4.5.6",
    frames: "1",
    frame: "1",
  },
});
MATRIX["GET /dicomweb/consultations/{consultationId}/studies"] = { allow: CONSULTATION_READERS, subject: dicomweb };
for (const p of [
  "/studies/{study}/series",
  "/studies/{study}/instances",
  "/studies/{study}/series/{series}/instances",
  "/studies/{study}/metadata",
  "/studies/{study}/series/{series}/metadata",
  "/studies/{study}/series/{series}/instances/{sop}/metadata",
  "/studies/{study}",
  "/studies/{study}/series/{series}",
  "/studies/{study}/series/{series}/instances/{sop}",
  "/studies/{study}/series/{series}/instances/{sop}/frames/{frames}",
  "/studies/{study}/series/{series}/instances/{sop}/rendered",
  "/studies/{study}/series/{series}/instances/{sop}/frames/{frame}/rendered",
]) {
  MATRIX[`GET /dicomweb/consultations/{consultationId}${p}`] = { allow: [], subject: dicomweb };
}

// ------------------------------------------------------------------------------------------- the run

beforeAll(async () => {
  t = await startTestServer();
  const youtian = await db.institution.findFirstOrThrow({ where: { name: "松原吉林油田医院" } });
  ids.youtian = youtian.id;
  ids.hadashan = (await db.institution.findFirstOrThrow({ where: { name: "哈达山卫生院" } })).id;
  ids.consortium = (await db.consortiumMember.findFirstOrThrow({ where: { institutionId: youtian.id } })).consortiumId;
  ids.specialist = (await db.user.findUniqueOrThrow({ where: { username: "spec.youtian.1" } })).id;
  ids.specialist2 = (await db.user.findUniqueOrThrow({ where: { username: "spec.youtian.2" } })).id;
  ids.coordinator = (await db.user.findUniqueOrThrow({ where: { username: "coord.youtian" } })).id;
  ids.requester = (await db.user.findUniqueOrThrow({ where: { username: "doctor.hadashan" } })).id;
  ids.lecturer = (await db.user.findUniqueOrThrow({ where: { username: (await principals())["lecturer.own"] } })).id;
  await loginAll();
}, 60_000);
afterAll(async () => {
  // The weekly rules the matrix made (valid from 2030, but open-ended) would refuse, as overlapping, the opening
  // hours later suites in the same database copy give these specialists for today (the console's booking flow).
  await db.availabilityRule.deleteMany({ where: { createdAt: { gte: matrixStartedAt } } });
  await t.stop();
  await closeTestDb();
});

interface Op {
  key: string;
  method: string;
  path: string;
}
const expected = (row: Row, who: Who): Answer => {
  if (row.except?.[who] !== undefined) return row.except[who]!;
  if (who === "anon") return 401;
  if (row.allow === "everyone" || row.allow.includes(who)) return "allow";
  if (row.readers?.includes(who)) return 403;
  return row.deny ?? 404;
};

it("every operation × every caller answers as the matrix says (no unexpected 2xx)", async () => {
  const doc = (await t.api("/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
  const ops: Op[] = Object.entries(doc.paths).flatMap(([p, methods]) =>
    Object.keys(methods).map((m) => ({ key: `${m.toUpperCase()} ${p}`, method: m.toUpperCase(), path: p })),
  );
  // New routes join the matrix: an operation without a row fails, and so does a row for a route that is gone.
  expect(ops.filter((o) => !MATRIX[o.key]).map((o) => o.key)).toEqual([]);
  expect(Object.keys(MATRIX).filter((k) => !ops.some((o) => o.key === k))).toEqual([]);

  const failures: string[] = [];
  const observed: string[] = [];
  for (const op of ops) {
    const row = MATRIX[op.key]!;
    let subject: Subject;
    let hidden: string | undefined;
    try {
      subject = row.subject ? await row.subject() : { params: {} };
      hidden = row.hides ? await row.hides.make() : undefined;
    } catch (e) {
      failures.push(`${op.key}: ${(e as Error).message.slice(0, 300)}`);
      continue;
    }
    const values = subject.params;
    let url =
      op.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
        const v = values[name];
        if (!v) throw new Error(`${op.key}: no value for {${name}}`);
        return v;
      }) + (subject.query ? `?${subject.query}` : "");
    // Callers expected to be refused go first: they must not change the subject the allowed ones then act on.
    const order = [...WHO].sort((a, b) => Number(expected(row, a) === "allow") - Number(expected(row, b) === "allow"));
    const line: string[] = [];
    let allowedSeen = 0;
    for (const who of order) {
      if (row.fresh && expected(row, who) === "allow" && allowedSeen++ > 0) {
        const again = await row.subject!();
        Object.assign(values, again.params);
        url =
          op.path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name]!) + (again.query ? `?${again.query}` : "");
        subject = again;
      }
      const body = op.method === "GET" ? undefined : (subject.body ?? {});
      const r = await api(who, url, { method: op.method, body, headers: subject.headers });
      const want = row.public ?? expected(row, who);
      line.push(`${who}=${r.status}`);
      const got = r.status;
      const fine = got < 500 && (want === "allow" ? ![401, 403, 404].includes(got) : got === want);
      if (
        hidden &&
        got < 300 &&
        !row.hides!.seenBy.includes(who) &&
        String(JSON.stringify(r.body ?? "")).includes(hidden)
      )
        failures.push(`${op.key} as ${who}: lists a record outside their scope`);
      if (!fine)
        failures.push(
          `${op.key} as ${who}: ${got} (expected ${want}) ${String(JSON.stringify(r.body ?? "")).slice(0, 160)}`,
        );
    }
    observed.push(`${op.key}: ${line.join(" ")}`);
    if (op.key === "POST /api/auth/logout") await loginAll();
  }
  await db.pacsConnection.deleteMany({ where: { institutionId: ids.youtian, name: PACS.name } });
  if (process.env.MATRIX_PRINT) console.log(observed.join("\n"));
  expect(failures).toEqual([]);
}, 600_000);

// A hole the matrix found: refusing a running recording stops it, and any reader of the consultation could refuse.
it("an administrator who only reads a consultation cannot stop its running recording; a participant is asked", async () => {
  const c = await consultation("IN_PROGRESS");
  const rec = await db.recording.create({
    data: {
      subject: "CONSULTATION",
      subjectId: c.id,
      institutionId: ids.youtian,
      startedById: ids.specialist,
      consentRecorded: true,
      status: "RECORDING",
    },
  });
  for (const admin of ["instadmin.own", "regionadmin.own", "provinceadmin"] as const) {
    const r = await api(admin, `/api/recordings/${rec.id}/consent`, { body: { agree: false } });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("FORBIDDEN");
  }
  expect((await db.recording.findUniqueOrThrow({ where: { id: rec.id } })).status).toBe("RECORDING");
  // The requesting doctor, in the room, may agree (and is then on record as having agreed).
  const agreed = await api("doctor.requester", `/api/recordings/${rec.id}/consent`, { body: { agree: true } });
  expect(agreed.status).toBe(200);
  expect(
    await db.auditLog.count({ where: { action: "recording.consent", entityId: rec.id, outcome: "SUCCESS" } }),
  ).toBe(1);
}, 60_000);
