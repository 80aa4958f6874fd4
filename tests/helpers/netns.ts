// A network sandbox for one browser: a network namespace (`links-…`) joined to the host by a veth pair, with an
// nftables firewall INSIDE the namespace only (the host's own firewall is never touched: the machine is shared).
// Everything the namespace may reach is listed; the rest (UDP, the media server's ports, …) is dropped, like a
// hospital network that only lets HTTPS out. Chromium runs inside it through a wrapper executable.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface Allowed {
  proto: "tcp" | "udp";
  /** Host-side address (the sandbox reaches only the host end of its veth). */
  ip: string;
  port: number;
}

export interface NetSandbox {
  /** Namespace name, `links-<id>`. */
  name: string;
  /** The host's address on the veth pair: bind servers here to make them reachable from the sandbox. */
  hostIp: string;
  /** The sandbox's own address. */
  sandboxIp: string;
  /** A Chromium executable that runs inside the namespace (for launchBrowser). */
  chromium: string;
  /** Replaces the firewall's allow list. */
  allow(rules: Allowed[]): void;
  /** Runs a command inside the namespace. */
  exec(cmd: string[]): { status: number | null; stdout: string; stderr: string };
  close(): void;
}

function run(cmd: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? r.error?.message ?? "" };
}

function must(cmd: string[], input?: string): string {
  const r = run(cmd, input);
  if (r.status !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.trim() || `exit ${r.status}`}`);
  return r.stdout;
}

/** Whether this machine can make sandboxes (root, `ip netns`, nft). */
export function sandboxSupported(): string | undefined {
  if (process.getuid?.() !== 0) return "network namespaces need root";
  if (run(["ip", "netns", "list"]).status !== 0) return "`ip netns` is not available";
  if (run(["nft", "--version"]).status !== 0) return "nftables (nft) is not installed";
  return undefined;
}

/** A 10.x.y.0/30 not used by any interface of the host. */
function freeSubnet(): [string, string] {
  const used = must(["ip", "-4", "-o", "addr"]);
  for (let i = 0; i < 200; i++) {
    const x = 200 + Math.floor(Math.random() * 50);
    const y = Math.floor(Math.random() * 64) * 4;
    const host = `10.${x}.${y}.1`;
    if (!used.includes(`10.${x}.${y}.`)) return [host, `10.${x}.${y}.2`];
  }
  throw new Error("no free 10.x.y.0/30 for a network sandbox");
}

export function createSandbox(allowed: Allowed[] = []): NetSandbox {
  const id = `${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`.slice(-6);
  const name = `links-${id}`;
  const hostIf = `lk${id}h`;
  const nsIf = `lk${id}n`;
  const [hostIp, sandboxIp] = freeSubnet();
  const inNs = (cmd: string[]) => ["ip", "netns", "exec", name, ...cmd];
  const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const chromium = path.join(dir, "chromium");
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    run(["ip", "link", "del", hostIf]); // removes both ends
    run(["ip", "netns", "del", name]);
    rmSync(dir, { recursive: true, force: true });
  };

  const allow = (rules: Allowed[]) => {
    const accept = rules.map((r) => `    ip daddr ${r.ip} ${r.proto} dport ${r.port} accept`).join("\n");
    // Inside the namespace only: outgoing traffic is dropped unless listed; answers to it come back.
    must(
      inNs(["nft", "-f", "-"]),
      `flush ruleset
table inet sandbox {
  chain output {
    type filter hook output priority 0; policy drop;
    oif "lo" accept
    ct state established,related accept
${accept}
  }
  chain input {
    type filter hook input priority 0; policy drop;
    iif "lo" accept
    ct state established,related accept
  }
}
`,
    );
  };

  try {
    must(["ip", "netns", "add", name]);
    must(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    must(["ip", "link", "set", nsIf, "netns", name]);
    must(["ip", "addr", "add", `${hostIp}/30`, "dev", hostIf]);
    must(["ip", "link", "set", hostIf, "up"]);
    must(inNs(["ip", "link", "set", "lo", "up"]));
    must(inNs(["ip", "addr", "add", `${sandboxIp}/30`, "dev", nsIf]));
    must(inNs(["ip", "link", "set", nsIf, "up"]));
    must(inNs(["ip", "route", "add", "default", "via", hostIp]));
    allow(allowed);
    writeFileSync(
      chromium,
      `#!/bin/sh\nexec ip netns exec ${name} ${process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"} "$@"\n`,
    );
    chmodSync(chromium, 0o755);
  } catch (e) {
    close();
    throw e;
  }
  return { name, hostIp, sandboxIp, chromium, allow, exec: (cmd) => run(inNs(cmd)), close };
}
