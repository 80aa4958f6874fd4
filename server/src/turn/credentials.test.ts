import { createHmac } from "node:crypto";
import { iceServersFor, turnCredential, turnUrls } from "./credentials";

const config = {
  TURN_ENABLED: true,
  TURN_SECRET: "s".repeat(40),
  TURN_HOST: "turn.example-hospital.cn",
  TURN_PORT: 3478,
  TURN_TLS_PORT: 443,
  TURN_URLS: undefined,
  TURN_CREDENTIAL_TTL_S: 3600,
};

describe("TURN REST API credentials", () => {
  it("username is expiry:user and the password is base64 HMAC-SHA1 of it with the shared secret (coturn use-auth-secret)", () => {
    const now = Date.UTC(2026, 11, 4, 8, 0, 0);
    const c = turnCredential("shared-secret", "user-1", 600, now);
    expect(c.username).toBe(`${now / 1000 + 600}:user-1`);
    expect(c.credential).toBe(createHmac("sha1", "shared-secret").update(c.username).digest("base64"));
    expect(c.expiresAt).toBe(now / 1000 + 600);
  });

  it("clients get UDP, TCP and TLS 443 URLs and the expiry; nothing when TURN is off", () => {
    const now = Date.UTC(2026, 11, 4, 8, 0, 0);
    const ice = iceServersFor(config, "u1", now);
    expect(ice.iceServers).toEqual([
      {
        urls: [
          "turn:turn.example-hospital.cn:3478?transport=udp",
          "turn:turn.example-hospital.cn:3478?transport=tcp",
          "turns:turn.example-hospital.cn:443?transport=tcp",
        ],
        username: `${now / 1000 + 3600}:u1`,
        credential: expect.any(String),
      },
    ]);
    expect(ice.iceServersExpireAt).toBe(new Date(now + 3_600_000).toISOString());
    expect(iceServersFor({ ...config, TURN_ENABLED: false }, "u1")).toEqual({ iceServers: [] });
  });

  it("explicit TURN_URLS win; IPv6 hosts are bracketed", () => {
    expect(turnUrls({ ...config, TURN_URLS: " turns:a.cn:443?transport=tcp , turn:b.cn:3478 " })).toEqual([
      "turns:a.cn:443?transport=tcp",
      "turn:b.cn:3478",
    ]);
    expect(turnUrls({ ...config, TURN_HOST: "2001:db8::1" })[2]).toBe("turns:[2001:db8::1]:443?transport=tcp");
  });
});
