// Consultation, scheduling and referral endpoints: a table of schema + use case, nothing else.
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import {
  AvailabilityRuleView, AvailabilityView, AvailabilityWindowView, ConsultationDetail, ConsultationPage, ReferralBookingView, ReferralPage, ReferralView,
  RevealedIdNumber, SchedulingPolicyView, SlaPoliciesView, SlaPolicyView, SlotList, SpecialistPresence, TargetSuggestion, WeekendExpertDaysView, listOf,
  AcceptInput, AmendInput, AvailabilityRuleInput, AvailabilityWindowInput, BookInput, ConsultationDraftInput, ConsultationDraftPatch,
  ConsultationListQuery, DecisionInput, Id, IdParams, Pagination, ReasonInput, ReferralBookInput, ReferralInput, ReportInput,
  QueryBoolean, RescheduleInput, SchedulingPolicyInput, SlaPolicyInput, SlotSearchQuery, SubmitInput, SuggestTargetsQuery, TriageQueueQuery, WeekendExpertDaysInput,
} from "@yilian/contract";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { createDraft } from "./create-draft";
import { updateDraft } from "./update-draft";
import { submitConsultation } from "./submit-consultation";
import { acceptConsultation } from "./accept-consultation";
import { rejectConsultation, returnConsultation } from "./return-consultation";
import { cancelConsultation } from "./cancel-consultation";
import { writeReport } from "./write-report";
import { signReport } from "./sign-report";
import { amendReport } from "./amend-report";
import { recordDecision } from "./record-decision";
import { getConsultation, listConsultations, revealIdNumber, triageQueue } from "./read-consultations";
import { suggestTargets } from "./routing";
import { listSlaPolicies, putSchedulingPolicy, putSlaPolicy } from "./policies";
import { institutionPresence } from "./presence";
import { exportFhir } from "./export-fhir";
import { reportPdf } from "./report-pdf";
import { consultationDetail } from "./view";
import { loadConsultation } from "./access";
import { addRule, addWindow, listAvailability, publishWeekendExpertDays, removeAvailability } from "../scheduling/availability";
import { searchSlots } from "../scheduling/search";
import { bookConsultation, cancelBooking, rescheduleBooking } from "../scheduling/book";
import { bookingInvite } from "../scheduling/ics";
import { bookReferral, createReferral, getReferral, listReferrals, moveReferral } from "../referrals/referrals";
import { AppError, ErrorCode } from "@yilian/contract";
import { hasRole } from "../authz/principal";
import { deidentifiedDetail, seesPatientIdentity } from "./minimum-necessary";

const empty = z.object({});
const TargetList = listOf(TargetSuggestion);
const PresenceList = listOf(SpecialistPresence);
const FhirExportQuery = z.object({ revealIdNumber: QueryBoolean.optional() });
const SpecialistParams = z.object({ id: Id });
const AvailabilityItemParams = z.object({ id: Id, itemId: Id });

export function consultationRoutes(deps: ConsultationDeps, requireAuth: RequestHandler): Router {
  const router = Router();
  const route = routeGroup(router, { prefix: "/api", tag: "consultations", auth: requireAuth });
  const { db } = deps;

  // ---- request
  route({ method: "post", path: "/consultations", summary: "File a consultation request (saved as a draft)", schemas: { body: ConsultationDraftInput }, response: ConsultationDetail, status: 201 }, async ({ body }, _req, res) => {
    return createDraft(deps, currentUser(res), body);
  });
  route({ method: "get", path: "/consultations", summary: "Consultations I may see", schemas: { query: ConsultationListQuery }, response: ConsultationPage }, ({ query }, _req, res) =>
    listConsultations(db, currentUser(res), query),
  );
  route({ method: "get", path: "/consultations/triage", summary: "Triage queue of the receiving institution (urgency, then age)", schemas: { query: TriageQueueQuery }, response: ConsultationPage }, ({ query }, _req, res) =>
    triageQueue(db, currentUser(res), query),
  );
  route({ method: "get", path: "/consultations/targets", summary: "Suggested target institutions, best first", schemas: { query: SuggestTargetsQuery }, response: TargetList }, async ({ query }, _req, res) => {
    if (!(await db.specialty.findUnique({ where: { code: query.specialtyCode } }))) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, `未知的专科代码：${query.specialtyCode}`, { issues: [{ path: "query.specialtyCode", message: "未知的专科代码" }] });
    }
    return { items: await suggestTargets(db, currentUser(res).institutionId, query.specialtyCode, query.limit) };
  });
  route({ method: "get", path: "/consultations/presence", summary: "Presence of my institution's specialists (coordinators)", schemas: { query: empty }, response: PresenceList }, async (_v, _req, res) => {
    const user = currentUser(res);
    if (!hasRole(user, "COORDINATOR", "INSTITUTION_ADMIN")) throw new AppError(ErrorCode.FORBIDDEN);
    return { items: await institutionPresence(db, deps.redis, deps.config.REDIS_PREFIX, user.institutionId) };
  });
  route({ method: "get", path: "/consultations/:id", summary: "One consultation (audited read of patient data)", schemas: { params: IdParams }, response: ConsultationDetail }, ({ params }, _req, res) =>
    getConsultation(db, currentUser(res), params.id),
  );
  route({ method: "post", path: "/consultations/:id/reveal-id", summary: "Full patient ID number (treating doctors; audited)", schemas: { params: IdParams, body: empty }, response: RevealedIdNumber }, ({ params }, _req, res) =>
    revealIdNumber(db, currentUser(res), params.id, deps.config.PATIENT_DATA_KEY),
  );
  route({ method: "patch", path: "/consultations/:id", summary: "Edit a draft or a returned request", schemas: { params: IdParams, body: ConsultationDraftPatch }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    updateDraft(deps, currentUser(res), params.id, body),
  );
  route({ method: "post", path: "/consultations/:id/submit", summary: "Submit (DRAFT/RETURNED → SUBMITTED)", schemas: { params: IdParams, body: SubmitInput }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    submitConsultation(deps, currentUser(res), params.id, body.note),
  );
  route({ method: "post", path: "/consultations/:id/accept", summary: "Accept with assigned specialists (SUBMITTED → ACCEPTED)", schemas: { params: IdParams, body: AcceptInput }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    acceptConsultation(deps, currentUser(res), params.id, body),
  );
  route({ method: "post", path: "/consultations/:id/return", summary: "Return for more information (SUBMITTED → RETURNED)", schemas: { params: IdParams, body: ReasonInput }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    returnConsultation(deps, currentUser(res), params.id, body.reason),
  );
  route({ method: "post", path: "/consultations/:id/reject", summary: "Reject with a reason (SUBMITTED → REJECTED)", schemas: { params: IdParams, body: ReasonInput }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    rejectConsultation(deps, currentUser(res), params.id, body.reason),
  );
  route({ method: "post", path: "/consultations/:id/cancel", summary: "Withdraw the request", schemas: { params: IdParams, body: ReasonInput }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    cancelConsultation(deps, currentUser(res), params.id, body.reason),
  );

  // ---- scheduling
  route({ method: "post", path: "/consultations/:id/booking", summary: "Book a time (ACCEPTED → SCHEDULED)", schemas: { params: IdParams, body: BookInput }, response: ConsultationDetail, status: 201 }, async ({ params, body }, _req, res) => {
    return bookConsultation(deps, currentUser(res), params.id, body);
  });
  route({ method: "put", path: "/consultations/:id/booking", summary: "Reschedule with a reason", schemas: { params: IdParams, body: RescheduleInput }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    rescheduleBooking(deps, currentUser(res), params.id, body),
  );
  route({ method: "delete", path: "/consultations/:id/booking", summary: "Cancel the booked time with a reason (SCHEDULED → ACCEPTED)", schemas: { params: IdParams, body: ReasonInput }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    cancelBooking(deps, currentUser(res), params.id, body.reason),
  );
  route({ method: "get", path: "/consultations/:id/booking.ics", summary: "iCalendar invite of the booked time", schemas: { params: IdParams }, produces: ["text/calendar"] }, async ({ params }, _req, res) => {
    const user = currentUser(res);
    const c = await loadConsultation(db, user, params.id, "consultation.ics");
    const booking = await db.booking.findFirst({ where: { consultationId: c.id }, orderBy: { createdAt: "desc" } });
    if (!booking) throw new AppError(ErrorCode.NOT_FOUND, "该会诊尚未预约");
    const [people, target, sequence] = await Promise.all([
      db.user.findMany({ where: { id: { in: c.participants.map((p) => p.userId) } }, select: { id: true, displayName: true } }),
      db.institution.findUnique({ where: { id: c.targetInstitutionId! }, select: { name: true } }),
      db.booking.count({ where: { consultationId: c.id } }),
    ]);
    const base = deps.config.PUBLIC_URL ?? "http://127.0.0.1:" + deps.config.PORT;
    res.type("text/calendar; charset=utf-8").setHeader("content-disposition", `attachment; filename="${c.number}.ics"`);
    res.send(
      bookingInvite({
        bookingId: booking.id, number: c.number, startsAt: booking.startsAt, endsAt: booking.endsAt, sequence: sequence - 1, institutionName: target?.name ?? "",
        url: `${base}/consultations/${c.id}/room`, attendees: people.map((p) => ({ id: p.id, name: p.displayName })), cancelled: booking.status !== "ACTIVE",
      }),
    );
  });
  route({ method: "get", path: "/slots", summary: "Next free slots for a specialty (at an institution)", schemas: { query: SlotSearchQuery }, response: SlotList }, ({ query }) => searchSlots(db, query));
  route({ method: "get", path: "/specialists/:id/availability", summary: "A specialist's weekly rules and windows", schemas: { params: SpecialistParams }, response: AvailabilityView }, ({ params }, _req, res) =>
    listAvailability(db, currentUser(res), params.id),
  );
  route({ method: "post", path: "/specialists/:id/availability/rules", summary: "Add a weekly window (e.g. weekend expert day)", schemas: { params: SpecialistParams, body: AvailabilityRuleInput }, response: AvailabilityRuleView, status: 201 }, async ({ params, body }, _req, res) => {
    return addRule(db, currentUser(res), params.id, body);
  });
  route({ method: "post", path: "/institutions/:id/weekend-expert-days", summary: "Publish weekend expert days (周末专家下沉) for several experts", schemas: { params: IdParams, body: WeekendExpertDaysInput }, response: WeekendExpertDaysView, status: 201 }, async ({ params, body }, _req, res) => {
    return publishWeekendExpertDays(db, currentUser(res), params.id, body);
  });
  route({ method: "post", path: "/specialists/:id/availability/windows", summary: "Add a one-off window or an exception", schemas: { params: SpecialistParams, body: AvailabilityWindowInput }, response: AvailabilityWindowView, status: 201 }, async ({ params, body }, _req, res) => {
    return addWindow(db, currentUser(res), params.id, body);
  });
  route({ method: "delete", path: "/specialists/:id/availability/rules/:itemId", summary: "Remove a weekly window", schemas: { params: AvailabilityItemParams }, status: 204 }, ({ params }, _req, res) =>
    removeAvailability(db, currentUser(res), params.id, "rule", params.itemId),
  );
  route({ method: "delete", path: "/specialists/:id/availability/windows/:itemId", summary: "Remove a one-off window or exception", schemas: { params: AvailabilityItemParams }, status: 204 }, ({ params }, _req, res) =>
    removeAvailability(db, currentUser(res), params.id, "window", params.itemId),
  );

  // ---- report
  route({ method: "put", path: "/consultations/:id/report", summary: "Save the report draft", schemas: { params: IdParams, body: ReportInput }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    writeReport(deps, currentUser(res), params.id, body),
  );
  route({ method: "post", path: "/consultations/:id/report/sign", summary: "Sign the report (→ REPORTED)", schemas: { params: IdParams, body: empty }, response: ConsultationDetail }, ({ params }, _req, res) =>
    signReport(deps, currentUser(res), params.id),
  );
  route({ method: "post", path: "/consultations/:id/report/amendments", summary: "Amend a signed report with a reason", schemas: { params: IdParams, body: AmendInput }, response: ConsultationDetail, status: 201 }, async ({ params, body }, _req, res) => {
    return amendReport(deps, currentUser(res), params.id, body);
  });
  route({ method: "post", path: "/consultations/:id/decision", summary: "Record the decision taken (→ CLOSED)", schemas: { params: IdParams, body: DecisionInput }, response: ConsultationDetail }, ({ params, body }, _req, res) =>
    recordDecision(deps, currentUser(res), params.id, body),
  );
  route({ method: "get", path: "/consultations/:id/report.pdf", summary: "The signed report as PDF (Chinese)", schemas: { params: IdParams }, produces: ["application/pdf"] }, async ({ params }, _req, res) => {
    const user = currentUser(res);
    const c = await loadConsultation(db, user, params.id, "report.pdf");
    const identified = seesPatientIdentity(user, c);
    const detail = identified ? await consultationDetail(db, c) : await deidentifiedDetail(db, await consultationDetail(db, c));
    if (!detail.report || detail.report.status !== "SIGNED") throw new AppError(ErrorCode.NOT_FOUND, "报告尚未签发");
    const specialty = c.specialtyCode ? await db.specialty.findUnique({ where: { code: c.specialtyCode } }) : null;
    const pdf = await reportPdf(detail, specialty?.name ?? null);
    await audit(db, { action: "report.pdf", entityType: "Consultation", entityId: c.id, outcome: "SUCCESS", ...(identified ? {} : { detail: { deidentified: true } }) });
    res.type("application/pdf").setHeader("content-disposition", `attachment; filename="${c.number}.pdf"`);
    res.send(pdf);
  });
  route({ method: "get", path: "/consultations/:id/fhir", summary: "FHIR R4 Bundle (Patient, ServiceRequest, Appointment, DiagnosticReport); ID number masked unless revealIdNumber=true (treating doctors; audited)", schemas: { params: IdParams, query: FhirExportQuery }, produces: ["application/fhir+json"] }, async ({ params, query }, _req, res) => {
    const bundle = await exportFhir(db, currentUser(res), params.id, { revealIdNumber: query.revealIdNumber ?? false, key: deps.config.PATIENT_DATA_KEY });
    res.type("application/fhir+json").json(bundle);
  });

  // ---- referral
  route({ method: "post", path: "/referrals", summary: "Refer a patient UP or DOWN (双向转诊)", schemas: { body: ReferralInput }, response: ReferralView, status: 201 }, async ({ body }, _req, res) => {
    return createReferral(deps, currentUser(res), body);
  });
  route({ method: "get", path: "/referrals", summary: "Referrals I may see", schemas: { query: Pagination }, response: ReferralPage }, ({ query }, _req, res) => listReferrals(deps, currentUser(res), query));
  route({ method: "get", path: "/referrals/:id", summary: "One referral (audited)", schemas: { params: IdParams }, response: ReferralView }, ({ params }, _req, res) => getReferral(deps, currentUser(res), params.id));
  route({ method: "post", path: "/referrals/:id/accept", summary: "Receiving coordinator accepts", schemas: { params: IdParams, body: empty }, response: ReferralView }, ({ params }, _req, res) =>
    moveReferral(deps, currentUser(res), params.id, "accept"),
  );
  route({ method: "post", path: "/referrals/:id/decline", summary: "Receiving coordinator declines with a reason", schemas: { params: IdParams, body: ReasonInput }, response: ReferralView }, ({ params, body }, _req, res) =>
    moveReferral(deps, currentUser(res), params.id, "decline", body.reason),
  );
  route({ method: "post", path: "/referrals/:id/arrive", summary: "The patient arrived", schemas: { params: IdParams, body: empty }, response: ReferralView }, ({ params }, _req, res) =>
    moveReferral(deps, currentUser(res), params.id, "arrive"),
  );
  route({ method: "post", path: "/referrals/:id/cancel", summary: "The requester withdraws", schemas: { params: IdParams, body: ReasonInput }, response: ReferralView }, ({ params, body }, _req, res) =>
    moveReferral(deps, currentUser(res), params.id, "cancel", body.reason),
  );
  route({ method: "post", path: "/referrals/:id/booking", summary: "Book the referred patient's visit (reserved slots allowed)", schemas: { params: IdParams, body: ReferralBookInput }, response: ReferralBookingView, status: 201 }, async ({ params, body }, _req, res) => {
    return bookReferral(deps, currentUser(res), params.id, body);
  });

  // ---- network settings
  route({ method: "get", path: "/sla-policies", summary: "Response limits per urgency", schemas: { query: empty }, response: SlaPoliciesView }, () => listSlaPolicies(db));
  route({ method: "put", path: "/sla-policies", summary: "Set a response limit (province-wide or per consortium)", schemas: { body: SlaPolicyInput }, response: SlaPolicyView }, ({ body }, _req, res) =>
    putSlaPolicy(db, currentUser(res), body),
  );
  route({ method: "put", path: "/institutions/:id/scheduling-policy", summary: "Reserved referral share of an institution's slots", schemas: { params: IdParams, body: SchedulingPolicyInput }, response: SchedulingPolicyView }, ({ params, body }, _req, res) =>
    putSchedulingPolicy(db, currentUser(res), params.id, body.reservedReferralShare),
  );
  return router;
}
