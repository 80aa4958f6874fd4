// The living demo (demo only; tests seed the bare network): a believable recent year of the province, generated
// deterministically from the seed relative to today, so `npm start` opens on a network that is in use.
//  - weekly opening hours of the demo hospitals' specialists (weekend expert days, 周末专家下沉, for the provincial
//    experts), valid from a year ago;
//  - about the province's published yearly volume of consultations (315 in 2024) over the last 12 months, in every
//    state, with their timelines, participants, bookings, reports and decisions; a few waiting in coord.youtian's
//    triage queue, some booked in the coming days (their specialists' time committed), one booked for today;
//  - training sessions: past ones with attendance (about the published 185 sessions and 36,000 attendances a year)
//    and upcoming ones this week and next, several open to trainee.hadashan;
//  - the monthly statistics computed for every past month.
import type { Prisma, PrismaClient } from "@prisma/client";
import { RETURNED_EXPIRES_AFTER_MS } from "@yilian/contract";
import { computeMonth } from "../../worker/src/statistics/compute";
import { personName } from "./names";
import { rng, stableUuid, type Rng } from "./rng";

type Db = PrismaClient;
const DAY = 86_400_000;
const MIN = 60_000;
const SHANGHAI = 8 * 3600_000;

/** YYYY-MM-DD of the Asia/Shanghai day of `d`. */
const localDay = (d: Date) => new Date(d.getTime() + SHANGHAI).toISOString().slice(0, 10);
/** The instant of `day` (YYYY-MM-DD) at `minutes` after local midnight. */
const at = (day: string, minutes: number) => new Date(Date.parse(`${day}T00:00:00Z`) - SHANGHAI + minutes * MIN);
const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
const weekday = (day: string) => ((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

interface Person {
  id: string;
  username: string;
  institutionId: string;
  displayName: string;
}

export interface HistoryCounts {
  availabilityRules: number;
  consultations: number;
  trainingSessions: number;
  trainingAttendances: number;
  statisticsMonths: number;
}

// ---------------------------------------------------------------------------------------------- opening hours

/** Weekly clinics of the demo specialists: [username, weekday, start, end, label]. */
const DEMO_HOURS: [string, number, number, number, string | null][] = [
  ["spec.youtian.1", 1, 14 * 60, 17 * 60, "远程会诊门诊"],
  ["spec.youtian.1", 3, 14 * 60, 17 * 60, "远程会诊门诊"],
  ["spec.youtian.1", 5, 14 * 60, 17 * 60, "远程会诊门诊"],
  ["spec.youtian.2", 2, 9 * 60, 11 * 60 + 30, "远程会诊门诊"],
  ["spec.youtian.2", 4, 9 * 60, 11 * 60 + 30, "远程会诊门诊"],
  ["spec.jdyy.1", 2, 14 * 60, 17 * 60, "省级专家远程门诊"],
  ["spec.jdyy.1", 6, 9 * 60, 12 * 60, "周末专家下沉"],
  ["spec.jdyy.2", 4, 14 * 60, 17 * 60, "省级专家远程门诊"],
  ["spec.jdyy.2", 7, 9 * 60, 12 * 60, "周末专家下沉"],
];

async function openingHours(
  db: Db,
  people: Map<string, Person>,
  specialists: Person[],
  today: string,
): Promise<Prisma.AvailabilityRuleCreateManyInput[]> {
  const validFrom = new Date(`${addDays(today, -365)}T00:00:00Z`);
  const rows: Prisma.AvailabilityRuleCreateManyInput[] = DEMO_HOURS.map(([username, wd, start, end, label]) => {
    const p = people.get(username)!;
    return {
      specialistId: p.id,
      institutionId: p.institutionId,
      weekday: wd,
      startMinute: start,
      endMinute: end,
      slotMinutes: 30,
      validFrom,
      label,
    };
  });
  // The other specialists of the two demo hospitals: one half-day a week each, spread over the week.
  const demo = new Set(DEMO_HOURS.map(([u]) => u));
  specialists
    .filter((s) => !demo.has(s.username))
    .forEach((s, i) =>
      rows.push({
        specialistId: s.id,
        institutionId: s.institutionId,
        weekday: 1 + (i % 5),
        startMinute: i % 2 ? 14 * 60 : 9 * 60,
        endMinute: i % 2 ? 16 * 60 : 11 * 60,
        slotMinutes: 30,
        validFrom,
        label: "远程会诊门诊",
      }),
    );
  await db.availabilityRule.createMany({ data: rows });
  return rows;
}

/** Future slot starts of one specialist from its rules, from `fromDay` on, for `days` days. */
function ruleSlots(
  rules: Prisma.AvailabilityRuleCreateManyInput[],
  specialistId: string,
  fromDay: string,
  days: number,
  after: Date,
): Date[] {
  const out: Date[] = [];
  for (let d = 0; d < days; d++) {
    const day = addDays(fromDay, d);
    for (const r of rules) {
      if (r.specialistId !== specialistId || r.weekday !== weekday(day)) continue;
      for (let m = r.startMinute; m + r.slotMinutes! <= r.endMinute; m += r.slotMinutes!) {
        const t = at(day, m);
        if (t > after) out.push(t);
      }
    }
  }
  return out.sort((a, b) => a.getTime() - b.getTime());
}

// ---------------------------------------------------------------------------------------------- consultations

const CASES: {
  specialty: string;
  complaint: string;
  diagnosis: string;
  question: string;
  impression: string;
  advice: string;
}[] = [
  {
    specialty: "CARDIOLOGY",
    complaint: "反复胸闷气短 2 年，加重 1 周",
    diagnosis: "冠心病？心功能不全",
    question: "请协助评估是否需要上转行冠脉造影",
    impression: "考虑稳定型心绞痛，心功能 II 级",
    advice: "规范抗血小板、他汀治疗，两周后复查；症状加重即上转",
  },
  {
    specialty: "CARDIOLOGY",
    complaint: "心悸 3 天，心电图示房颤",
    diagnosis: "心房颤动",
    question: "请指导心室率控制及抗凝方案",
    impression: "阵发性心房颤动，CHA2DS2-VASc 3 分",
    advice: "控制心室率，启动抗凝；一月后门诊随访",
  },
  {
    specialty: "NEUROLOGY",
    complaint: "右侧肢体无力伴言语不清 6 小时",
    diagnosis: "急性缺血性脑卒中？",
    question: "是否具备溶栓指征，是否需要转诊",
    impression: "急性缺血性卒中，已超溶栓时间窗",
    advice: "抗血小板、稳定血压，尽快上转卒中中心评估取栓",
  },
  {
    specialty: "NEUROLOGY",
    complaint: "反复头晕 1 月",
    diagnosis: "后循环缺血？",
    question: "请协助明确诊断及下一步检查",
    impression: "良性阵发性位置性眩晕可能",
    advice: "行复位治疗，必要时完善头颅 MRI",
  },
  {
    specialty: "ENDOCRINOLOGY",
    complaint: "血糖控制不佳 3 月",
    diagnosis: "2 型糖尿病",
    question: "请调整降糖方案",
    impression: "2 型糖尿病，血糖控制欠佳",
    advice: "加用基础胰岛素，监测空腹血糖，一月后复诊",
  },
  {
    specialty: "RESPIRATORY",
    complaint: "咳嗽咳痰伴发热 5 天",
    diagnosis: "社区获得性肺炎",
    question: "请评估抗感染方案及是否需要住院",
    impression: "社区获得性肺炎（轻症）",
    advice: "口服抗生素 7 天，三天后复查血常规",
  },
  {
    specialty: "GENERAL_PRACTICE",
    complaint: "高血压控制不佳",
    diagnosis: "原发性高血压 2 级",
    question: "请调整降压方案",
    impression: "原发性高血压 2 级，高危",
    advice: "联合用药，家庭血压监测，两周后随访",
  },
];

type Status =
  | "SUBMITTED"
  | "RETURNED"
  | "ACCEPTED"
  | "SCHEDULED"
  | "REPORTED"
  | "CLOSED"
  | "REJECTED"
  | "CANCELLED"
  | "EXPIRED";

function statusFor(r: Rng, ageDays: number): Status {
  const x = r.next();
  if (ageDays > 30)
    return x < 0.76 ? "CLOSED" : x < 0.82 ? "REPORTED" : x < 0.88 ? "CANCELLED" : x < 0.94 ? "REJECTED" : "EXPIRED";
  if (ageDays > 7)
    return x < 0.55 ? "CLOSED" : x < 0.8 ? "REPORTED" : x < 0.88 ? "SCHEDULED" : x < 0.94 ? "CANCELLED" : "REJECTED";
  return x < 0.2
    ? "CLOSED"
    : x < 0.4
      ? "REPORTED"
      : x < 0.6
        ? "SCHEDULED"
        : x < 0.72
          ? "ACCEPTED"
          : x < 0.84
            ? "RETURNED"
            : "SUBMITTED";
}

const SLA_MIN = { EMERGENCY: 30, URGENT: 24 * 60, ROUTINE: 72 * 60 } as const;

interface Built {
  consultations: Prisma.ConsultationCreateManyInput[];
  participants: Prisma.ConsultationParticipantCreateManyInput[];
  transitions: Prisma.ConsultationTransitionCreateManyInput[];
  reports: Prisma.ConsultationReportCreateManyInput[];
  decisions: Prisma.ConsultationDecisionCreateManyInput[];
  bookings: Prisma.BookingCreateManyInput[];
  busy: Prisma.SpecialistBusyTimeCreateManyInput[];
}

interface Requester {
  doctor: Person;
  target: { institutionId: string; coordinator: Person | null; specialists: Person[] };
}

function consultation(
  b: Built,
  r: Rng,
  n: number,
  req: Requester,
  submitted: Date,
  status: Status,
  now: Date,
  futureSlot: () => { start: Date; specialist: Person } | null,
) {
  const id = stableUuid(`history:consultation:${n}`);
  const c = r.pick(CASES);
  const urgency = r.chance(0.05) ? "EMERGENCY" : r.chance(0.3) ? "URGENT" : "ROUTINE";
  const kind = r.chance(0.2)
    ? r.pick(["IMAGING_READING", "ECG_READING"] as const)
    : r.chance(0.15)
      ? "MULTIDISCIPLINARY"
      : "SINGLE_SPECIALIST";
  const specialist = req.target.specialists.length ? r.pick(req.target.specialists) : null;
  const created = new Date(submitted.getTime() - r.int(5, 90) * MIN);
  const slaDueAt = new Date(submitted.getTime() + SLA_MIN[urgency] * MIN);
  const timeline: [Status | "DRAFT", Date, string | null, string | null][] = [["DRAFT", created, req.doctor.id, null]];
  const t = (s: Status, when: Date, actor: string | null, reason: string | null = null) =>
    timeline.push([s, when, actor, reason]);
  t("SUBMITTED", submitted, req.doctor.id);
  const coordId = req.target.coordinator?.id ?? null;
  let acceptedAt: Date | null = null;
  let scheduledStart: Date | null = null;
  let startedAt: Date | null = null;
  let reportedAt: Date | null = null;
  let closedAt: Date | null = null;
  let statusReason: string | null = null;
  const day = Date.parse(localDay(now));
  const cap = (d: Date) => (d > now ? new Date(now.getTime() - r.int(1, 30) * MIN) : d);

  if (status === "RETURNED" || (status === "EXPIRED" && r.chance(0.5))) {
    statusReason = "请补充近期相关检查结果";
    const returnedAt = cap(new Date(submitted.getTime() + r.int(30, 600) * MIN));
    t("RETURNED", returnedAt, coordId, statusReason);
    if (status === "EXPIRED") {
      statusReason = "退回补充后逾期未重新提交，申请已过期";
      t("EXPIRED", new Date(returnedAt.getTime() + RETURNED_EXPIRES_AFTER_MS), null, statusReason);
    }
  } else if (status === "REJECTED") {
    statusReason = "本院暂无该亚专科专家，建议改投省级医院";
    t("REJECTED", cap(new Date(submitted.getTime() + r.int(20, 400) * MIN)), coordId, statusReason);
  } else if (status === "CANCELLED" && r.chance(0.5)) {
    statusReason = "患者已自行转往上级医院就诊";
    t("CANCELLED", cap(new Date(submitted.getTime() + r.int(60, 1500) * MIN)), req.doctor.id, statusReason);
  } else if (status !== "SUBMITTED") {
    const late = r.chance(0.06);
    acceptedAt = cap(
      new Date(
        submitted.getTime() + (late ? SLA_MIN[urgency] * 1.3 : r.int(5, Math.max(10, SLA_MIN[urgency] * 0.6))) * MIN,
      ),
    );
    t("ACCEPTED", acceptedAt, coordId);
    const reading = kind === "IMAGING_READING" || kind === "ECG_READING";
    if (status === "ACCEPTED") {
      /* waiting for a time */
    } else if (status === "SCHEDULED") {
      const slot = futureSlot();
      if (slot) {
        scheduledStart = slot.start;
        const end = new Date(slot.start.getTime() + 30 * MIN);
        const bookingId = stableUuid(`history:booking:${n}`);
        b.bookings.push({
          id: bookingId,
          consultationId: id,
          startsAt: slot.start,
          endsAt: end,
          specialistIds: [slot.specialist.id],
          createdById: coordId ?? slot.specialist.id,
          createdAt: cap(new Date(acceptedAt.getTime() + 30 * MIN)),
        });
        b.busy.push({
          specialistId: slot.specialist.id,
          startsAt: slot.start,
          endsAt: end,
          source: "CONSULTATION",
          sourceId: bookingId,
        });
        t("SCHEDULED", cap(new Date(acceptedAt.getTime() + 30 * MIN)), coordId);
        b.participants.push({ consultationId: id, userId: slot.specialist.id, role: "SPECIALIST" });
      } else status = "ACCEPTED";
    } else if (status === "CANCELLED") {
      statusReason = "患者病情好转，取消会诊";
      t("CANCELLED", cap(new Date(acceptedAt.getTime() + r.int(60, 900) * MIN)), req.doctor.id, statusReason);
    } else if (status === "EXPIRED") {
      statusReason = "预约时间已过，会诊未开始";
      const start = new Date(acceptedAt.getTime() + r.int(1, 3) * DAY);
      t("SCHEDULED", new Date(acceptedAt.getTime() + 40 * MIN), coordId);
      t("EXPIRED", new Date(start.getTime() + 2.5 * 3600_000), null, statusReason);
    } else {
      // REPORTED or CLOSED: met (or read) and signed.
      startedAt = reading
        ? new Date(acceptedAt.getTime() + r.int(30, 600) * MIN)
        : new Date(Math.floor((acceptedAt.getTime() + r.int(1, 4) * DAY) / (30 * MIN)) * 30 * MIN);
      if (startedAt > now) startedAt = new Date(now.getTime() - 2 * 3600_000);
      if (!reading) {
        scheduledStart = startedAt;
        const bookingId = stableUuid(`history:booking:${n}`);
        b.bookings.push({
          id: bookingId,
          consultationId: id,
          startsAt: startedAt,
          endsAt: new Date(startedAt.getTime() + 30 * MIN),
          specialistIds: specialist ? [specialist.id] : [],
          createdById: coordId ?? req.doctor.id,
          createdAt: new Date(acceptedAt.getTime() + 30 * MIN),
          endedAt: new Date(startedAt.getTime() + 25 * MIN),
          endReason: "finished",
        });
        t("SCHEDULED", new Date(Math.min(acceptedAt.getTime() + 30 * MIN, startedAt.getTime() - MIN)), coordId);
      }
      t("IN_PROGRESS" as Status, startedAt, specialist?.id ?? null);
      reportedAt = new Date(startedAt.getTime() + r.int(20, 50) * MIN);
      t("REPORTED", reportedAt, specialist?.id ?? null);
      if (specialist) {
        b.reports.push({
          consultationId: id,
          status: "SIGNED",
          findings: c.complaint,
          impression: c.impression,
          recommendations: c.advice,
          referralAdvice: r.chance(0.15) ? "UP" : "NONE",
          followUp: "两周后基层随访",
          authorId: specialist.id,
          signedById: specialist.id,
          signedAt: reportedAt,
          createdAt: startedAt,
        });
      }
      if (status === "CLOSED") {
        closedAt = new Date(Math.min(reportedAt.getTime() + r.int(2, 72) * 3600_000, now.getTime() - MIN));
        t("CLOSED", closedAt, req.doctor.id);
        b.decisions.push({
          consultationId: id,
          decidedById: req.doctor.id,
          outcome: r.chance(0.8) ? "FOLLOWED" : "PARTIALLY_FOLLOWED",
          decision: "已按会诊意见调整治疗，基层随访。",
          at: closedAt,
        });
      }
    }
    if (specialist && status !== "SCHEDULED")
      b.participants.push({ consultationId: id, userId: specialist.id, role: "SPECIALIST" });
    if (coordId) b.participants.push({ consultationId: id, userId: coordId, role: "COORDINATOR" });
  }
  b.participants.push({ consultationId: id, userId: req.doctor.id, role: "REQUESTER" });
  const last = timeline.at(-1)!;
  const number = `HZ${localDay(created).replaceAll("-", "")}-9${String(n).padStart(3, "0")}`;
  b.consultations.push({
    id,
    number,
    status: last[0] as Status,
    urgency,
    kind,
    requestingInstitutionId: req.doctor.institutionId,
    requestingDoctorId: req.doctor.id,
    patientName: personName(`patient:${n}`),
    patientSex: r.chance(0.5) ? "MALE" : "FEMALE",
    patientBirthDate: new Date(
      `${1935 + r.int(0, 60)}-${String(r.int(1, 12)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")}T00:00:00Z`,
    ),
    patientRecordNumber: `MZ${String(100000 + n)}`,
    chiefComplaint: c.complaint,
    history: "既往史详见病历。",
    examinations: "已完成血常规、心电图等基础检查。",
    preliminaryDiagnosis: c.diagnosis,
    question: c.question,
    specialtyCode: c.specialty,
    targetInstitutionId: req.target.institutionId,
    submittedAt: submitted,
    acceptedAt,
    scheduledStart,
    scheduledEnd: scheduledStart ? new Date(scheduledStart.getTime() + 30 * MIN) : null,
    startedAt,
    reportedAt,
    closedAt,
    slaDueAt,
    overdue: !!acceptedAt && acceptedAt > slaDueAt,
    statusReason,
    version: timeline.length,
    createdAt: created,
  });
  timeline.forEach(([to, when, actor, reason], i) =>
    b.transitions.push({
      consultationId: id,
      fromStatus: i ? (timeline[i - 1]![0] as Status) : null,
      toStatus: to as Status,
      actorId: actor,
      reason,
      at: when,
    }),
  );
}

async function staffOf(db: Db, institutionIds: string[]) {
  const users = await db.user.findMany({
    where: { institutionId: { in: institutionIds }, active: true },
    select: { id: true, username: true, institutionId: true, displayName: true, roles: true },
  });
  const byInst = new Map<string, { coordinator: Person | null; specialists: Person[]; lecturers: Person[] }>();
  for (const id of institutionIds) byInst.set(id, { coordinator: null, specialists: [], lecturers: [] });
  for (const u of users) {
    const s = byInst.get(u.institutionId)!;
    if (u.roles.includes("COORDINATOR") && !s.coordinator) s.coordinator = u;
    if (u.roles.includes("SPECIALIST")) s.specialists.push(u);
    if (u.roles.includes("LECTURER")) s.lecturers.push(u);
  }
  return byInst;
}

// ---------------------------------------------------------------------------------------------- the whole history

export async function seedHistory(db: Db, log: (m: string) => void, now = new Date()): Promise<HistoryCounts> {
  const r = rng("history");
  const today = localDay(now);
  const demoNames = [
    "doctor.hadashan",
    "doctor.nongan",
    "coord.youtian",
    "spec.youtian.1",
    "spec.youtian.2",
    "spec.jdyy.1",
    "spec.jdyy.2",
    "lect.jdyy",
    "trainee.hadashan",
  ];
  const demoUsers = await db.user.findMany({
    where: { username: { in: demoNames } },
    select: { id: true, username: true, institutionId: true, displayName: true },
  });
  const people = new Map(demoUsers.map((u) => [u.username, u]));
  const youtian = people.get("coord.youtian")!.institutionId;
  const jdyy = people.get("spec.jdyy.1")!.institutionId;

  // Requesting doctors of township and county institutions, with their network parent as the usual target.
  const doctors = await db.user.findMany({
    where: {
      roles: { has: "DOCTOR" },
      active: true,
      institution: { tier: { in: ["TOWNSHIP", "COUNTY"] }, parentId: { not: null } },
    },
    select: {
      id: true,
      username: true,
      institutionId: true,
      displayName: true,
      institution: { select: { parentId: true } },
    },
    orderBy: { username: "asc" },
  });
  const targetIds = [...new Set([youtian, jdyy, ...doctors.map((d) => d.institution.parentId!)])];
  const staff = await staffOf(db, targetIds);
  const demoSpecialists = [...staff.get(youtian)!.specialists, ...staff.get(jdyy)!.specialists];
  const rules = await openingHours(db, people, demoSpecialists, today);
  log(`seed: demo history: ${rules.length} weekly opening hours`);

  const requesterOf = (doctor: (typeof doctors)[number] | Person, targetId: string): Requester => {
    const s = staff.get(targetId)!;
    return { doctor, target: { institutionId: targetId, coordinator: s.coordinator, specialists: s.specialists } };
  };
  const hadashan = requesterOf(people.get("doctor.hadashan")!, youtian);
  const candidates = doctors.filter((d) => staff.get(d.institution.parentId!)?.specialists.length);

  // Future slots of the demo hospitals' specialists, handed out once each (no two bookings overlap).
  const pool = demoSpecialists.flatMap((s) =>
    ruleSlots(rules, s.id, today, 14, new Date(now.getTime() + 2 * 3600_000)).map((start) => ({
      start,
      specialist: s,
    })),
  );
  const slots = r.shuffle(pool).sort((a, b) => a.start.getTime() - b.start.getTime());
  const takeSlot = (forTarget: string) => {
    const i = slots.findIndex((s) => s.specialist.institutionId === forTarget);
    return i < 0 ? null : slots.splice(i, 1)[0]!;
  };

  const b: Built = {
    consultations: [],
    participants: [],
    transitions: [],
    reports: [],
    decisions: [],
    bookings: [],
    busy: [],
  };
  const TOTAL = 320;
  let n = 0;
  for (let k = 0; k < TOTAL; k++) {
    // Spread over the last 365 days, a little busier recently.
    const ageDays = 365 * Math.pow(r.next(), 1.15);
    const submitted = new Date(now.getTime() - ageDays * DAY - r.int(0, 600) * MIN);
    const local = new Date(submitted.getTime() + SHANGHAI).getUTCHours();
    if (local < 7 || local > 20) submitted.setTime(submitted.getTime() + 10 * 3600_000 * (local < 7 ? 1 : -1));
    if (submitted > now) submitted.setTime(now.getTime() - 3 * 3600_000);
    const req = r.chance(0.15)
      ? hadashan
      : (() => {
          const d = r.pick(candidates);
          return requesterOf(d, d.institution.parentId!);
        })();
    const status = statusFor(r, (now.getTime() - submitted.getTime()) / DAY);
    consultation(b, r, ++n, req, submitted, status, now, () => takeSlot(req.target.institutionId));
  }
  // coord.youtian's triage queue, and one consultation booked for today with spec.youtian.1.
  for (const [hoursAgo, urgency] of [
    [2, "URGENT"],
    [20, "ROUTINE"],
    [30, "ROUTINE"],
  ] as const) {
    consultation(b, r, ++n, hadashan, new Date(now.getTime() - hoursAgo * 3600_000), "SUBMITTED", now, () => null);
    b.consultations.at(-1)!.urgency = urgency;
    b.consultations.at(-1)!.slaDueAt = new Date(now.getTime() - hoursAgo * 3600_000 + SLA_MIN[urgency] * MIN);
  }
  const spec1 = people.get("spec.youtian.1")!;
  const todayStart = new Date(
    Math.max(Math.ceil((now.getTime() + 45 * MIN) / (30 * MIN)) * 30 * MIN, at(today, 9 * 60).getTime()),
  );
  const todaySlot = todayStart < at(today, 23 * 60 + 30) ? todayStart : at(addDays(today, 1), 9 * 60);
  consultation(b, r, ++n, hadashan, new Date(now.getTime() - 26 * 3600_000), "SCHEDULED", now, () => ({
    start: todaySlot,
    specialist: spec1,
  }));
  // Never on top of a rule slot already handed out to the same specialist.
  b.busy = b.busy.filter(
    (x, i) =>
      !b.busy.some(
        (y, j) => j < i && y.specialistId === x.specialistId && y.startsAt < x.endsAt && y.endsAt > x.startsAt,
      ),
  );

  await db.$transaction(
    async (tx) => {
      await tx.consultation.createMany({ data: b.consultations });
      await tx.consultationParticipant.createMany({ data: b.participants, skipDuplicates: true });
      await tx.consultationTransition.createMany({ data: b.transitions });
      await tx.consultationReport.createMany({ data: b.reports });
      await tx.consultationDecision.createMany({ data: b.decisions });
      await tx.booking.createMany({ data: b.bookings });
      await tx.specialistBusyTime.createMany({ data: b.busy });
    },
    { timeout: 120_000 },
  );
  log(`seed: demo history: ${b.consultations.length} consultations (${b.bookings.length} bookings)`);

  const training = await seedTraining(db, r, people, staff, today, now);
  log(`seed: demo history: ${training.sessions} training sessions, ${training.attendances} attendances`);

  // Statistics of every past month (the current one is computed on the 1st of the next, as in production).
  let months = 0;
  for (let m = 12; m >= 1; m--) {
    const d = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1 - m, 1));
    await computeMonth(db as never, d.toISOString().slice(0, 7));
    months++;
  }
  log(`seed: demo history: statistics computed for ${months} months`);
  return {
    availabilityRules: rules.length,
    consultations: b.consultations.length,
    trainingSessions: training.sessions,
    trainingAttendances: training.attendances,
    statisticsMonths: months,
  };
}

// ---------------------------------------------------------------------------------------------- training

const TOPICS = [
  "基层高血压规范化管理",
  "2 型糖尿病胰岛素起始治疗",
  "急性胸痛的早期识别与转诊",
  "脑卒中院前识别（FAST）",
  "儿童常见呼吸道感染合理用药",
  "心电图基础判读",
  "慢阻肺稳定期管理",
  "基层医院院感防控要点",
  "老年人跌倒预防",
  "家庭医生签约服务实务",
];

async function seedTraining(
  db: Db,
  r: Rng,
  people: Map<string, Person>,
  staff: Awaited<ReturnType<typeof staffOf>>,
  today: string,
  now: Date,
) {
  const hosts = (
    await db.institution.findMany({
      where: { tier: { in: ["PROVINCE", "CITY"] } },
      select: { id: true },
      orderBy: { code: "asc" },
    })
  ).map((h) => h.id);
  const lecturersOf = await staffOf(db, hosts);
  const withLecturers = hosts.filter((h) => lecturersOf.get(h)!.lecturers.length);
  const audience = await db.user.findMany({
    where: {
      active: true,
      roles: { hasSome: ["TRAINEE", "DOCTOR"] },
      institution: { tier: { in: ["TOWNSHIP", "COUNTY"] } },
    },
    select: { id: true, institutionId: true },
    orderBy: { username: "asc" },
  });
  const trainee = people.get("trainee.hadashan")!;
  const songyuan = await db.region.findFirst({ where: { code: "songyuan" }, select: { id: true } });
  const sessions: Prisma.TrainingSessionCreateManyInput[] = [];
  const lecturers: Prisma.TrainingLecturerCreateManyInput[] = [];
  const rules: Prisma.TrainingAudienceRuleCreateManyInput[] = [];
  const attendances: Prisma.TrainingAttendanceCreateManyInput[] = [];
  const busy: Prisma.SpecialistBusyTimeCreateManyInput[] = [];
  const registrations: Prisma.TrainingRegistrationCreateManyInput[] = [];
  const perDay = new Map<string, number>();
  const number = (start: Date) => {
    const day = localDay(start).replaceAll("-", "");
    const k = (perDay.get(day) ?? 0) + 1;
    perDay.set(day, k);
    return `PX${day}-${String(k).padStart(4, "0")}`;
  };

  // Past: about 15 a month, 90 minutes, evenings of weekdays (after the clinics), about 200 attendances each.
  for (let k = 0; k < 255; k++) {
    const day = addDays(today, -r.int(1, 364));
    if (weekday(day) > 5) continue;
    const host = r.pick(withLecturers);
    const lecturer = r.pick(lecturersOf.get(host)!.lecturers);
    const start = at(day, r.pick([14 * 60, 15 * 60, 19 * 60]));
    const end = new Date(start.getTime() + 90 * MIN);
    const id = stableUuid(`history:training:${k}`);
    sessions.push({
      id,
      number: number(start),
      title: r.pick(TOPICS),
      hostInstitutionId: host,
      createdById: lecturer.id,
      startsAt: start,
      endsAt: end,
      status: "ENDED",
      startedAt: start,
      endedAt: end,
      registrationRequired: false,
      createdAt: new Date(start.getTime() - 7 * DAY),
    });
    lecturers.push({ sessionId: id, userId: lecturer.id });
    rules.push({ sessionId: id, kind: "PROVINCE" });
    const attendees = r.sample(audience, r.int(150, 250));
    if (r.chance(0.6) && !attendees.some((a) => a.id === trainee.id))
      attendees.push({ id: trainee.id, institutionId: trainee.institutionId });
    for (const a of attendees) {
      const minutes = r.chance(0.85) ? r.int(72, 90) : r.int(10, 71);
      const from = new Date(start.getTime() + (90 - minutes) * MIN * r.next());
      attendances.push({
        sessionId: id,
        userId: a.id,
        institutionId: a.institutionId,
        firstJoinAt: from,
        lastLeaveAt: new Date(from.getTime() + minutes * MIN),
        minutes,
        presentSeconds: minutes * 60,
        intervals: [{ from: from.toISOString(), to: new Date(from.getTime() + minutes * MIN).toISOString() }],
        joins: 1,
        attended: minutes >= 72,
      });
    }
  }
  // Upcoming this week and next: provincial lectures for the whole province, and Songyuan lectures for its grassroots.
  const lectJdyy = people.get("lect.jdyy")!;
  const youtianLecturer =
    staff.get(people.get("coord.youtian")!.institutionId)?.lecturers[0] ??
    lecturersOf.get(people.get("coord.youtian")!.institutionId)?.lecturers[0];
  const upcoming: [number, number, Person, Prisma.TrainingAudienceRuleCreateManyInput["kind"], string | null][] = [
    [1, 19 * 60, lectJdyy, "PROVINCE", null],
    [3, 14 * 60, lectJdyy, "TIER", "TOWNSHIP"],
    [4, 19 * 60, youtianLecturer ?? lectJdyy, "CITY", songyuan?.id ?? null],
    [8, 19 * 60, lectJdyy, "PROVINCE", null],
    [10, 15 * 60, youtianLecturer ?? lectJdyy, "CITY", songyuan?.id ?? null],
    [12, 19 * 60, lectJdyy, "TIER", "COUNTY"],
  ];
  upcoming.forEach(([days, minute, lecturer, kind, target], k) => {
    const start = at(addDays(today, days), minute);
    const end = new Date(start.getTime() + 90 * MIN);
    const id = stableUuid(`history:training:upcoming:${k}`);
    sessions.push({
      id,
      number: number(start),
      title: TOPICS[(k * 3) % TOPICS.length]!,
      description: "面向基层医务人员的远程培训，课后可在课程回放中复习。",
      hostInstitutionId: lecturer.institutionId,
      createdById: lecturer.id,
      startsAt: start,
      endsAt: end,
      status: "SCHEDULED",
      capacity: kind === "CITY" ? 300 : null,
      registrationRequired: true,
      createdAt: new Date(now.getTime() - 3 * DAY),
    });
    lecturers.push({ sessionId: id, userId: lecturer.id });
    rules.push(
      kind === "TIER"
        ? { sessionId: id, kind, tier: target as "TOWNSHIP" | "COUNTY" }
        : kind === "CITY"
          ? { sessionId: id, kind, targetId: target }
          : { sessionId: id, kind },
    );
    busy.push({ specialistId: lecturer.id, startsAt: start, endsAt: end, source: "TRAINING", sourceId: id });
    if (k === 2) registrations.push({ sessionId: id, userId: trainee.id, institutionId: trainee.institutionId });
  });
  for (const s of sessions) if (registrations.some((x) => x.sessionId === s.id)) s.registeredCount = 1;

  await db.$transaction(
    async (tx) => {
      await tx.trainingSession.createMany({ data: sessions });
      await tx.trainingLecturer.createMany({ data: lecturers });
      await tx.trainingAudienceRule.createMany({ data: rules });
      await tx.trainingRegistration.createMany({ data: registrations });
      for (let k = 0; k < attendances.length; k += 2000)
        await tx.trainingAttendance.createMany({ data: attendances.slice(k, k + 2000) });
      await tx.specialistBusyTime.createMany({ data: busy });
    },
    { timeout: 180_000 },
  );
  return { sessions: sessions.length, attendances: attendances.length };
}
