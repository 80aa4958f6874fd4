// The one request/refresh core every REST domain file builds on: a session (login, rotating refresh shared by
// concurrent callers, logout), JSON requests, downloads and uploads. Errors arrive as RFC 9457 problem+json and are
// raised as YilianError; a 401 is retried once after a refresh; a session-ending answer ends the session.
import type { Me, TokenPair } from "@yilian/contract";
import { SESSION_ENDING_CODES, YilianError } from "../errors";

/** Where a session keeps its tokens (browser: sessionStorage; services: memory, or a file of your own). */
export interface TokenStore {
  get(): StoredSession | null;
  set(s: StoredSession | null): void;
}
export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
  user: Me;
}

export const memoryTokenStore = (): TokenStore => {
  let s: StoredSession | null = null;
  return { get: () => s, set: (v) => void (s = v) };
};

export interface RestClientOptions {
  /** Origin of the API, e.g. https://yilian.example-hospital.cn; "" (default) for the same origin in a browser. */
  baseUrl?: string;
  store?: TokenStore;
  /** Called once when the session ends (refresh failed, revoked, account disabled): show the login. */
  onSessionEnded?: (e: YilianError) => void;
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | boolean | undefined | null>;
export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not refresh and retry on 401 (login, refresh). */
  noAuth?: boolean;
}

export interface DownloadedFile {
  blob: Blob;
  /** From content-disposition, if the server named it. */
  filename: string | null;
}

function qs(query?: Query): string {
  if (!query) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

function filenameOf(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain?.[1] ?? null;
}

export async function problemFrom(res: Response): Promise<YilianError> {
  let body: Record<string, unknown> | null = null;
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    /* not problem+json (a proxy's error page) */
  }
  return YilianError.fromProblem(res.status, body);
}

const networkError = (e: unknown) =>
  new YilianError("NETWORK", `无法连接服务器：${(e as Error)?.message ?? e}`, { status: 0 });

function toStored(pair: TokenPair): StoredSession {
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    expiresAt: Date.now() + pair.expiresIn * 1000,
    user: pair.user,
  };
}

export type RestCore = ReturnType<typeof createRestCore>;

export function createRestCore(opts: RestClientOptions = {}) {
  const baseUrl = (opts.baseUrl ?? "").replace(/\/$/, "");
  const store = opts.store ?? memoryTokenStore();
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  let refreshing: Promise<string | null> | null = null;
  let ended = false;

  const send = (url: string, init: RequestInit) =>
    doFetch(url, init).catch((e: unknown) => Promise.reject(networkError(e)));

  const endSession = (e: YilianError) => {
    store.set(null);
    if (!ended) {
      ended = true;
      opts.onSessionEnded?.(e);
    }
  };

  /** Rotates the refresh token once for all concurrent callers; null when the session is over. */
  const refresh = (): Promise<string | null> => {
    refreshing ??= (async () => {
      const s = store.get();
      if (!s) return null;
      const res = await send(`${baseUrl}/api/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken: s.refreshToken }),
      });
      if (!res.ok) {
        endSession(await problemFrom(res));
        return null;
      }
      const pair = (await res.json()) as TokenPair;
      store.set(toStored(pair));
      return pair.accessToken;
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  /** A valid access token (refreshed shortly before it expires), or null without a session. */
  const accessToken = async (): Promise<string | null> => {
    const s = store.get();
    if (!s) return null;
    if (s.expiresAt - Date.now() < 15_000) return refresh();
    return s.accessToken;
  };

  async function raw(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    const attempt = async (token: string | null) =>
      send(`${baseUrl}${path}${qs(o.query)}`, {
        method,
        signal: o.signal,
        headers: {
          ...(o.body !== undefined ? { "content-type": "application/json" } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
      });
    let res = await attempt(o.noAuth ? null : await accessToken());
    if (res.status === 401 && !o.noAuth && store.get()) {
      const token = await refresh();
      if (token) res = await attempt(token);
    }
    if (!res.ok) {
      const err = await problemFrom(res);
      if (!o.noAuth && SESSION_ENDING_CODES.has(err.code)) endSession(err);
      throw err;
    }
    return res;
  }

  async function request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const res = await raw(method, path, o);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function download(path: string, query?: Query): Promise<DownloadedFile> {
    const res = await raw("GET", path, { query });
    return { blob: await res.blob(), filename: filenameOf(res.headers.get("content-disposition")) };
  }

  /**
   * Posts one file as multipart field `file` with progress (browser: XMLHttpRequest, the only API that reports
   * upload progress; elsewhere fetch, progress reported once at the end).
   */
  async function upload<T>(
    path: string,
    file: Blob,
    name: string,
    onProgress?: (fraction: number) => void,
  ): Promise<T> {
    const url = `${baseUrl}${path}`;
    const form = new FormData();
    form.append("file", file, name);
    const attempt = async (): Promise<{ status: number; text: string }> => {
      const token = await accessToken();
      if (typeof XMLHttpRequest === "undefined") {
        const res = await send(url, {
          method: "POST",
          body: form,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        onProgress?.(1);
        return { status: res.status, text: await res.text() };
      }
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open("POST", url);
        if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
        xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
        xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
        xhr.onerror = () => reject(new YilianError("NETWORK", "网络连接中断，上传失败", { status: 0 }));
        xhr.send(form);
      });
    };
    let r = await attempt();
    if (r.status === 401 && (await refresh())) r = await attempt();
    if (r.status >= 400) {
      const err = await problemFrom(new Response(r.text, { status: r.status }));
      if (SESSION_ENDING_CODES.has(err.code)) endSession(err);
      throw err;
    }
    return JSON.parse(r.text) as T;
  }

  const id = encodeURIComponent;
  return {
    baseUrl,
    store,
    request,
    download,
    upload,
    accessToken,
    refresh,
    /** Ends the session when an error says it is over (revoked, account disabled). */
    sessionEnded: (err: YilianError) => void (SESSION_ENDING_CODES.has(err.code) && endSession(err)),
    id,
    get: <T>(path: string, query?: Query) => request<T>("GET", path, { query }),
    post: <T>(path: string, body: unknown = {}) => request<T>("POST", path, { body }),
    put: <T>(path: string, body: unknown = {}) => request<T>("PUT", path, { body }),
    patch: <T>(path: string, body: unknown = {}) => request<T>("PATCH", path, { body }),
    del: <T>(path: string, body?: unknown) => request<T>("DELETE", path, { body }),
    /** Starts a session: stores the tokens. */
    async login(username: string, password: string): Promise<Me> {
      const pair = await request<TokenPair>("POST", "/api/auth/login", { body: { username, password }, noAuth: true });
      store.set(toStored(pair));
      ended = false;
      return pair.user;
    },
    /** Ends this session on the server (or every session of the user) and forgets the tokens. */
    async logout(opts: { everywhere?: boolean } = {}): Promise<void> {
      const s = store.get();
      if (!s) return;
      await request("POST", "/api/auth/logout", {
        body: { refreshToken: s.refreshToken, ...(opts.everywhere ? { everywhere: true } : {}) },
      }).catch(() => undefined);
      store.set(null);
    },
    /** The logged-in user as of the last login or refresh (no request). */
    currentUser: (): Me | null => store.get()?.user ?? null,
  };
}
