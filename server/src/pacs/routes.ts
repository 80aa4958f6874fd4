// PACS endpoints: registration by the institution admin, QIDO-RS search of the doctor's own institution's PACS.
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import {
  PacsConnectionView,
  PacsImportList,
  PacsImportRequest,
  PacsRegistration,
  PacsStudyList,
  PacsStudySearch,
} from "@yilian/contract";
import type { Config } from "../config";
import type { Db } from "../db";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import { readPacs, registerPacs } from "./register-pacs";
import { searchStudies } from "./search-studies";
import { pacsAddressPolicy } from "./address";
import { listImports, startImports } from "./import-studies";
import type { AppQueues } from "../jobs/queues";

const InstitutionParams = z.object({ institutionId: z.uuid() });
const ConsultationParams = z.object({ consultationId: z.uuid() });

export function pacsRoutes(deps: { db: Db; config: Config; queues: AppQueues; requireAuth: RequestHandler }): Router {
  const router = Router();
  const route = routeGroup(router, { prefix: "/api", tag: "pacs", auth: deps.requireAuth });
  route(
    {
      method: "put",
      path: "/institutions/:institutionId/pacs",
      summary: "Register or replace the institution's PACS (DICOMweb base URL and credentials; institution admin)",
      schemas: { params: InstitutionParams, body: PacsRegistration },
      response: PacsConnectionView,
    },
    ({ params, body }, _req, res) => registerPacs(deps, currentUser(res), params.institutionId, body),
  );
  route(
    {
      method: "get",
      path: "/institutions/:institutionId/pacs",
      summary: "The institution's PACS registration (no credentials)",
      schemas: { params: InstitutionParams },
      response: PacsConnectionView,
    },
    ({ params }, _req, res) => readPacs(deps.db, currentUser(res), params.institutionId),
  );
  route(
    {
      method: "get",
      path: "/pacs/studies",
      summary: "Search the caller's institution's PACS (QIDO-RS through the server)",
      schemas: { query: PacsStudySearch },
      response: PacsStudyList,
    },
    ({ query }, _req, res) =>
      searchStudies(
        { db: deps.db, keyB64: deps.config.PATIENT_DATA_KEY, policy: pacsAddressPolicy(deps.config) },
        currentUser(res),
        query,
      ),
  );
  route(
    {
      method: "post",
      path: "/consultations/:consultationId/pacs-imports",
      summary:
        "Import studies from the caller's institution's PACS into the consultation (WADO-RS by the worker; importing a failed study again retries it)",
      schemas: { params: ConsultationParams, body: PacsImportRequest },
      response: PacsImportList,
      status: 202,
    },
    async ({ params, body }, _req, res) => {
      res.status(202).json(await startImports(deps, currentUser(res), params.consultationId, body));
    },
  );
  route(
    {
      method: "get",
      path: "/consultations/:consultationId/pacs-imports",
      summary: "PACS imports of the consultation with their progress or failure reason",
      schemas: { params: ConsultationParams },
      response: PacsImportList,
    },
    ({ params }, _req, res) => listImports(deps.db, currentUser(res), params.consultationId),
  );
  return router;
}
