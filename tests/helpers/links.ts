// The township-link lab shared by tests/links and bench/links: a network sandbox for one browser (helpers/netns.ts),
// a real coturn on the sandbox's host address (UDP/TCP 3478, TLS 443), and a Yilian server whose media listens on
// that address too, so the sandboxed browser could reach it directly if its firewall let it. A second browser on
// the host (a specialist on a good network) talks to the media server directly.
import os from "node:os";
import path from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import type { Browser } from "playwright-core";
import { startCoturn, type CoturnProcess } from "../../server/src/turn/coturn";
import { launchBrowser } from "./chromium";
import { createSandbox, type Allowed, type NetSandbox } from "./netns";
import { startTestServer, type TestServer } from "./server";

export const TURN_PORT = 3478;
export const TURN_TLS_PORT = 443;

export interface LinkLab {
  sandbox: NetSandbox;
  turn: CoturnProcess;
  turnSecret: string;
  server: TestServer;
  /** The server as the sandbox reaches it. */
  sandboxUrl: string;
  /** Firewall rule: TURN over TLS on 443, the one port the hospital network lets out. */
  tls443: Allowed;
  /** Firewall rule: signalling (HTTPS to the Yilian server in production). */
  signalling: Allowed;
  /** Chromium inside the sandbox. */
  launchSandboxed(): Promise<Browser>;
  close(): Promise<void>;
}

export async function startLinkLab(opts: { serverEnv?: NodeJS.ProcessEnv; turnUrls?: (hostIp: string) => string[] } = {}): Promise<LinkLab> {
  const sandbox = createSandbox();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), `${sandbox.name}-turn-`));
  const turnSecret = `lab-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}-turn-secret`;
  let turn: CoturnProcess | undefined;
  let server: TestServer | undefined;
  try {
    const relayBase = 50_000 + Math.floor(Math.random() * 140) * 100;
    turn = await startCoturn({
      stateDir,
      secret: turnSecret,
      listenIps: [sandbox.hostIp],
      relayIp: sandbox.hostIp,
      port: TURN_PORT,
      tlsPort: TURN_TLS_PORT,
      minPort: relayBase,
      maxPort: relayBase + 99,
      allowedPeerIps: [sandbox.hostIp],
    });
    server = await startTestServer({
      // Reachable from the sandbox (its veth peer address) and from the host browser (127.0.0.1, a secure origin).
      HOST: "0.0.0.0",
      MEDIA_WEBRTC_PORT: "0",
      MEDIA_WORKERS: "1",
      MEDIA_LISTEN_IP: sandbox.hostIp,
      TURN_SECRET: turnSecret,
      TURN_HOST: sandbox.hostIp,
      TURN_PORT: String(TURN_PORT),
      TURN_TLS_PORT: String(TURN_TLS_PORT),
      ...(opts.turnUrls ? { TURN_URLS: opts.turnUrls(sandbox.hostIp).join(",") } : {}),
      ...opts.serverEnv,
    });
  } catch (e) {
    await turn?.stop();
    sandbox.close();
    rmSync(stateDir, { recursive: true, force: true });
    throw e;
  }
  const port = Number(new URL(server.baseUrl).port);
  const sandboxUrl = `http://${sandbox.hostIp}:${port}`;
  const signalling: Allowed = { proto: "tcp", ip: sandbox.hostIp, port };
  const tls443: Allowed = { proto: "tcp", ip: sandbox.hostIp, port: TURN_TLS_PORT };
  const t = turn;
  const s = server;
  return {
    sandbox,
    turn: t,
    turnSecret,
    server: s,
    sandboxUrl,
    tls443,
    signalling,
    launchSandboxed: () =>
      launchBrowser({
        executablePath: sandbox.chromium,
        args: [
          // The sandbox reaches the server by its veth address: plain http there is not a secure origin.
          `--unsafely-treat-insecure-origin-as-secure=${sandboxUrl}`,
          // Trust the development TURN certificate (self-signed); production has a real one.
          "--ignore-certificate-errors",
        ],
      }),
    async close() {
      await s.stop().catch(() => undefined);
      await t.stop();
      sandbox.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
