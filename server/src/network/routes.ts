import { Router, type RequestHandler } from "express";
import { z } from "zod";
import {
  ConsortiumMemberPage,
  ConsortiumPage,
  ConsortiumSummary,
  DepartmentList,
  InstitutionDetail,
  InstitutionPage,
  InstitutionTree,
  RegionList,
  SpecialtyList,
  ConsortiumSearchQuery,
  IdParams,
  InstitutionSearchQuery,
  InstitutionTreeQuery,
  Pagination,
} from "@yilian/contract";
import type { Db } from "../db";
import { routeGroup } from "../http/route";
import * as network from "./institutions";

export function networkRoutes(deps: { db: Db; requireAuth: RequestHandler }): Router {
  const router = Router();
  const route = routeGroup(router, { prefix: "/api", tag: "network", auth: deps.requireAuth });
  const { db } = deps;

  route(
    {
      method: "get",
      path: "/institutions",
      summary: "Search institutions by name, tier, city, county, consortium",
      schemas: { query: InstitutionSearchQuery },
      response: InstitutionPage,
    },
    ({ query }) => network.searchInstitutions(db, query),
  );
  route(
    {
      method: "get",
      path: "/institutions/tree",
      summary: "The telemedicine network tree",
      schemas: { query: InstitutionTreeQuery },
      response: InstitutionTree,
    },
    ({ query }) => network.institutionTree(db, query.rootId, query.depth),
  );
  route(
    {
      method: "get",
      path: "/institutions/:id",
      summary: "One institution",
      schemas: { params: IdParams },
      response: InstitutionDetail,
    },
    ({ params }) => network.getInstitution(db, params.id),
  );
  route(
    {
      method: "get",
      path: "/institutions/:id/departments",
      summary: "Departments (科室) of an institution",
      schemas: { params: IdParams },
      response: DepartmentList,
    },
    ({ params }) => network.listDepartments(db, params.id),
  );
  route(
    {
      method: "get",
      path: "/consortia",
      summary: "Search consortia (医联体)",
      schemas: { query: ConsortiumSearchQuery },
      response: ConsortiumPage,
    },
    ({ query }) => network.searchConsortia(db, query),
  );
  route(
    {
      method: "get",
      path: "/consortia/:id",
      summary: "One consortium",
      schemas: { params: IdParams },
      response: ConsortiumSummary,
    },
    ({ params }) => network.getConsortium(db, params.id),
  );
  route(
    {
      method: "get",
      path: "/consortia/:id/members",
      summary: "Member institutions of a consortium",
      schemas: { params: IdParams, query: Pagination },
      response: ConsortiumMemberPage,
    },
    ({ params, query }) => network.consortiumMembers(db, params.id, query.limit, query.offset),
  );
  route(
    {
      method: "get",
      path: "/regions",
      summary: "Cities and their counties",
      schemas: { query: z.object({}) },
      response: RegionList,
    },
    () => network.listRegions(db),
  );
  route(
    {
      method: "get",
      path: "/specialties",
      summary: "Specialty codes",
      schemas: { query: z.object({}) },
      response: SpecialtyList,
    },
    () => network.listSpecialties(db),
  );
  return router;
}
