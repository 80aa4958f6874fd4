// coturn's configuration, and a real turnserver started on loopback (ephemeral ports) answering STUN.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { coturnConfig, startCoturn, stunBinding, type CoturnOptions } from "./coturn";

const base: CoturnOptions = {
  stateDir: "/var/lib/yilian/turn",
  secret: "t".repeat(40),
  listenIps: ["10.0.0.5"],
  relayIp: "10.0.0.5",
  port: 3478,
  tlsPort: 443,
  minPort: 49160,
  maxPort: 49999,
  allowedPeerIps: ["10.0.0.7"],
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("coturn configuration", () => {
  it("TURN REST API auth, TLS with the given certificate, relays only to the media servers", () => {
    const conf = coturnConfig({ ...base, certFile: "/c.pem", keyFile: "/k.pem" }).split("\n");
    expect(conf).toEqual(
      expect.arrayContaining([
        "listening-ip=10.0.0.5",
        "listening-port=3478",
        "tls-listening-port=443",
        "use-auth-secret",
        `static-auth-secret=${base.secret}`,
        "cert=/c.pem",
        "pkey=/k.pem",
        "no-tcp-relay",
        "denied-peer-ip=0.0.0.0-255.255.255.255",
        "allowed-peer-ip=10.0.0.7",
        "no-tlsv1",
        "no-tlsv1_1",
      ]),
    );
    expect(conf).not.toContain("allow-loopback-peers");
    // Loopback media (development): loopback peers are allowed, and only then.
    expect(coturnConfig({ ...base, allowedPeerIps: ["127.0.0.1"], certFile: "c", keyFile: "k" })).toContain(
      "allow-loopback-peers",
    );
  });

  it("starts turnserver with a development certificate and a 0600 configuration; it answers STUN until stopped", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "yilian-coturn-"));
    const [port, tlsPort] = [await freePort(), await freePort()];
    const turn = await startCoturn({
      ...base,
      stateDir: dir,
      listenIps: ["127.0.0.1"],
      relayIp: "127.0.0.1",
      allowedPeerIps: ["127.0.0.1"],
      port,
      tlsPort,
      minPort: 61000,
      maxPort: 61100,
    });
    try {
      expect(statSync(turn.configFile).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(dir, "turn-tls.key")).mode & 0o777).toBe(0o600);
      expect(await stunBinding("127.0.0.1", port)).toBe(true);
    } finally {
      await turn.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await stunBinding("127.0.0.1", port)).toBe(false);
  });
});
