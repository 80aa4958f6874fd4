// How a room's transports reach the media server: the TURN servers issued with media:join (short-lived
// credentials, refreshed with every ICE restart) and the ICE transport policy. "relay" sends everything through
// TURN: an SDK option for hospitals that demand it, and where the room falls back by itself when the direct
// path fails (a firewall that lets STUN out but not media, UDP blocked and the TCP port closed, …).
import type { types } from "mediasoup-client";
import type { MediaIceServers } from "@yilian/contract";

export type IcePolicy = "all" | "relay";

export interface IceOptions {
  /**
   * "relay": media only through the TURN servers (for networks that demand it). Default "all": direct when
   * possible, TURN otherwise, and relay-only after the direct path failed.
   */
  iceTransportPolicy?: IcePolicy;
  /** A transport not connected within this time counts as failed (default 10 s). */
  iceConnectTimeoutMs?: number;
}

/** A transport's connection could not be made or broke: why, and the policy it used. */
export interface IceFailure {
  direction: "send" | "recv";
  reason: "failed" | "timeout";
  policy: IcePolicy;
}

export class IceConfig {
  iceServers: RTCIceServer[] = [];
  policy: IcePolicy;
  /** When the TURN credentials stop working (ms since epoch; Infinity when there are none). */
  expiresAt = Infinity;
  readonly connectTimeoutMs: number;

  constructor(opts: IceOptions) {
    this.policy = opts.iceTransportPolicy ?? "all";
    this.connectTimeoutMs = opts.iceConnectTimeoutMs ?? 10_000;
  }

  /** Takes the servers of a join or ICE-restart answer. */
  update(answer: Partial<MediaIceServers>): void {
    if (!answer.iceServers) return;
    this.iceServers = answer.iceServers;
    this.expiresAt = answer.iceServersExpireAt ? Date.parse(answer.iceServersExpireAt) : Infinity;
  }

  /** Relay-only is worth trying: the direct attempt failed and there is a TURN server to relay through. */
  canFallBack(): boolean {
    return this.policy === "all" && this.iceServers.length > 0;
  }

  /** Options for mediasoup-client's createSendTransport/createRecvTransport. */
  transportOptions(): Pick<types.TransportOptions, "iceServers" | "iceTransportPolicy"> {
    return { iceServers: this.iceServers, iceTransportPolicy: this.policy };
  }

  /**
   * Watches a new transport: calls `onFailure` once if it does not connect within the timeout (counted from its
   * first use: a receive transport with nothing to receive never starts ICE) or goes to "failed".
   */
  watch(transport: types.Transport, direction: "send" | "recv", onFailure: (f: IceFailure) => void): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let reported = false;
    const report = (reason: IceFailure["reason"]) => {
      clearTimeout(timer);
      if (reported || transport.closed) return;
      reported = true;
      onFailure({ direction, reason, policy: this.policy });
    };
    // mediasoup-client emits "connect" when the transport is first used (produce/consume): ICE starts then.
    transport.once("connect", () => {
      timer = setTimeout(() => report("timeout"), this.connectTimeoutMs);
    });
    transport.on("connectionstatechange", (state) => {
      if (state === "connected") {
        clearTimeout(timer);
        reported = false; // a later failure (after an ICE restart attempt) is reported again
      } else if (state === "failed") report("failed");
    });
    transport.observer.once("close", () => clearTimeout(timer));
  }
}
