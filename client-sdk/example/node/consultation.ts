// One complete consultation driven from a hospital's own system (Node >= 20) with nothing but @yilian/client-sdk:
// a township doctor requests an ECG reading, the receiving coordinator is told live and accepts it, a specialist
// publishes an opening, the time is booked (and moved), the specialist reads and signs, the doctor downloads the PDF
// and the FHIR bundle and closes the case. Every call and event is typed by the package.
//
//   npm install @yilian/client-sdk typescript @types/node
//   YILIAN_URL=https://yilian.example-hospital.cn YILIAN_PASSWORD=... npx tsc && node out/consultation.js
import {
  createClient,
  createRestClient,
  isYilianError,
  consultationStatusLabel,
  type ConsultationDetail,
  type RestClient,
  type TargetSuggestion,
} from "@yilian/client-sdk";

const url = process.env.YILIAN_URL ?? "http://127.0.0.1:3000";
const password = process.env.YILIAN_PASSWORD ?? "Yilian@2024";
const log = (...a: unknown[]) => console.error("[example]", ...a);

async function session(username: string): Promise<RestClient> {
  const rest = createRestClient({ baseUrl: url, onSessionEnded: (e) => log(`${username}: session ended (${e.code})`) });
  await rest.login(username, password);
  return rest;
}

/** A valid resident ID number: 17 digits and the GB 11643 check digit (the API refuses a wrong one with 400). */
function idNumber(body17: string): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = w.reduce((s, wi, i) => s + wi * Number(body17[i]), 0);
  return body17 + "10X98765432"[sum % 11]!;
}

/** `days` from today at hh:00 in Asia/Shanghai, as an ISO instant (the API stores UTC). */
function shanghai(days: number, hh: number): string {
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  return new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000 + (hh - 8) * 3600_000).toISOString();
}

const doctor = await session("doctor.hadashan");
const coordinator = await session("coord.youtian");
const specialist = await session("spec.youtian.1");
const specialistId = specialist.currentUser()!.id;

// Real time on the same sessions (refreshed by the REST clients).
const doctorLive = createClient({ session: doctor });
const coordinatorLive = createClient({ session: coordinator });
await Promise.all([doctorLive.connected(), coordinatorLive.connected()]);

// 1. Where may this township send a cardiology request? Ranked by consortium link first.
const { items: targets } = await doctor.suggestTargets("CARDIOLOGY", 20);
const target: TargetSuggestion | undefined = targets.find(
  (t) => t.institution.id === coordinator.currentUser()!.institution.id,
);
if (!target) throw new Error("the coordinator's hospital is not a target of this township");
log(`target: ${target.institution.name} (${target.linkLabel})`);

// 2. A request with a wrong ID check digit is refused field by field.
const patient = {
  name: "李桂芝",
  sex: "FEMALE" as const,
  birthDate: "1958-07-21",
  idNumber: idNumber("22072119580721402"),
  recordNumber: "HDS-2026-0420",
};
let refusedField = "";
try {
  await doctor.createConsultation({
    patient: { ...patient, idNumber: patient.idNumber.slice(0, 17) + (patient.idNumber.endsWith("1") ? "2" : "1") },
  });
} catch (e) {
  if (!isYilianError(e) || e.code !== "VALIDATION_FAILED") throw e;
  refusedField = e.issues[0]?.path ?? "";
}

// 3. Draft, submit: the coordinator's queue hears of it, and so do the doctor's other devices.
const draft = await doctor.createConsultation({
  patient,
  urgency: "URGENT",
  kind: "ECG_READING",
  specialtyCode: "CARDIOLOGY",
  targetInstitutionId: target.institution.id,
  chiefComplaint: "活动后胸闷 2 周",
  examinations: "心电图：窦性心律，V4–V6 ST 段压低 0.1 mV",
  question: "请判读心电图，是否提示心肌缺血？",
});
const queued = coordinatorLive.notifications.next(
  (name, e) => name === "consultation:queued" && e.consultationId === draft.id,
);
const submittedHere = doctorLive.notifications.next(
  (name, e) => name === "consultation:submitted" && e.consultationId === draft.id,
);
await doctor.submitConsultation(draft.id);
const queuedAt = Date.now();
await queued;
const eventMs = Date.now() - queuedAt;
await submittedHere;

// 4. Accepted: the doctor is told live.
const accepted = doctorLive.notifications.next(
  (name, e) => name === "consultation:accepted" && e.consultationId === draft.id,
);
await coordinator.acceptConsultation(draft.id, [specialistId], "由心血管内科判读");
await accepted;

// 5. The specialist opens a window, the coordinator books the first slot, then moves it; the invite follows.
const from = shanghai(33, 15);
await specialist.addAvailabilityWindow(specialistId, {
  kind: "OPEN",
  startsAt: from,
  endsAt: new Date(Date.parse(from) + 2 * 3600_000).toISOString(),
  slotMinutes: 30,
});
const { items: slots } = await doctor.slots({ specialtyCode: "CARDIOLOGY", specialistId, from, days: 1 });
await coordinator.book(draft.id, slots[0]!.startsAt);
const moved = await coordinator.rescheduleBooking(draft.id, slots[1]!.startsAt, "专家门诊时间调整");
const invite = await specialist.bookingInvite(draft.id);

// 6. The reading: writing the report starts it, signing reports it.
await specialist.saveReport(draft.id, {
  findings: "V4–V6 ST 段水平型压低 0.1 mV。",
  impression: "提示前侧壁心肌缺血可能。",
  recommendations: "完善心肌酶、心脏彩超，必要时上转行冠脉造影。",
  referralAdvice: "UP",
});
const reported: ConsultationDetail = await specialist.signReport(draft.id);

// 7. The doctor's records: PDF, FHIR (ID masked unless revealed, which is audited), decision → CLOSED.
const pdf = await doctor.reportPdf(draft.id);
const fhir = await doctor.fhirBundle(draft.id);
const fhirPatient = fhir.entry.find((e) => e.resource.resourceType === "Patient")!.resource as {
  identifier?: { value?: string }[];
};
const closed = await doctor.recordDecision(draft.id, { outcome: "FOLLOWED", decision: "已预约上级医院冠脉造影。" });

// 8. Someone acting on an old screen gets 409 with the status as it is now.
let conflict: { code: string; currentStatus?: string } | null = null;
try {
  await coordinator.acceptConsultation(draft.id, [specialistId]);
} catch (e) {
  if (!isYilianError(e)) throw e;
  conflict = { code: e.code, currentStatus: e.currentStatus };
}

doctorLive.close();
coordinatorLive.close();
await Promise.all([doctor.logout(), coordinator.logout(), specialist.logout()]);

console.log(
  JSON.stringify({
    number: draft.number,
    refusedField,
    eventMs,
    booked: moved.booking,
    inviteStart: /DTSTART;TZID=Asia\/Shanghai:(\d{8}T\d{6})/.exec(invite)?.[1] ?? null,
    reportedStatus: reported.status,
    pdfBytes: pdf.blob.size,
    fhirIdValues: (fhirPatient.identifier ?? []).map((i) => i.value ?? null),
    closed: `${closed.status} ${consultationStatusLabel[closed.status]}`,
    timeline: closed.timeline.map((t) => t.to),
    conflict,
  }),
);
