// REST endpoints of remote training; thin: validation by the contract schemas, logic in the use-case files.
import { Router, type RequestHandler, type Response } from "express";
import {
  InstitutionMonthAttendanceView,
  MyAttendanceView,
  SessionAttendanceView,
  TrainingQuestionPage,
  TrainingSessionPage,
  AttendanceReportQuery,
  CancelTrainingBody,
  IdParams,
  InstitutionAttendanceQuery,
  QuestionListQuery,
  ScheduleTrainingBody,
  TrainingCatalogueQuery,
  TrainingRegistrationView,
  TrainingSessionView,
  trainingRooms,
} from "@yilian/contract";
import type { Db } from "../db";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import { loadVisibleSession } from "./session-access";
import { toViews } from "./session-view";
import { scheduleTraining } from "./schedule-training";
import { catalogue, getSessionView } from "./read-sessions";
import { cancelTraining } from "./cancel-training";
import { startTraining } from "./start-training";
import { endTraining } from "./end-training";
import { cancelRegistration, register } from "./registration";
import {
  institutionMonthAttendance,
  institutionMonthFile,
  sessionAttendance,
  sessionAttendanceFile,
  type ReportFile,
} from "./reports";
import { announceCancellation, announceSession, type TrainingQueues } from "./jobs";
import { finalizeAttendance } from "./presence";
import type { EventSink, TrainingLive } from "./live";

export interface TrainingRouteDeps {
  db: Db;
  requireAuth: RequestHandler;
  live: TrainingLive;
  queues: TrainingQueues;
  sink: EventSink;
}

function sendFile(res: Response, f: ReportFile): void {
  res.setHeader("content-type", f.contentType);
  res.setHeader(
    "content-disposition",
    `attachment; filename="report.${f.filename.split(".").pop()}"; filename*=UTF-8''${encodeURIComponent(f.filename)}`,
  );
  res.setHeader("cache-control", "no-store");
  res.end(f.body);
}

export function trainingRoutes(deps: TrainingRouteDeps): Router {
  const router = Router();
  const route = routeGroup(router, { prefix: "/api/training", tag: "training", auth: deps.requireAuth });
  const { db, live, queues, sink } = deps;

  route(
    {
      method: "post",
      path: "/sessions",
      summary: "Schedule a training session (LECTURER or INSTITUTION_ADMIN of a city, county or province institution)",
      schemas: { body: ScheduleTrainingBody },
      response: TrainingSessionView,
      status: 201,
    },
    async ({ body }, req, res) => {
      const { view, session } = await scheduleTraining(db, currentUser(res), body);
      // After commit: tell the audience and plan the reminders. A Redis hiccup must not undo the schedule.
      await announceSession(db, sink, session);
      await queues
        .schedule(session)
        .catch((e: Error) => req.log?.warn({ err: e.message, sessionId: session.id }, "reminder scheduling failed"));
      res.status(201);
      return view;
    },
  );

  route(
    {
      method: "get",
      path: "/sessions",
      summary: "Training catalogue: sessions whose audience includes the caller (or that they manage)",
      schemas: { query: TrainingCatalogueQuery },
      response: TrainingSessionPage,
    },
    ({ query }, _req, res) => catalogue(db, currentUser(res), query),
  );

  route(
    {
      method: "get",
      path: "/sessions/:id",
      summary: "One training session (404 outside the caller's audience)",
      schemas: { params: IdParams },
      response: TrainingSessionView,
    },
    ({ params }, _req, res) => getSessionView(db, currentUser(res), params.id),
  );

  route(
    {
      method: "post",
      path: "/sessions/:id/cancel",
      summary: "Cancel a session that has not started; frees the lecturers' time",
      schemas: { params: IdParams, body: CancelTrainingBody },
      response: TrainingSessionView,
    },
    async ({ params, body }, _req, res) => {
      const user = currentUser(res);
      const session = await cancelTraining(db, user, params.id, body.reason);
      await announceCancellation(db, sink, session, body.reason);
      sink.to(trainingRooms.all(session.id)).emit("training:status", { sessionId: session.id, status: session.status });
      return (await toViews(db, user, [session], null))[0];
    },
  );

  route(
    {
      method: "post",
      path: "/sessions/:id/start",
      summary: "Go live (lecturer or moderator)",
      schemas: { params: IdParams },
      response: TrainingSessionView,
    },
    async ({ params }, _req, res) => {
      const user = currentUser(res);
      const session = await startTraining(db, user, params.id);
      sink.to(trainingRooms.all(session.id)).emit("training:status", { sessionId: session.id, status: session.status });
      return (await toViews(db, user, [session], null))[0];
    },
  );

  route(
    {
      method: "post",
      path: "/sessions/:id/end",
      summary: "End the live session; attendance is finalised",
      schemas: { params: IdParams },
      response: TrainingSessionView,
    },
    async ({ params }, _req, res) => {
      const user = currentUser(res);
      const session = await endTraining(db, user, params.id);
      await live.clearSpeakers(session.id);
      await finalizeAttendance(db, session.id);
      sink.to(trainingRooms.all(session.id)).emit("training:status", { sessionId: session.id, status: session.status });
      await live.media?.closeRoom(session.id);
      return (await toViews(db, user, [session], null))[0];
    },
  );

  route(
    {
      method: "post",
      path: "/sessions/:id/registration",
      summary: "Register for a session (capacity enforced under concurrency)",
      schemas: { params: IdParams },
      response: TrainingRegistrationView,
      status: 201,
    },
    async ({ params }, _req, res) => {
      const { created, view } = await register(db, currentUser(res), params.id);
      res.status(created ? 201 : 200);
      return view;
    },
  );

  route(
    {
      method: "delete",
      path: "/sessions/:id/registration",
      summary: "Cancel the caller's registration",
      schemas: { params: IdParams },
      status: 204,
    },
    async ({ params }, _req, res) => {
      await cancelRegistration(db, currentUser(res), params.id);
    },
  );

  route(
    {
      method: "get",
      path: "/sessions/:id/attendance",
      summary: "Attendance report of a session per institution (json, csv or xlsx)",
      schemas: { params: IdParams, query: AttendanceReportQuery },
      response: SessionAttendanceView,
      produces: ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    },
    async ({ params, query }, _req, res) => {
      const user = currentUser(res);
      if (query.format === "json") return sessionAttendance(db, user, params.id, query.institutionId);
      sendFile(res, await sessionAttendanceFile(db, user, params.id, query.institutionId, query.format));
    },
  );

  route(
    {
      method: "get",
      path: "/sessions/:id/attendance/me",
      summary: "The caller's own attendance in a session",
      schemas: { params: IdParams },
      response: MyAttendanceView,
    },
    async ({ params }, _req, res) => {
      const user = currentUser(res);
      await loadVisibleSession(db, user, params.id);
      const a = await db.trainingAttendance.findUnique({
        where: { sessionId_userId: { sessionId: params.id, userId: user.id } },
      });
      return a
        ? {
            minutes: a.minutes,
            attended: a.attended,
            joins: a.joins,
            firstJoinAt: a.firstJoinAt.toISOString(),
            lastLeaveAt: a.lastLeaveAt?.toISOString() ?? null,
            intervals: a.intervals as MyAttendanceView["intervals"],
          }
        : { minutes: 0, attended: false, joins: 0, firstJoinAt: null, lastLeaveAt: null, intervals: [] };
    },
  );

  route(
    {
      method: "get",
      path: "/sessions/:id/questions",
      summary: "Q&A of a session (pinned first; hidden ones for moderators only)",
      schemas: { params: IdParams, query: QuestionListQuery },
      response: TrainingQuestionPage,
    },
    ({ params, query }, _req, res) => live.listQuestions(currentUser(res), params.id, query),
  );

  route(
    {
      method: "get",
      path: "/attendance",
      summary: "An administered institution's training attendance in one month (json, csv or xlsx)",
      schemas: { query: InstitutionAttendanceQuery },
      response: InstitutionMonthAttendanceView,
      produces: ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
    },
    async ({ query }, _req, res) => {
      const user = currentUser(res);
      if (query.format === "json") return institutionMonthAttendance(db, user, query.institutionId, query.month);
      sendFile(res, await institutionMonthFile(db, user, query.institutionId, query.month, query.format));
    },
  );

  return router;
}
