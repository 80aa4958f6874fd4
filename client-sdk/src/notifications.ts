// One subscription for every consultation event of the user (the server sends them to the user's personal room on
// all their devices), optionally filtered by consultation id. Who receives which event: client-sdk/README.md.
import { CONSULTATION_EVENTS, type ConsultationEvent, type ConsultationEventName } from "@yilian/contract";
import type { Socket } from "socket.io-client";

export type ConsultationListener = (name: ConsultationEventName, event: ConsultationEvent) => void;

export class ConsultationNotifications {
  constructor(private readonly socket: Socket) {}

  /**
   * Calls `listener` for every `consultation:*` event (or only those of `filter.consultationId`, or only the named
   * `filter.events`). Returns the function that unsubscribes.
   */
  subscribe(
    listener: ConsultationListener,
    filter: { consultationId?: string; events?: readonly ConsultationEventName[] } = {},
  ): () => void {
    const names = filter.events ?? CONSULTATION_EVENTS;
    const handlers = names.map((name) => {
      const h = (e: ConsultationEvent) => {
        if (filter.consultationId && e.consultationId !== filter.consultationId) return;
        listener(name, e);
      };
      this.socket.on(name, h);
      return [name, h] as const;
    });
    return () => handlers.forEach(([name, h]) => this.socket.off(name, h));
  }

  /** Resolves with the next event matching `pred` (e.g. this consultation becoming SCHEDULED), or rejects after `ms`. */
  next(
    pred: (name: ConsultationEventName, e: ConsultationEvent) => boolean,
    ms = 30_000,
  ): Promise<{ name: ConsultationEventName; event: ConsultationEvent }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no matching consultation event within ${ms} ms`));
      }, ms);
      const off = this.subscribe((name, event) => {
        if (!pred(name, event)) return;
        clearTimeout(timer);
        off();
        resolve({ name, event });
      });
    });
  }
}
