import { AppError, ErrorCode, type Ack } from "@yilian/contract";
import { toAppError } from "../http/problem";

/** Runs a socket request and answers its ack with { ok, data } or a typed error, never throwing. */
export async function handleAck<T>(ack: unknown, run: () => Promise<T> | T): Promise<void> {
  if (typeof ack !== "function") return; // a request without an ack cannot be answered
  const reply = ack as (a: Ack<T>) => void;
  try {
    reply({ ok: true, data: await run() });
  } catch (e) {
    const known = toAppError(e);
    const err = known ?? new AppError(ErrorCode.INTERNAL);
    if (!known) console.error("socket request failed", e);
    reply({ ok: false, error: err.toPayload() });
  }
}
