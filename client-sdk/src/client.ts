// createClient(): the authenticated Socket.IO connection shared by live rooms and notifications. It takes the REST
// client's session (createClient({ session: rest })) so both halves use one login and one refresh, or a token
// function of your own. Browsers use their WebSocket; Node (>= 20) uses the `ws` package through socket.io-client.
import { io, type Socket } from "socket.io-client";
import type { Ack, ClientToServerEvents, ErrorPayload, RoomKind, ServerToClientEvents } from "@yilian/contract";
import { loadDevice, Room, type JoinOptions, type LoadedDevice } from "./room";
import { YilianError } from "./errors";
import { ConsultationNotifications } from "./notifications";

export { YilianError } from "./errors";
export type YilianSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What createClient needs of a session: the REST client (createRestClient) is one. */
export interface SessionSource {
  /** Origin of the API, e.g. https://yilian.example-hospital.cn ("" in a browser page of the same origin). */
  baseUrl: string;
  /** A valid access token, refreshed when close to expiry; null when the session is over. */
  accessToken(): Promise<string | null>;
}

export interface ClientOptions {
  /** Server origin (default: the session's baseUrl, else the page's origin). */
  url?: string;
  /** The REST client whose session (and refresh) the connection uses. */
  session?: SessionSource;
  /** Instead of a session: an access token, or a function returning a fresh one (called on every (re)connect). */
  token?: string | (() => string | Promise<string>);
}

/** Set by the single-file browser bundle (dist/yilian-sdk.js), which carries no WebSocket for Node. */
declare const __YILIAN_BROWSER_BUNDLE__: boolean | undefined;

export class YilianClient {
  readonly socket: YilianSocket;
  readonly url: string;

  /** Every consultation event for the user, in one subscription (filter by consultation id). */
  readonly notifications: ConsultationNotifications;

  constructor(private readonly opts: ClientOptions) {
    if (!opts.session && opts.token === undefined)
      throw new YilianError("UNAUTHENTICATED", "createClient 需要 session（REST 客户端）或 token");
    if (
      typeof __YILIAN_BROWSER_BUNDLE__ !== "undefined" &&
      __YILIAN_BROWSER_BUNDLE__ &&
      typeof globalThis.WebSocket === "undefined"
    ) {
      throw new YilianError(
        "UNSUPPORTED_RUNTIME",
        "This runtime has no WebSocket: the browser bundle (yilian-sdk.js) needs one. In Node, import the npm package @yilian/client-sdk (it uses the ws package).",
      );
    }
    this.url = (opts.url ?? (opts.session?.baseUrl || globalThis.location?.origin) ?? "").replace(/\/$/, "");
    if (!this.url) throw new YilianError("VALIDATION_FAILED", "createClient 需要服务器地址（url 或 session.baseUrl）");
    this.socket = io(this.url, {
      path: "/socket.io",
      transports: ["websocket"],
      // No session any more: connect without a token and let the server refuse it (connect_error UNAUTHENTICATED).
      auth: (cb) =>
        void this.token().then(
          (token) => cb({ token }),
          () => cb({ token: "" }),
        ),
      reconnectionDelay: 250,
      reconnectionDelayMax: 2000,
    });
    this.notifications = new ConsultationNotifications(this.socket);
    // Browsers load the media device while nothing waits on it, so a join is one round trip.
    if (typeof globalThis.RTCPeerConnection !== "undefined") this.socket.on("connect", () => void this.mediaDevice());
  }

  private device?: Promise<LoadedDevice | undefined>;

  /** The mediasoup device, loaded with the media routers' capabilities (browsers; undefined when it failed). */
  mediaDevice(): Promise<LoadedDevice | undefined> {
    if (typeof globalThis.RTCPeerConnection === "undefined") return Promise.resolve(undefined);
    this.device ??= this.connected()
      .then(() => this.request("media:capabilities"))
      .then(loadDevice)
      .catch(() => {
        this.device = undefined; // tried again on the next join or connect
        return undefined;
      });
    return this.device;
  }

  private async token(): Promise<string> {
    if (this.opts.session) {
      const token = await this.opts.session.accessToken();
      if (!token) throw new YilianError("UNAUTHENTICATED", "登录已结束，请重新登录");
      return token;
    }
    return typeof this.opts.token === "function" ? this.opts.token() : (this.opts.token ?? "");
  }

  /** Resolves once connected (at once if already); rejects with the server's reason (e.g. TOKEN_EXPIRED). */
  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error & { data?: ErrorPayload }) => {
        this.socket.off("connect", onConnect);
        reject(err.data ? toError(err.data) : new YilianError("NETWORK", `无法建立实时连接：${err.message}`));
      };
      const onConnect = () => {
        this.socket.off("connect_error", onError);
        resolve();
      };
      this.socket.once("connect", onConnect);
      this.socket.once("connect_error", onError);
    });
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
    const started = performance.now();
    await this.connected();
    return Room.join(this, opts.kind ?? "consultation", roomId, opts, { started, socketReady: performance.now() });
  }

  close(): void {
    this.socket.disconnect();
  }
}

export const toError = (e: ErrorPayload) => YilianError.fromAck(e);

/**
 *   const rest = createRestClient({ baseUrl });  await rest.login(username, password);
 *   const live = createClient({ session: rest });
 *   live.notifications.subscribe((name, e) => refresh(e.consultationId));
 *   const room = await live.joinRoom(consultationId);   // browsers
 */
export function createClient(opts: ClientOptions): YilianClient {
  return new YilianClient(opts);
}
