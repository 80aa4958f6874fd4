// Two-way referral (双向转诊) endpoints, mounted by the consultation module in its route group.
import { z } from "zod";
import {
  IdParams,
  Pagination,
  ReasonInput,
  ReferralBookInput,
  ReferralBookingView,
  ReferralInput,
  ReferralPage,
  ReferralView,
} from "@yilian/contract";
import type { Route } from "../http/route";
import { currentUser } from "../auth/middleware";
import type { ConsultationDeps } from "../consultations/deps";
import { bookReferral, createReferral, getReferral, listReferrals, moveReferral } from "./referrals";

const empty = z.object({});

export function referralRoutes(route: Route, deps: ConsultationDeps): void {
  route(
    {
      method: "post",
      path: "/referrals",
      summary: "Refer a patient UP or DOWN (双向转诊)",
      schemas: { body: ReferralInput },
      response: ReferralView,
      status: 201,
    },
    async ({ body }, _req, res) => {
      return createReferral(deps, currentUser(res), body);
    },
  );
  route(
    {
      method: "get",
      path: "/referrals",
      summary: "Referrals I may see",
      schemas: { query: Pagination },
      response: ReferralPage,
    },
    ({ query }, _req, res) => listReferrals(deps, currentUser(res), query),
  );
  route(
    {
      method: "get",
      path: "/referrals/:id",
      summary: "One referral (audited)",
      schemas: { params: IdParams },
      response: ReferralView,
    },
    ({ params }, _req, res) => getReferral(deps, currentUser(res), params.id),
  );
  route(
    {
      method: "post",
      path: "/referrals/:id/accept",
      summary: "Receiving coordinator accepts",
      schemas: { params: IdParams, body: empty },
      response: ReferralView,
    },
    ({ params }, _req, res) => moveReferral(deps, currentUser(res), params.id, "accept"),
  );
  route(
    {
      method: "post",
      path: "/referrals/:id/decline",
      summary: "Receiving coordinator declines with a reason",
      schemas: { params: IdParams, body: ReasonInput },
      response: ReferralView,
    },
    ({ params, body }, _req, res) => moveReferral(deps, currentUser(res), params.id, "decline", body.reason),
  );
  route(
    {
      method: "post",
      path: "/referrals/:id/arrive",
      summary: "The patient arrived",
      schemas: { params: IdParams, body: empty },
      response: ReferralView,
    },
    ({ params }, _req, res) => moveReferral(deps, currentUser(res), params.id, "arrive"),
  );
  route(
    {
      method: "post",
      path: "/referrals/:id/cancel",
      summary: "The requester withdraws",
      schemas: { params: IdParams, body: ReasonInput },
      response: ReferralView,
    },
    ({ params, body }, _req, res) => moveReferral(deps, currentUser(res), params.id, "cancel", body.reason),
  );
  route(
    {
      method: "post",
      path: "/referrals/:id/booking",
      summary: "Book the referred patient's visit (reserved slots allowed)",
      schemas: { params: IdParams, body: ReferralBookInput },
      response: ReferralBookingView,
      status: 201,
    },
    async ({ params, body }, _req, res) => {
      return bookReferral(deps, currentUser(res), params.id, body);
    },
  );
}
