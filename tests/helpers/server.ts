// Starts a real server (REST + Socket.IO) on an ephemeral port against the test database and Redis.
import { createServices, createYilianServer, loadConfig, type YilianServer } from "@yilian/server";
import type { TokenPair } from "@yilian/contract";

export const DEMO_PASSWORD = "Yilian@2024";

export interface TestServer {
  server: YilianServer;
  baseUrl: string;
  login(username: string, password?: string): Promise<TokenPair>;
  api(
    path: string,
    opts?: { token?: string; method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export async function startTestServer(overrides: NodeJS.ProcessEnv = {}): Promise<TestServer> {
  const config = loadConfig({ ...process.env, ...overrides });
  const server = createYilianServer(createServices(config));
  const { url } = await server.listen();
  const api: TestServer["api"] = async (path, opts = {}) => {
    const res = await fetch(url + path, {
      method: opts.method ?? (opts.body !== undefined ? "POST" : "GET"),
      headers: {
        ...(opts.body !== undefined && typeof opts.body !== "string" ? { "content-type": "application/json" } : {}),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body, headers: res.headers };
  };
  return {
    server,
    baseUrl: url,
    api,
    async login(username, password = DEMO_PASSWORD) {
      const r = await api("/api/auth/login", { body: { username, password } });
      if (r.status !== 200) throw new Error(`login ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as TokenPair;
    },
    stop: () => server.stop(),
  };
}
