import { AppError, ErrorCode, type Ack } from "@yilian/contract";

/** Runs a socket request and answers its ack with { ok, data } or a typed error, never throwing. */
export async function handleAck<T>(ack: unknown, run: () => Promise<T> | T): Promise<void> {
  if (typeof ack !== "function") return; // a request without an ack cannot be answered
  const reply = ack as (a: Ack<T>) => void;
  try {
    reply({ ok: true, data: await run() });
  } catch (e) {
    const err = e instanceof AppError ? e : new AppError(ErrorCode.INTERNAL);
    if (!(e instanceof AppError)) console.error("socket request failed", e);
    reply({ ok: false, error: err.toPayload() });
  }
}
