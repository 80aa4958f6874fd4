// One error handler maps every failure to an RFC 9457 problem+json response. Unknown errors are logged
// and answered as INTERNAL without leaking internals.
import type { ErrorRequestHandler, RequestHandler } from "express";
import { AppError, ErrorCode, errorMessageZh, type ProblemDetails } from "@yilian/contract";
import { Prisma } from "@prisma/client";
import { getContext } from "./context";

const PROBLEM_BASE = "https://yilian.example/problems/";

export function problemOf(err: AppError, instance?: string): ProblemDetails {
  return {
    type: PROBLEM_BASE + err.code.toLowerCase().replace(/_/g, "-"),
    title: errorMessageZh[err.code],
    status: err.status,
    code: err.code,
    detail: err.message,
    ...(instance ? { instance } : {}),
    ...(getContext()?.requestId ? { requestId: getContext()!.requestId } : {}),
    ...(err.issues?.length ? { errors: err.issues } : {}),
    ...(err.details ?? {}),
  };
}

/** Converts library errors that are really the caller's fault into AppErrors. */
export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; statusCode?: number; expose?: boolean };
  // body-parser
  if (e?.type === "entity.parse.failed") return new AppError(ErrorCode.MALFORMED_JSON);
  if (e?.type === "entity.too.large") return new AppError(ErrorCode.PAYLOAD_TOO_LARGE);
  if (e?.type === "encoding.unsupported" || e?.type === "charset.unsupported")
    return new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (err.code === "P2002") return new AppError(ErrorCode.CONFLICT, "与已有记录重复");
    if (err.code === "P2025") return new AppError(ErrorCode.NOT_FOUND);
    if (err.code === "P2003") return new AppError(ErrorCode.VALIDATION_FAILED, "引用的记录不存在");
  }
  if (e?.expose && e.status && e.status >= 400 && e.status < 500) {
    return new AppError(ErrorCode.VALIDATION_FAILED, (err as Error).message);
  }
  return null;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const appError = toAppError(err);
  if (!appError) {
    req.log?.error({ err }, "unhandled error");
  }
  const problem = problemOf(appError ?? new AppError(ErrorCode.INTERNAL), req.originalUrl);
  if (res.headersSent) return;
  if (typeof problem.retryAfterS === "number") res.setHeader("retry-after", String(problem.retryAfterS));
  res.status(problem.status).type("application/problem+json").json(problem);
};

export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new AppError(ErrorCode.ROUTE_NOT_FOUND, `接口不存在：${req.method} ${req.path}`));
};
