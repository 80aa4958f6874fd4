import { Router, type RequestHandler } from "express";
import {
  UserPage,
  CreateUserBody,
  IdParams,
  UnlockResult,
  UpdateUserBody,
  UserSearchQuery,
  UserSummary,
} from "@yilian/contract";
import type { Db } from "../db";
import { routeGroup } from "../http/route";
import { currentUser } from "../auth/middleware";
import type { AuthService } from "../auth/service";
import { createUser, getUser, searchUsers, unlockUser, updateUser } from "./users";

export function userRoutes(deps: { db: Db; auth: AuthService; requireAuth: RequestHandler }): Router {
  const router = Router();
  const route = routeGroup(router, { prefix: "/api", tag: "users", auth: deps.requireAuth });
  const { db } = deps;

  route(
    {
      method: "get",
      path: "/users",
      summary: "Users within the caller's administrative scope",
      schemas: { query: UserSearchQuery },
      response: UserPage,
    },
    ({ query }, _req, res) => searchUsers(db, currentUser(res), query),
  );
  route(
    {
      method: "get",
      path: "/users/:id",
      summary: "One user (404 outside scope)",
      schemas: { params: IdParams },
      response: UserSummary,
    },
    ({ params }, _req, res) => getUser(db, currentUser(res), params.id),
  );
  route(
    {
      method: "post",
      path: "/users",
      summary: "Create a user in an institution the caller administers",
      schemas: { body: CreateUserBody },
      response: UserSummary,
    },
    async ({ body }, _req, res) => {
      res.status(201);
      return createUser(db, currentUser(res), body);
    },
  );
  route(
    {
      method: "patch",
      path: "/users/:id",
      summary: "Update a user's name, roles, department, title or state",
      schemas: { params: IdParams, body: UpdateUserBody },
      response: UserSummary,
    },
    ({ params, body }, _req, res) => updateUser(db, deps.auth, currentUser(res), params.id, body),
  );
  route(
    {
      method: "post",
      path: "/users/:id/unlock",
      summary: "Lift a login lock-out now (it also ends by itself)",
      schemas: { params: IdParams },
      response: UnlockResult,
    },
    ({ params }, _req, res) => unlockUser(db, deps.auth, currentUser(res), params.id),
  );
  return router;
}
