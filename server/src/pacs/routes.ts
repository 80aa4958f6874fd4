// PACS endpoints: registration by the institution admin, QIDO-RS search of the doctor's own institution's PACS.
import { Router, type RequestHandler } from "express";
import { z } from "zod";
import { PacsConnectionView, PacsRegistration, PacsStudyList, PacsStudySearch } from "@yilian/contract";
import type { Config } from "../config";
import type { Db } from "../db";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import { readPacs, registerPacs } from "./register-pacs";
import { searchStudies } from "./search-studies";

const InstitutionParams = z.object({ institutionId: z.uuid() });

export function pacsRoutes(deps: { db: Db; config: Config; requireAuth: RequestHandler }): Router {
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
    { method: "get", path: "/institutions/:institutionId/pacs", summary: "The institution's PACS registration (no credentials)", schemas: { params: InstitutionParams }, response: PacsConnectionView },
    ({ params }, _req, res) => readPacs(deps.db, currentUser(res), params.institutionId),
  );
  route(
    { method: "get", path: "/pacs/studies", summary: "Search the caller's institution's PACS (QIDO-RS through the server)", schemas: { query: PacsStudySearch }, response: PacsStudyList },
    ({ query }, _req, res) => searchStudies({ db: deps.db, keyB64: deps.config.PATIENT_DATA_KEY }, currentUser(res), query),
  );
  return router;
}
