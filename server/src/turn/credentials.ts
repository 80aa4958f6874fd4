// Short-lived TURN credentials (the TURN REST API scheme coturn implements with `use-auth-secret`): the username
// is "<expiry unix seconds>:<user id>", the password base64(HMAC-SHA1(secret, username)). coturn recomputes the
// HMAC with the shared secret and refuses an expired or forged pair; the client never holds a static password.
import { createHmac } from "node:crypto";
import type { MediaIceServers } from "@yilian/contract";
import type { Config } from "../config";

export interface TurnCredential {
  username: string;
  credential: string;
  /** Unix seconds. */
  expiresAt: number;
}

export function turnCredential(secret: string, userId: string, ttlS: number, nowMs = Date.now()): TurnCredential {
  const expiresAt = Math.floor(nowMs / 1000) + ttlS;
  const username = `${expiresAt}:${userId}`;
  return { username, credential: createHmac("sha1", secret).update(username).digest("base64"), expiresAt };
}

type TurnConfig = Pick<
  Config,
  "TURN_ENABLED" | "TURN_SECRET" | "TURN_HOST" | "TURN_PORT" | "TURN_TLS_PORT" | "TURN_URLS" | "TURN_CREDENTIAL_TTL_S"
>;

/** TURN URLs clients are given: UDP and TCP on TURN_PORT, TLS on TURN_TLS_PORT (or TURN_URLS as configured). */
export function turnUrls(config: TurnConfig): string[] {
  if (config.TURN_URLS)
    return config.TURN_URLS.split(",")
      .map((u) => u.trim())
      .filter(Boolean);
  const host = config.TURN_HOST.includes(":") ? `[${config.TURN_HOST}]` : config.TURN_HOST;
  return [
    `turn:${host}:${config.TURN_PORT}?transport=udp`,
    `turn:${host}:${config.TURN_PORT}?transport=tcp`,
    `turns:${host}:${config.TURN_TLS_PORT}?transport=tcp`,
  ];
}

/** The ICE servers of one user's media:join (or ICE restart) answer; none when TURN is off. */
export function iceServersFor(config: TurnConfig, userId: string, nowMs = Date.now()): MediaIceServers {
  if (!config.TURN_ENABLED) return { iceServers: [] };
  const c = turnCredential(config.TURN_SECRET, userId, config.TURN_CREDENTIAL_TTL_S, nowMs);
  return {
    iceServers: [{ urls: turnUrls(config), username: c.username, credential: c.credential }],
    iceServersExpireAt: new Date(c.expiresAt * 1000).toISOString(),
  };
}
