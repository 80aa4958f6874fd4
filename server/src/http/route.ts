// Declares one endpoint: its zod schemas validate the request and document it in /openapi.json.
import type { Request, RequestHandler, Response, Router } from "express";
import type { z } from "zod";
import { describeRoute } from "./openapi";
import { validate, type RequestSchemas, type Valid } from "./validate";

interface RouteSpec<S extends RequestSchemas> {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  schemas: S;
  response?: z.ZodType;
  /** Extra middleware before validation (authentication, rate limits). */
  before?: RequestHandler[];
}

export function routeGroup(router: Router, opts: { prefix: string; tag: string; auth: RequestHandler | null }) {
  return <S extends RequestSchemas>(
    spec: RouteSpec<S>,
    handler: (input: Valid<S>, req: Request, res: Response) => Promise<unknown> | unknown,
  ) => {
    describeRoute({
      method: spec.method,
      path: opts.prefix + spec.path,
      summary: spec.summary,
      tag: opts.tag,
      auth: opts.auth !== null,
      schemas: spec.schemas,
      response: spec.response,
    });
    const chain: RequestHandler[] = [...(opts.auth ? [opts.auth] : []), ...(spec.before ?? []), validate(spec.schemas)];
    router[spec.method](opts.prefix + spec.path, ...chain, async (req, res) => {
      const result = await handler(res.locals.valid as Valid<S>, req, res);
      if (!res.headersSent) {
        if (result === undefined) res.status(204).end();
        else res.json(result);
      }
    });
  };
}
