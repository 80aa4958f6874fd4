// Booking, slot search and specialists' availability: a table of schema + use case, mounted by the consultation
// module in its route group (same tag and order in the OpenAPI document).
import { z } from "zod";
import {
  AppError,
  AvailabilityRuleInput,
  AvailabilityRuleView,
  AvailabilityView,
  AvailabilityWindowInput,
  AvailabilityWindowView,
  BookInput,
  ConsultationDetail,
  ErrorCode,
  Id,
  IdParams,
  ReasonInput,
  RescheduleInput,
  SlotList,
  SlotSearchQuery,
  WeekendExpertDaysInput,
  WeekendExpertDaysView,
} from "@yilian/contract";
import type { Route } from "../http/route";
import { currentUser } from "../auth/middleware";
import type { ConsultationDeps } from "../consultations/deps";
import { loadConsultation } from "../consultations/access";
import { addRule, addWindow, listAvailability, publishWeekendExpertDays, removeAvailability } from "./availability";
import { searchSlots } from "./search";
import { bookConsultation, cancelBooking, rescheduleBooking } from "./book";
import { bookingInvite } from "./ics";

const SpecialistParams = z.object({ id: Id });
const AvailabilityItemParams = z.object({ id: Id, itemId: Id });

export function schedulingRoutes(route: Route, deps: ConsultationDeps): void {
  const { db } = deps;
  route(
    {
      method: "post",
      path: "/consultations/:id/booking",
      summary: "Book a time (ACCEPTED → SCHEDULED)",
      schemas: { params: IdParams, body: BookInput },
      response: ConsultationDetail,
      status: 201,
    },
    async ({ params, body }, _req, res) => {
      return bookConsultation(deps, currentUser(res), params.id, body);
    },
  );
  route(
    {
      method: "put",
      path: "/consultations/:id/booking",
      summary: "Reschedule with a reason",
      schemas: { params: IdParams, body: RescheduleInput },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => rescheduleBooking(deps, currentUser(res), params.id, body),
  );
  route(
    {
      method: "delete",
      path: "/consultations/:id/booking",
      summary: "Cancel the booked time with a reason (SCHEDULED → ACCEPTED)",
      schemas: { params: IdParams, body: ReasonInput },
      response: ConsultationDetail,
    },
    ({ params, body }, _req, res) => cancelBooking(deps, currentUser(res), params.id, body.reason),
  );
  route(
    {
      method: "get",
      path: "/consultations/:id/booking.ics",
      summary: "iCalendar invite of the booked time",
      schemas: { params: IdParams },
      produces: ["text/calendar"],
    },
    async ({ params }, _req, res) => {
      const user = currentUser(res);
      const c = await loadConsultation(db, user, params.id, "consultation.ics");
      const booking = await db.booking.findFirst({ where: { consultationId: c.id }, orderBy: { createdAt: "desc" } });
      if (!booking) throw new AppError(ErrorCode.NOT_FOUND, "该会诊尚未预约");
      const [people, target, sequence] = await Promise.all([
        db.user.findMany({
          where: { id: { in: c.participants.map((p) => p.userId) } },
          select: { id: true, displayName: true },
        }),
        db.institution.findUnique({ where: { id: c.targetInstitutionId! }, select: { name: true } }),
        db.booking.count({ where: { consultationId: c.id } }),
      ]);
      const base = deps.config.PUBLIC_URL ?? "http://127.0.0.1:" + deps.config.PORT;
      res
        .type("text/calendar; charset=utf-8")
        .setHeader("content-disposition", `attachment; filename="${c.number}.ics"`);
      res.send(
        bookingInvite({
          bookingId: booking.id,
          number: c.number,
          startsAt: booking.startsAt,
          endsAt: booking.endsAt,
          sequence: sequence - 1,
          institutionName: target?.name ?? "",
          url: `${base}/consultations/${c.id}/room`,
          attendees: people.map((p) => ({ id: p.id, name: p.displayName })),
          cancelled: booking.status !== "ACTIVE",
        }),
      );
    },
  );
  route(
    {
      method: "get",
      path: "/slots",
      summary: "Next free slots for a specialty (at an institution)",
      schemas: { query: SlotSearchQuery },
      response: SlotList,
    },
    ({ query }) => searchSlots(db, query),
  );
  route(
    {
      method: "get",
      path: "/specialists/:id/availability",
      summary: "A specialist's weekly rules and windows",
      schemas: { params: SpecialistParams },
      response: AvailabilityView,
    },
    ({ params }, _req, res) => listAvailability(db, currentUser(res), params.id),
  );
  route(
    {
      method: "post",
      path: "/specialists/:id/availability/rules",
      summary: "Add a weekly window (e.g. weekend expert day)",
      schemas: { params: SpecialistParams, body: AvailabilityRuleInput },
      response: AvailabilityRuleView,
      status: 201,
    },
    async ({ params, body }, _req, res) => {
      return addRule(db, currentUser(res), params.id, body);
    },
  );
  route(
    {
      method: "post",
      path: "/institutions/:id/weekend-expert-days",
      summary: "Publish weekend expert days (周末专家下沉) for several experts",
      schemas: { params: IdParams, body: WeekendExpertDaysInput },
      response: WeekendExpertDaysView,
      status: 201,
    },
    async ({ params, body }, _req, res) => {
      return publishWeekendExpertDays(db, currentUser(res), params.id, body);
    },
  );
  route(
    {
      method: "post",
      path: "/specialists/:id/availability/windows",
      summary: "Add a one-off window or an exception",
      schemas: { params: SpecialistParams, body: AvailabilityWindowInput },
      response: AvailabilityWindowView,
      status: 201,
    },
    async ({ params, body }, _req, res) => {
      return addWindow(db, currentUser(res), params.id, body);
    },
  );
  route(
    {
      method: "delete",
      path: "/specialists/:id/availability/rules/:itemId",
      summary: "Remove a weekly window",
      schemas: { params: AvailabilityItemParams },
      status: 204,
    },
    ({ params }, _req, res) => removeAvailability(db, currentUser(res), params.id, "rule", params.itemId),
  );
  route(
    {
      method: "delete",
      path: "/specialists/:id/availability/windows/:itemId",
      summary: "Remove a one-off window or exception",
      schemas: { params: AvailabilityItemParams },
      status: 204,
    },
    ({ params }, _req, res) => removeAvailability(db, currentUser(res), params.id, "window", params.itemId),
  );
}
