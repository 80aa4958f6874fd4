// zod validation of body, query and path parameters; failures become VALIDATION_FAILED problems with
// one entry per bad field.
import type { NextFunction, Request, Response } from "express";
import { AppError, assertSafeInput, ErrorCode, type FieldIssue } from "@yilian/contract";
import type { z } from "zod";
import { getContext } from "./context";

export interface RequestSchemas {
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
}

export type Valid<S extends RequestSchemas> = {
  body: S["body"] extends z.ZodType ? z.output<S["body"]> : undefined;
  query: S["query"] extends z.ZodType ? z.output<S["query"]> : undefined;
  params: S["params"] extends z.ZodType ? z.output<S["params"]> : undefined;
};

export function toFieldIssues(error: z.ZodError, prefix: string): FieldIssue[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].join("."),
    message: i.message,
  }));
}

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = toFieldIssues(r.error, where);
    throw new AppError(
      ErrorCode.VALIDATION_FAILED,
      `请求参数不正确：${issues.map((i) => `${i.path} ${i.message}`).join("；")}`.slice(0, 500),
      {
        issues,
      },
    );
  }
  return r.data;
}

/** Every request, every route (with or without schemas): no NUL or unpaired surrogates in the path, query or body. */
export function rejectUnsafeInput(req: Request, _res: Response, next: NextFunction): void {
  try {
    const segments = req.path.split("/").map((seg) => {
      try {
        return decodeURIComponent(seg);
      } catch {
        // Not UTF-8 (e.g. %ED%A0%80, an encoded lone surrogate): the router's own decoding would throw a 500.
        throw new AppError(ErrorCode.VALIDATION_FAILED, "请求地址含有无效的编码", {
          issues: [{ path: "path", message: "无效的编码" }],
        });
      }
    });
    assertSafeInput(segments.join("/"), "path");
    assertSafeInput(req.query, "query");
    assertSafeInput(req.body, "body");
    next();
  } catch (e) {
    next(e);
  }
}

/** Parses the request parts named in `schemas` and stores them on `res.locals.valid`. */
export function validate<S extends RequestSchemas>(schemas: S) {
  return (req: Request, res: Response, next: NextFunction) => {
    const profile = getContext()?.profile;
    const t0 = profile ? performance.now() : 0;
    const valid: Record<string, unknown> = {};
    if (schemas.params) valid.params = parseOrThrow(schemas.params, req.params, "params");
    if (schemas.query) valid.query = parseOrThrow(schemas.query, req.query, "query");
    if (schemas.body) valid.body = parseOrThrow(schemas.body, req.body ?? {}, "body");
    res.locals.valid = valid;
    profile?.phases.set("validate", performance.now() - t0);
    next();
  };
}

export function valid<S extends RequestSchemas>(res: Response, _schemas: S): Valid<S> {
  return res.locals.valid as Valid<S>;
}
