// Access tokens: short-lived HS256 JWTs carrying the caller's principal. Refresh tokens: opaque random strings,
// stored only as SHA-256 hashes. An access token works only while its session (login) is live (sessions.ts).
import { createHash, randomBytes } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { AppError, ErrorCode, type Role, type Tier } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import type { SessionRegistry } from "./sessions";
import { phase } from "../http/profile";

const ISSUER = "yilian";
const AUDIENCE = "yilian-api";

interface Claims {
  usr: string;
  roles: Role[];
  inst: string;
  tier: Tier;
  dept: string | null;
  reg: AuthUser["region"];
  sid: string;
}

/** Verified access tokens kept (a process serves a few thousand people at most within one token lifetime). */
const VERIFIED_MAX = 20_000;

type Payload = Claims & { sub: string; exp?: number };

export class TokenService {
  /**
   * The HMAC key imported into WebCrypto once: given raw bytes, jose imports them again for every token it signs or
   * verifies (2.5–4× the CPU per verification; a thousand consoles reconnecting to a surviving server process after
   * another was lost verify a thousand tokens at once).
   */
  private readonly key: Promise<CryptoKey>;
  /**
   * Access tokens whose signature and claims were checked, least recently used first. A dashboard or a console
   * sends the same token with every request: it is verified once, then found here by its exact text (any change to
   * it is another key). jose verifies through WebCrypto, which queues on libuv's thread pool (behind argon2 during a
   * login wave) and costs two event-loop turns per request. An entry is good until the token's own expiry;
   * revocation is still checked on every request (the session registry).
   */
  private readonly verified = new Map<string, Payload>();

  constructor(
    secret: string,
    readonly sessions: SessionRegistry,
    readonly accessTtlS: number,
    /** Off only for the api benchmark's with/without comparison (config refuses it in production). */
    private readonly checkSessions = true,
  ) {
    this.key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
  }

  async signAccess(user: AuthUser): Promise<string> {
    const claims: Claims = {
      usr: user.username,
      roles: user.roles,
      inst: user.institutionId,
      tier: user.institutionTier,
      dept: user.departmentId,
      reg: user.region,
      sid: user.sessionId,
    };
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.accessTtlS}s`)
      .sign(await this.key);
  }

  /** The token's claims once its signature, issuer, audience and expiry are checked (each token verified once). */
  private async verifiedPayload(token: string): Promise<Payload> {
    const known = this.verified.get(token);
    if (known) {
      if (known.exp !== undefined && known.exp * 1000 <= Date.now()) {
        this.verified.delete(token);
        throw new AppError(ErrorCode.TOKEN_EXPIRED);
      }
      this.verified.delete(token); // re-inserted: most recently used
      this.verified.set(token, known);
      return known;
    }
    let payload: Claims & { sub?: string; exp?: number };
    try {
      ({ payload } = (await jwtVerify(token, await this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
      })) as {
        payload: Claims & { sub?: string; exp?: number };
      });
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) throw new AppError(ErrorCode.TOKEN_EXPIRED);
      throw new AppError(ErrorCode.TOKEN_INVALID);
    }
    if (typeof payload.sub !== "string" || typeof payload.sid !== "string" || !Array.isArray(payload.roles)) {
      throw new AppError(ErrorCode.TOKEN_INVALID);
    }
    const verified = payload as Payload;
    this.verified.set(token, verified);
    if (this.verified.size > VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
    return verified;
  }

  /** Verifies an access token and that its session has not been revoked. */
  async verifyAccess(token: string): Promise<AuthUser> {
    const payload = await this.verifiedPayload(token);
    const { sid, sub } = payload;
    if (this.checkSessions && !(await phase("session", () => this.sessions.isLive(sid, sub))))
      throw new AppError(ErrorCode.TOKEN_REVOKED);
    return {
      id: payload.sub,
      username: payload.usr,
      roles: [...payload.roles], // the cached claims stay as verified, whatever a request does with its principal
      institutionId: payload.inst,
      institutionTier: payload.tier,
      departmentId: payload.dept ?? null,
      region: payload.reg ? { ...payload.reg } : null,
      sessionId: payload.sid,
    };
  }
}

export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
