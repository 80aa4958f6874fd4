// Upload endpoints: multipart upload into a consultation, listing, status, content (with ranges) and preview.
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { Db } from "../db";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import { UploadList, UploadView } from "@yilian/contract";
import * as uploads from "./uploads";

const ConsultationParams = z.object({ consultationId: z.uuid() });
const UploadParams = z.object({ id: z.uuid() });

export function uploadRoutes(deps: uploads.UploadsDeps & { db: Db; requireAuth: RequestHandler }): Router {
  const router = Router();
  const route = routeGroup(router, { prefix: "/api", tag: "uploads", auth: deps.requireAuth });

  route(
    {
      method: "post",
      path: "/consultations/:consultationId/uploads",
      summary:
        "Upload one file (multipart field `file`: DICOM, JPEG, PNG, PDF, DOCX) to a consultation; answers 202, processing follows",
      schemas: { params: ConsultationParams },
      response: UploadView,
      status: 202,
    },
    async ({ params }, req, res) => {
      const dto = await uploads.acceptUpload(deps, currentUser(res), params.consultationId, req);
      res.status(202).json(dto);
    },
  );
  route(
    {
      method: "get",
      path: "/consultations/:consultationId/uploads",
      summary: "Files of a consultation",
      schemas: { params: ConsultationParams },
      response: UploadList,
    },
    ({ params }, _req, res) => uploads.listUploads(deps.db, currentUser(res), params.consultationId),
  );
  route(
    {
      method: "get",
      path: "/uploads/:id",
      summary: "One upload: status, reason, DICOM attributes",
      schemas: { params: UploadParams },
      response: UploadView,
    },
    ({ params }, _req, res) => uploads.getUpload(deps.db, currentUser(res), params.id),
  );
  route(
    {
      method: "get",
      path: "/uploads/:id/content",
      summary: "File content (Range supported); DICOM is de-identified for users outside the requesting institution",
      schemas: { params: UploadParams },
      produces: [
        "application/dicom",
        "image/jpeg",
        "image/png",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      ],
    },
    async ({ params }, req, res) => {
      await uploads.sendContent(deps, currentUser(res), params.id, req, res, "original");
    },
  );
  route(
    {
      method: "get",
      path: "/uploads/:id/preview",
      summary: "PNG preview of the first image / page",
      schemas: { params: UploadParams },
      produces: ["image/png"],
    },
    async ({ params }, req, res) => {
      await uploads.sendContent(deps, currentUser(res), params.id, req, res, "preview");
    },
  );
  return router;
}
