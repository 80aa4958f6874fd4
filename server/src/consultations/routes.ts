// Consultation endpoints: a table of schema + use case, nothing else. Scheduling and referral routes live in their
// own folders and are mounted here, in this group and at this place, so the OpenAPI document keeps its order.
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import {
  AcceptInput,
  AmendInput,
  ConsultationDetail,
  ConsultationDraftInput,
  ConsultationDraftPatch,
  ConsultationListQuery,
  ConsultationPage,
  DecisionInput,
  IdParams,
  QueryBoolean,
  ReasonInput,
  ReportInput,
  RevealedIdNumber,
  SchedulingPolicyInput,
  SchedulingPolicyView,
  SlaPoliciesView,
  SlaPolicyInput,
  SlaPolicyView,
  SpecialistPresence,
  SubmitInput,
  SuggestTargetsQuery,
  TargetSuggestion,
  TriageQueueQuery,
  listOf,
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
import { loadConsultation } from "./access";
import { schedulingRoutes } from "../scheduling/routes";
import { referralRoutes } from "../referrals/routes";
import { AppError, ErrorCode } from "@yilian/contract";
import { hasRole } from "../authz/principal";
import { detailFor, seesPatientIdentity } from "./minimum-necessary";

const empty = z.object({});
const TargetList = listOf(TargetSuggestion);
const PresenceList = listOf(SpecialistPresence);
const FhirExportQuery = z.object({ revealIdNumber: QueryBoolean.optional() });

export function consultationRoutes(deps: ConsultationDeps, requireAuth: RequestHandler): Router {
  const router = Router();
  const route = routeGroup(router, { prefix: "/api", tag: "consultations", auth: requireAuth });
  const { db } = deps;

  // ---- request
  route(
    {
      method: "post",
      path: "/consultations",
      summary: "File a consultation request (saved as a draft)",
      schemas: { body: ConsultationDraftInput },
      response: ConsultationDetail,
      status: 201,
    },
    async ({ body }, _req, res) => {
      return createDraft(deps, currentUser(res), body);
    },
  );
  route(
    {
      method: "get",
      path: "/consultations",
      summary: "Consultations I may see",
      schemas: { query: ConsultationListQuery },
      response: ConsultationPage,
    },
    ({ query }, _req, res) => listConsultations(db, currentUser(res), query),
  );
  route(
    {
      method: "get",
      path: "/consultations/triage",
      summary: "Triage queue of the receiving institution (urgency, then age)",
      schemas: { query: TriageQueueQuery },
      response: ConsultationPage,
    },
    ({ query }, _req, res) => triageQueue(db, currentUser(res), query),
  );
  route(
    {
      method: "get",
      path: "/consultations/targets",
      summary: "Suggested target institutions, best first",
      schemas: { query: SuggestTargetsQuery },
      response: TargetList,
    },
    async ({ query }, _req, res) => {
      if (!(await db.specialty.findUnique({ where: { code: query.specialtyCode } }))) {
        throw new AppError(ErrorCode.VALIDATION_FAILED, `未知的专科代码：${query.specialtyCode}`, {
          issues: [{ path: "query.specialtyCode", message: "未知的专科代码" }],
        });
      }
      return { items: await suggestTargets(db, currentUser(res).institutionId, query.specialtyCode, query.limit) };
    },
  );
  route(
    {
      method: "get",
      path: "/consultations/presence",
      summary: "Presence of my institution's specialists (coordinators)",
      schemas: { query: empty },
      response: PresenceList,
    },
    async (_v, _req, res) => {
      const user = currentUser(res);
      if (!hasRole(user, "COORDINATOR", "INSTITUTION_ADMIN")) throw new AppError(ErrorCode.FORBIDDEN);
      return { items: await institutionPresence(db, deps.redis, deps.config.REDIS_PREFIX, user.institutionId) };
    },
  );
  route(
    {
      method: "get",
      path: "/consultations/:id",
      summary: "One consultation (audited read of patient data)",
      schemas: { params: IdParams },
      response: ConsultationDetail,
    },
    ({ params }, _req, res) => getConsultation(db, currentUser(res), params.id),
  );
  route(
    {
      method: "post",
      path: "/consultations/:id/reveal-id",
      summary: "Full patient ID number (treating doctors; audited)",
      schemas: { params: IdParams, body: empty },
      response: RevealedIdNumber,
    },
    ({ params }, _req, res) => revealIdNumber(db, currentUser(res), params.id, deps.config.PATIENT_DATA_KEY),
  );
  route(
    {
      method: "patch",
      path: "/consultations/:id",
      summary: "Edit a draft or a returned request",
      schemas: { params: IdParams, body: ConsultationDraftPatch },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => updateDraft(deps, currentUser(res), params.id, body),
  );
  route(
    {
      method: "post",
      path: "/consultations/:id/submit",
      summary: "Submit (DRAFT/RETURNED → SUBMITTED)",
      schemas: { params: IdParams, body: SubmitInput },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => submitConsultation(deps, currentUser(res), params.id, body.note),
  );
  route(
    {
      method: "post",
      path: "/consultations/:id/accept",
      summary: "Accept with assigned specialists (SUBMITTED → ACCEPTED)",
      schemas: { params: IdParams, body: AcceptInput },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => acceptConsultation(deps, currentUser(res), params.id, body),
  );
  route(
    {
      method: "post",
      path: "/consultations/:id/return",
      summary: "Return for more information (SUBMITTED → RETURNED)",
      schemas: { params: IdParams, body: ReasonInput },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => returnConsultation(deps, currentUser(res), params.id, body.reason),
  );
  route(
    {
      method: "post",
      path: "/consultations/:id/reject",
      summary: "Reject with a reason (SUBMITTED → REJECTED)",
      schemas: { params: IdParams, body: ReasonInput },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => rejectConsultation(deps, currentUser(res), params.id, body.reason),
  );
  route(
    {
      method: "post",
      path: "/consultations/:id/cancel",
      summary: "Withdraw the request",
      schemas: { params: IdParams, body: ReasonInput },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => cancelConsultation(deps, currentUser(res), params.id, body.reason),
  );

  schedulingRoutes(route, deps);

  // ---- report
  route(
    {
      method: "put",
      path: "/consultations/:id/report",
      summary: "Save the report draft",
      schemas: { params: IdParams, body: ReportInput },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => writeReport(deps, currentUser(res), params.id, body),
  );
  route(
    {
      method: "post",
      path: "/consultations/:id/report/sign",
      summary: "Sign the report (→ REPORTED)",
      schemas: { params: IdParams, body: empty },
      response: ConsultationDetail,
    },
    ({ params }, _req, res) => signReport(deps, currentUser(res), params.id),
  );
  route(
    {
      method: "post",
      path: "/consultations/:id/report/amendments",
      summary: "Amend a signed report with a reason",
      schemas: { params: IdParams, body: AmendInput },
      response: ConsultationDetail,
      status: 201,
    },
    async ({ params, body }, _req, res) => {
      return amendReport(deps, currentUser(res), params.id, body);
    },
  );
  route(
    {
      method: "post",
      path: "/consultations/:id/decision",
      summary: "Record the decision taken (→ CLOSED)",
      schemas: { params: IdParams, body: DecisionInput },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => recordDecision(deps, currentUser(res), params.id, body),
  );
  route(
    {
      method: "get",
      path: "/consultations/:id/report.pdf",
      summary: "The signed report as PDF (Chinese)",
      schemas: { params: IdParams },
      produces: ["application/pdf"],
    },
    async ({ params }, _req, res) => {
      const user = currentUser(res);
      const c = await loadConsultation(db, user, params.id, "report.pdf");
      const identified = seesPatientIdentity(user, c);
      const detail = await detailFor(db, c, user);
      if (!detail.report || detail.report.status !== "SIGNED") throw new AppError(ErrorCode.NOT_FOUND, "报告尚未签发");
      const specialty = c.specialtyCode ? await db.specialty.findUnique({ where: { code: c.specialtyCode } }) : null;
      const pdf = await reportPdf(detail, specialty?.name ?? null);
      await audit(db, {
        action: "report.pdf",
        entityType: "Consultation",
        entityId: c.id,
        outcome: "SUCCESS",
        ...(identified ? {} : { detail: { deidentified: true } }),
      });
      res.type("application/pdf").setHeader("content-disposition", `attachment; filename="${c.number}.pdf"`);
      res.send(pdf);
    },
  );
  route(
    {
      method: "get",
      path: "/consultations/:id/fhir",
      summary:
        "FHIR R4 Bundle (Patient, ServiceRequest, Appointment, DiagnosticReport); ID number masked unless revealIdNumber=true (treating doctors; audited)",
      schemas: { params: IdParams, query: FhirExportQuery },
      produces: ["application/fhir+json"],
    },
    async ({ params, query }, _req, res) => {
      const bundle = await exportFhir(db, currentUser(res), params.id, {
        revealIdNumber: query.revealIdNumber ?? false,
        key: deps.config.PATIENT_DATA_KEY,
      });
      res.type("application/fhir+json").json(bundle);
    },
  );

  referralRoutes(route, deps);

  // ---- network settings
  route(
    {
      method: "get",
      path: "/sla-policies",
      summary: "Response limits per urgency",
      schemas: { query: empty },
      response: SlaPoliciesView,
    },
    () => listSlaPolicies(db),
  );
  route(
    {
      method: "put",
      path: "/sla-policies",
      summary: "Set a response limit (province-wide or per consortium)",
      schemas: { body: SlaPolicyInput },
      response: SlaPolicyView,
    },
    ({ body }, _req, res) => putSlaPolicy(db, currentUser(res), body),
  );
  route(
    {
      method: "put",
      path: "/institutions/:id/scheduling-policy",
      summary: "Reserved referral share of an institution's slots",
      schemas: { params: IdParams, body: SchedulingPolicyInput },
      response: SchedulingPolicyView,
    },
    ({ params, body }, _req, res) => putSchedulingPolicy(db, currentUser(res), params.id, body.reservedReferralShare),
  );
  return router;
}
