// /dicomweb/consultations/:consultationId/…: the consultation's studies over DICOMweb (QIDO-RS, WADO-RS), with the
// API's bearer token. A viewer (OHIF, Weasis) is configured with that prefix as its DICOMweb root.
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import * as dw from "./serve";

const Uid = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)*$/, "UID 格式不正确")
  .max(64);
const C = z.object({ consultationId: z.uuid() });
const Study = C.extend({ study: Uid });
const Series = Study.extend({ series: Uid });
const Instance = Series.extend({ sop: Uid });
const Frames = Instance.extend({
  frames: z
    .string()
    .regex(/^\d+(,\d+)*$/, "帧号应为 1,2,3 形式")
    .max(200),
});
const FrameOne = Instance.extend({ frame: z.coerce.number().int().min(1).max(100_000) });
const Qido = z.looseObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  offset: z.coerce.number().int().min(0).optional(),
});
const DICOM_JSON = ["application/dicom+json"];
const MULTIPART = ['multipart/related; type="application/dicom"'];

export function dicomwebRoutes(deps: dw.DicomwebDeps & { requireAuth: RequestHandler }): Router {
  const router = Router();
  const route = routeGroup(router, {
    prefix: "/dicomweb/consultations/:consultationId",
    tag: "dicomweb",
    auth: deps.requireAuth,
  });
  const sendJson = (res: import("express").Response, body: unknown) => {
    res.status(200).type("application/dicom+json").send(JSON.stringify(body));
  };

  for (const [path, level, params] of [
    ["/studies", "studies", C],
    ["/studies/:study/series", "series", Study],
    ["/studies/:study/instances", "instances", Study],
    ["/studies/:study/series/:series/instances", "instances", Series],
  ] as const) {
    route(
      {
        method: "get",
        path,
        summary: `QIDO-RS: search ${level} of the consultation`,
        schemas: { params, query: Qido },
        produces: DICOM_JSON,
      },
      async ({ params: p, query }, req, res) => {
        sendJson(res, await dw.search(deps, currentUser(res), p, level, query, req));
      },
    );
  }
  for (const [path, params] of [
    ["/studies/:study/metadata", Study],
    ["/studies/:study/series/:series/metadata", Series],
    ["/studies/:study/series/:series/instances/:sop/metadata", Instance],
  ] as const) {
    route(
      {
        method: "get",
        path,
        summary: "WADO-RS: metadata (DICOM JSON, bulk data by URI)",
        schemas: { params },
        produces: DICOM_JSON,
      },
      async ({ params: p }, req, res) => {
        sendJson(res, await dw.metadata(deps, currentUser(res), p, req));
      },
    );
  }
  for (const [path, params] of [
    ["/studies/:study", Study],
    ["/studies/:study/series/:series", Series],
    ["/studies/:study/series/:series/instances/:sop", Instance],
  ] as const) {
    route(
      {
        method: "get",
        path,
        summary: "WADO-RS: retrieve instances (de-identified outside the requesting institution)",
        schemas: { params },
        produces: MULTIPART,
      },
      async ({ params: p }, req, res) => {
        await dw.retrieve(deps, currentUser(res), p, req, res);
      },
    );
  }
  route(
    {
      method: "get",
      path: "/studies/:study/series/:series/instances/:sop/frames/:frames",
      summary: "WADO-RS: frames of an instance",
      schemas: { params: Frames },
      produces: ["multipart/related"],
    },
    async ({ params: { frames, ...p } }, req, res) => {
      await dw.frames(deps, currentUser(res), p, frames, req, res);
    },
  );
  route(
    {
      method: "get",
      path: "/studies/:study/series/:series/instances/:sop/rendered",
      summary: "WADO-RS: the first frame rendered (PNG or JPEG)",
      schemas: { params: Instance },
      produces: ["image/png", "image/jpeg"],
    },
    async ({ params: p }, req, res) => {
      await dw.rendered(deps, currentUser(res), p, 1, req, res);
    },
  );
  route(
    {
      method: "get",
      path: "/studies/:study/series/:series/instances/:sop/frames/:frame/rendered",
      summary: "WADO-RS: one frame rendered (PNG or JPEG)",
      schemas: { params: FrameOne },
      produces: ["image/png", "image/jpeg"],
    },
    async ({ params: { frame, ...p } }, req, res) => {
      await dw.rendered(deps, currentUser(res), p, frame, req, res);
    },
  );
  return router;
}
