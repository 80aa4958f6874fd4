// createClient({ url, token }): REST helpers and the authenticated Socket.IO connection, shared by all rooms.
import { io, type Socket } from "socket.io-client";
import type { Ack, ClientToServerEvents, ErrorPayload, RoomKind, ServerToClientEvents } from "@yilian/contract";
import { Room, type JoinOptions } from "./room";

export type YilianSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ClientOptions {
  /** Server origin, e.g. https://yilian.example-hospital.cn (default: the page's origin). */
  url?: string;
  /** Access token, or a function returning a fresh one (called on every (re)connect). */
  token: string | (() => string | Promise<string>);
}

/** An error answered by the server (REST problem+json or a Socket.IO ack), with its machine-readable code. */
export class YilianError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "YilianError";
  }
}

export class YilianClient {
  readonly socket: YilianSocket;
  readonly url: string;

  constructor(private readonly opts: ClientOptions) {
    this.url = (opts.url ?? globalThis.location?.origin ?? "").replace(/\/$/, "");
    this.socket = io(this.url, {
      path: "/socket.io",
      transports: ["websocket"],
      auth: (cb) => void this.token().then((token) => cb({ token })),
      reconnectionDelay: 250,
      reconnectionDelayMax: 2000,
    });
  }

  private async token(): Promise<string> {
    return typeof this.opts.token === "function" ? this.opts.token() : this.opts.token;
  }

  /** Calls a REST endpoint; non-2xx answers throw a YilianError with the problem's code. */
  async api<T = unknown>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const res = await fetch(this.url + path, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { authorization: `Bearer ${await this.token()}`, ...(init.body === undefined ? {} : { "content-type": "application/json" }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    const body = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new YilianError(body?.code ?? "HTTP_ERROR", body?.detail ?? res.statusText, res.status);
    return body as T;
  }

  /** Sends a request event and resolves with its ack's data (rejects with a YilianError). */
  request<T>(event: keyof ClientToServerEvents, ...payload: unknown[]): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new YilianError("TIMEOUT", "服务器无响应")), 15_000);
      (this.socket.emit as (ev: string, ...a: unknown[]) => void)(event, ...payload, (ack: Ack<T>) => {
        clearTimeout(timer);
        if (ack.ok) resolve(ack.data);
        else reject(toError(ack.error));
      });
    });
  }

  /** Joins a live room (a consultation by default) and sets up its media path; publish with the Room. */
  async joinRoom(roomId: string, opts: JoinOptions & { kind?: RoomKind } = {}): Promise<Room> {
    if (!this.socket.connected) {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error & { data?: ErrorPayload }) => {
          this.socket.off("connect", onConnect);
          reject(err.data ? toError(err.data) : new YilianError("UNAVAILABLE", err.message));
        };
        const onConnect = () => {
          this.socket.off("connect_error", onError);
          resolve();
        };
        this.socket.once("connect", onConnect);
        this.socket.once("connect_error", onError);
      });
    }
    return Room.join(this, opts.kind ?? "consultation", roomId, opts);
  }

  close(): void {
    this.socket.disconnect();
  }
}

export const toError = (e: ErrorPayload) => new YilianError(e.code, e.message, undefined, e.details);

export function createClient(opts: ClientOptions): YilianClient {
  return new YilianClient(opts);
}
