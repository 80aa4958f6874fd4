// The error answer of every REST endpoint (RFC 9457 problem+json) as a schema, for /openapi.json and typed clients.
// errors.ts holds the codes and the runtime class; this adds the documented shape, extension fields included.
import { z } from "zod";
import { ErrorCode } from "./errors";
import { ConsultationStatus } from "./consultations";

export const FieldIssueSchema = z.object({
  /** Where: body.patient.idNumber, query.month, params.id. */
  path: z.string(),
  message: z.string(),
});

export const Problem = z
  .object({
    type: z.string().describe("https://yilian.example/problems/<code>"),
    title: z.string().describe("zh-CN title of the code"),
    status: z.number().int(),
    code: z
      .enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]])
      .describe("machine-readable; see contract/src/errors.ts"),
    detail: z.string().describe("zh-CN message for the user"),
    instance: z.string().optional().describe("the request path"),
    requestId: z.string().optional().describe("x-request-id of the request: quote it to hospital IT"),
    errors: z.array(FieldIssueSchema).optional().describe("VALIDATION_FAILED: one entry per bad field"),
    currentStatus: z
      .union([ConsultationStatus, z.string()])
      .optional()
      .describe("INVALID_STATE: the record's status now (consultation or referral), e.g. after losing a race"),
    currentVersion: z.number().int().optional().describe("CONFLICT on a stale edit: the version to reload"),
    reason: z.string().optional().describe("CONFLICT detail, e.g. LECTURER_BUSY, CAPACITY_REACHED"),
    capacity: z.number().int().optional().describe("CAPACITY_REACHED: the session's capacity"),
    retryAfterMs: z.number().int().optional().describe("RATE_LIMITED: when to try again"),
    opensAt: z.string().optional().describe("a room that is not open yet: when it opens (ISO 8601)"),
    recordingId: z.string().optional().describe("CONFLICT: the recording already running"),
    consentRequestId: z.string().optional().describe("CONFLICT: the consent request already pending"),
    uploadStatus: z.string().optional().describe("upload refused or not ready: its status"),
  })
  .catchall(z.unknown())
  .describe("RFC 9457 problem details with Yilian's code and extension fields");
export type Problem = z.infer<typeof Problem>;
