// Errors are data shared by server and clients: one code enum, one code → HTTP status table.
// REST answers them as RFC 9457 problem+json; Socket.IO acks as { ok: false, error: { code, message } }.

export const ErrorCode = {
  VALIDATION_FAILED: "VALIDATION_FAILED",
  MALFORMED_JSON: "MALFORMED_JSON",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  HEADERS_TOO_LARGE: "HEADERS_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  INVALID_CREDENTIALS: "INVALID_CREDENTIALS",
  TOKEN_EXPIRED: "TOKEN_EXPIRED",
  TOKEN_INVALID: "TOKEN_INVALID",
  TOKEN_REVOKED: "TOKEN_REVOKED",
  ACCOUNT_DISABLED: "ACCOUNT_DISABLED",
  ACCOUNT_LOCKED: "ACCOUNT_LOCKED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  ROUTE_NOT_FOUND: "ROUTE_NOT_FOUND",
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  CONFLICT: "CONFLICT",
  INVALID_STATE: "INVALID_STATE",
  /** A resumable upload that was not finished in time and has been (or will be) cleaned up. */
  UPLOAD_EXPIRED: "UPLOAD_EXPIRED",
  RATE_LIMITED: "RATE_LIMITED",
  UNAVAILABLE: "UNAVAILABLE",
  PACS_NOT_REGISTERED: "PACS_NOT_REGISTERED",
  PACS_UNAVAILABLE: "PACS_UNAVAILABLE",
  NOT_ACCEPTABLE: "NOT_ACCEPTABLE",
  INTERNAL: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const errorStatus: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  PAYLOAD_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_INVALID: 401,
  TOKEN_REVOKED: 401,
  ACCOUNT_DISABLED: 403,
  ACCOUNT_LOCKED: 429,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  INVALID_STATE: 409,
  UPLOAD_EXPIRED: 410,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  PACS_NOT_REGISTERED: 409,
  PACS_UNAVAILABLE: 502,
  NOT_ACCEPTABLE: 406,
  INTERNAL: 500,
};

/** Default user-facing (zh-CN) message per code; specific errors pass their own. */
export const errorMessageZh: Record<ErrorCode, string> = {
  VALIDATION_FAILED: "提交的内容不符合要求，请检查标出的字段",
  MALFORMED_JSON: "请求内容不是有效的 JSON",
  PAYLOAD_TOO_LARGE: "提交的内容过大",
  HEADERS_TOO_LARGE: "请求地址或请求头过长",
  UNSUPPORTED_MEDIA_TYPE: "不支持的内容类型",
  UNAUTHENTICATED: "请先登录",
  INVALID_CREDENTIALS: "用户名或密码错误",
  TOKEN_EXPIRED: "登录已过期，请重新登录",
  TOKEN_INVALID: "登录凭证无效，请重新登录",
  TOKEN_REVOKED: "登录已注销，请重新登录",
  ACCOUNT_DISABLED: "账号已停用，请联系本机构管理员",
  ACCOUNT_LOCKED: "密码错误次数过多，账号已暂时锁定，请稍后再试或联系管理员解锁",
  FORBIDDEN: "您没有执行此操作的权限",
  NOT_FOUND: "未找到该记录",
  ROUTE_NOT_FOUND: "接口不存在",
  METHOD_NOT_ALLOWED: "不支持该请求方法",
  CONFLICT: "与已有记录冲突",
  INVALID_STATE: "当前状态下不能执行此操作",
  UPLOAD_EXPIRED: "上传未在有效期内完成，已被清理，请重新上传",
  RATE_LIMITED: "操作过于频繁，请稍后再试",
  UNAVAILABLE: "服务暂时不可用，请稍后再试",
  PACS_NOT_REGISTERED: "本机构尚未登记 PACS，请联系机构管理员",
  PACS_UNAVAILABLE: "无法从本机构 PACS 获取影像，请稍后再试或联系机构管理员",
  NOT_ACCEPTABLE: "不支持所请求的格式",
  INTERNAL: "服务器内部错误，请稍后再试或联系技术支持",
};

export interface FieldIssue {
  path: string;
  message: string;
}

/** RFC 9457 problem details, with our machine-readable `code`. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldIssue[];
  [extension: string]: unknown;
}

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;
  readonly issues?: FieldIssue[];

  constructor(
    code: ErrorCode,
    message?: string,
    opts: { details?: Record<string, unknown>; issues?: FieldIssue[] } = {},
  ) {
    super(message ?? errorMessageZh[code]);
    this.name = "AppError";
    this.code = code;
    this.status = errorStatus[code];
    this.details = opts.details;
    this.issues = opts.issues;
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Socket.IO acknowledgement shape: every request event answers with one of these. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload };
export type AckCallback<T> = (ack: Ack<T>) => void;
