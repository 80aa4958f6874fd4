// Per-request context (request id, caller, client address) through AsyncLocalStorage, so use cases and the
// audit log read the caller without threading it through every signature.
import { AsyncLocalStorage } from "node:async_hooks";
import type { AuthUser } from "../authz/principal";

/** Counters of one request, filled by http/profile.ts. */
export interface RequestProfile {
  startedAt: number;
  queries: number;
  dbMs: number;
  poolWaitMs: number;
  phases: Map<string, number>;
}

export interface RequestContext {
  requestId: string;
  ip?: string;
  userAgent?: string;
  user?: AuthUser;
  /** Set when PROFILE_REQUESTS is on: where this request's time goes. */
  profile?: RequestProfile;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function getContext(): RequestContext | undefined {
  return storage.getStore();
}
