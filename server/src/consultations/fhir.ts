// FHIR R4 export of one consultation as a collection Bundle: Patient, ServiceRequest (the request),
// Appointment (the booked time) and DiagnosticReport (the signed opinion). The resident ID number follows the rule
// of every other view: masked (no value, data-absent-reason "masked" on the identifier, security label MASKED) unless the caller
// revealed it through the audited route (export-fhir.ts).
import type {
  Appointment,
  Bundle,
  BundleEntry,
  DiagnosticReport,
  Patient,
  Reference,
  Resource,
  ServiceRequest,
} from "@medplum/fhirtypes";
import type { ConsultationDetail } from "@yilian/contract";

const SYSTEM = "https://yilian.example.cn/fhir";
/** GB 11643 resident identity card number (居民身份证号). */
const ID_CARD_SYSTEM = "urn:oid:2.16.156.10011.1.3";
const MASKED = {
  system: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
  code: "MASKED",
  display: "masked",
};
const gender = { MALE: "male", FEMALE: "female", UNKNOWN: "unknown" } as const;
const priority = { ROUTINE: "routine", URGENT: "urgent", EMERGENCY: "stat" } as const;
const srStatus: Record<string, ServiceRequest["status"]> = {
  DRAFT: "draft",
  SUBMITTED: "active",
  RETURNED: "on-hold",
  ACCEPTED: "active",
  SCHEDULED: "active",
  IN_PROGRESS: "active",
  REPORTED: "completed",
  CLOSED: "completed",
  REJECTED: "revoked",
  CANCELLED: "revoked",
  EXPIRED: "revoked",
};

/** `idNumber`: the clear number when revealed for this export, else null (the masked form is used). */
export function consultationBundle(c: ConsultationDetail, opts: { idNumber: string | null }): Bundle {
  const ref = <T extends Resource>(type: T["resourceType"], id: string): Reference<T> => ({
    reference: `urn:uuid:${id}`,
    type,
  });
  const patientId = `${c.id.slice(0, 8)}-0000-4000-8000-${c.id.slice(-12)}`;
  const patient: Patient = {
    resourceType: "Patient",
    id: patientId,
    identifier: [
      ...(c.patient.recordNumber
        ? [{ system: `${SYSTEM}/record-number/${c.requestingInstitution?.id}`, value: c.patient.recordNumber }]
        : []),
      ...(opts.idNumber
        ? [{ system: ID_CARD_SYSTEM, value: opts.idNumber, type: { text: "居民身份证" } }]
        : c.patient.idNumberMasked
          ? [
              {
                system: ID_CARD_SYSTEM,
                type: { text: `居民身份证（已脱敏：${c.patient.idNumberMasked}）` },
                extension: [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "masked" }],
              },
            ]
          : []),
    ],
    ...(!opts.idNumber && c.patient.idNumberMasked ? { meta: { security: [MASKED] } } : {}),
    name: [{ text: c.patient.name }],
    gender: gender[c.patient.sex],
    birthDate: c.patient.birthDate,
  };
  const request: ServiceRequest = {
    resourceType: "ServiceRequest",
    id: c.id,
    identifier: [{ system: `${SYSTEM}/consultation-number`, value: c.number }],
    status: srStatus[c.status]!,
    intent: "order",
    priority: priority[c.urgency],
    category: [{ coding: [{ system: `${SYSTEM}/consultation-kind`, code: c.kind }], text: "远程会诊" }],
    code: {
      text: c.specialtyCode ?? "consultation",
      coding: c.specialtyCode ? [{ system: `${SYSTEM}/specialty`, code: c.specialtyCode }] : [],
    },
    subject: ref<Patient>("Patient", patientId),
    authoredOn: c.submittedAt ?? c.createdAt,
    requester: { display: `${c.requestingDoctor.name}（${c.requestingInstitution?.name ?? ""}）` },
    performer: c.targetInstitution ? [{ display: c.targetInstitution.name }] : undefined,
    reasonCode: c.preliminaryDiagnosis ? [{ text: c.preliminaryDiagnosis }] : undefined,
    note: [{ text: `主诉：${c.chiefComplaint}` }, { text: `会诊目的：${c.question}` }],
  };
  const resources: Resource[] = [patient, request];
  if (c.booking) {
    const appt: Appointment = {
      resourceType: "Appointment",
      id: c.booking.id,
      status: c.status === "CANCELLED" ? "cancelled" : c.status === "SCHEDULED" ? "booked" : "fulfilled",
      start: c.booking.startsAt,
      end: c.booking.endsAt,
      basedOn: [ref<ServiceRequest>("ServiceRequest", c.id)],
      participant: [
        { actor: ref<Patient>("Patient", patientId), status: "accepted" },
        ...c.participants
          .filter((p) => p.role === "SPECIALIST")
          .map((p) => ({ actor: { display: p.name }, status: "accepted" as const })),
      ],
    };
    resources.push(appt);
  }
  if (c.report && c.report.status === "SIGNED") {
    const rep: DiagnosticReport = {
      resourceType: "DiagnosticReport",
      id: `${c.id.slice(0, 8)}-0000-4000-9000-${c.id.slice(-12)}`,
      status: c.report.amendments.length ? "amended" : "final",
      code: { text: "远程会诊报告" },
      subject: ref<Patient>("Patient", patientId),
      basedOn: [ref<ServiceRequest>("ServiceRequest", c.id)],
      issued: c.report.signedAt ?? undefined,
      resultsInterpreter: c.report.signedBy ? [{ display: c.report.signedBy.name }] : undefined,
      conclusion: c.report.impression,
      presentedForm: [
        {
          contentType: "text/plain; charset=utf-8",
          language: "zh-CN",
          title: "会诊报告",
          data: Buffer.from(
            [
              `检查所见：${c.report.findings}`,
              `会诊意见：${c.report.impression}`,
              `诊疗建议：${c.report.recommendations}`,
              `随访建议：${c.report.followUp}`,
            ].join("\n"),
          ).toString("base64"),
        },
      ],
    };
    resources.push(rep);
  }
  const entry: BundleEntry[] = resources.map((r) => ({ fullUrl: `urn:uuid:${r.id}`, resource: r }));
  return {
    resourceType: "Bundle",
    type: "collection",
    timestamp: new Date().toISOString(),
    identifier: { system: `${SYSTEM}/consultation-number`, value: c.number },
    entry,
  };
}
