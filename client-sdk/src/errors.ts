// The SDK's one error class: every failure the server answers (REST problem+json, Socket.IO ack) and every local
// one (network down, timeout, unsupported runtime) arrives as a YilianError with the machine-readable code.
import {
  ErrorCode,
  errorMessageZh,
  type ConsultationStatus,
  type ErrorPayload,
  type FieldIssue,
  type Problem,
} from "@yilian/contract";

/** Codes the SDK raises itself, besides the server's ErrorCode. */
export type LocalErrorCode = "TIMEOUT" | "NETWORK" | "UNSUPPORTED_RUNTIME" | "ABORTED";

export class YilianError extends Error {
  /** ErrorCode of the contract (e.g. INVALID_STATE, NOT_FOUND) or a LocalErrorCode. */
  readonly code: ErrorCode | LocalErrorCode;
  /** HTTP status for REST answers; 0 when the request never got an answer; undefined for Socket.IO acks. */
  readonly status?: number;
  /** VALIDATION_FAILED: one entry per bad field (path like body.patient.idNumber). */
  readonly issues: FieldIssue[];
  /** The server's x-request-id: quote it to hospital IT. */
  readonly requestId?: string;
  /** INVALID_STATE: the record's status now (e.g. after another user moved it first). */
  readonly currentStatus?: ConsultationStatus | string;
  /** Every other extension field the server sent (currentVersion, retryAfterMs, opensAt, reason, ...). */
  readonly details: Record<string, unknown>;

  constructor(
    code: ErrorCode | LocalErrorCode,
    message: string,
    opts: {
      status?: number;
      issues?: FieldIssue[];
      requestId?: string;
      currentStatus?: string;
      details?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
    this.name = "YilianError";
    this.code = code;
    this.status = opts.status;
    this.issues = opts.issues ?? [];
    this.requestId = opts.requestId;
    this.currentStatus = opts.currentStatus ?? (opts.details?.currentStatus as string | undefined);
    this.details = opts.details ?? {};
  }

  /** From an RFC 9457 problem body (or what a proxy answered instead). */
  static fromProblem(status: number, body: Partial<Problem> | null): YilianError {
    const code = (
      body?.code && body.code in ErrorCode ? body.code : status >= 500 || status === 0 ? "UNAVAILABLE" : "INTERNAL"
    ) as ErrorCode;
    const {
      type: _t,
      title: _ti,
      status: _s,
      code: _c,
      detail,
      instance: _i,
      requestId,
      errors,
      ...extensions
    } = body ?? {};
    return new YilianError(code, detail || errorMessageZh[code], {
      status,
      issues: errors ?? [],
      requestId,
      currentStatus: extensions.currentStatus as string | undefined,
      details: extensions,
    });
  }

  /** From a Socket.IO ack's error. */
  static fromAck(e: ErrorPayload): YilianError {
    return new YilianError(e.code, e.message, {
      details: e.details,
      currentStatus: e.details?.currentStatus as string | undefined,
    });
  }
}

export const isYilianError = (e: unknown): e is YilianError => e instanceof YilianError;

/** Codes after which the session is over: the caller must log in again. */
export const SESSION_ENDING_CODES: ReadonlySet<string> = new Set<string>([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.TOKEN_EXPIRED,
  ErrorCode.TOKEN_INVALID,
  ErrorCode.TOKEN_REVOKED,
  ErrorCode.ACCOUNT_DISABLED,
]);
