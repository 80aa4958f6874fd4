// One error handler maps every failure to an RFC 9457 problem+json response. Unknown errors are logged
// and answered as INTERNAL without leaking internals.
import type { Duplex } from "node:stream";
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

/** SQLSTATEs and socket errors of a database that is down, restarting or unreachable (not of a bad query). */
const DB_DOWN_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, in recovery)
  "08000",
  "08001",
  "08003",
  "08006",
  "P1001", // Prisma: can't reach the database server
  "P1017", // Prisma: the server closed the connection
]);

const DB_DOWN_MESSAGE = /Connection terminated|terminating connection|the database system is/;

/** Whether `err` (or what caused it) says the database is unavailable, as during a PostgreSQL restart. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (typeof e.code === "string" && DB_DOWN_CODES.has(e.code)) return true;
    if (typeof e.message === "string" && DB_DOWN_MESSAGE.test(e.message)) return true;
  }
  return false;
}

/** Converts library errors that are really the caller's fault, or a dependency's outage, into AppErrors. */
export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  // The database restarting is not a bug: 503 with a retry hint, and the client tries again.
  if (isDatabaseUnavailable(err))
    return new AppError(ErrorCode.UNAVAILABLE, "数据库暂时不可用，请稍后重试", { details: { retryAfterS: 5 } });
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

/**
 * Requests Node's HTTP parser refuses before Express sees them (URL or headers over the limit, malformed requests)
 * answered as problem+json like every other error, instead of Node's empty-bodied default.
 */
export function answerClientError(err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Duplex): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const appError = new AppError(
    err.code === "HPE_HEADER_OVERFLOW" ? ErrorCode.HEADERS_TOO_LARGE : ErrorCode.VALIDATION_FAILED,
    err.code === "HPE_HEADER_OVERFLOW" ? undefined : "请求格式不正确",
  );
  const body = JSON.stringify(problemOf(appError));
  socket.end(
    `HTTP/1.1 ${appError.status} ${appError.status === 431 ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
      "Content-Type: application/problem+json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
