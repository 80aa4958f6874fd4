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

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly sessions: SessionRegistry,
    readonly accessTtlS: number,
    /** Off only for the api benchmark's with/without comparison (config refuses it in production). */
    private readonly checkSessions = true,
  ) {
    this.key = new TextEncoder().encode(secret);
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
      .sign(this.key);
  }

  /** Verifies an access token and that its session has not been revoked. */
  async verifyAccess(token: string): Promise<AuthUser> {
    let payload: Claims & { sub?: string };
    try {
      ({ payload } = (await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
      })) as {
        payload: Claims & { sub?: string };
      });
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) throw new AppError(ErrorCode.TOKEN_EXPIRED);
      throw new AppError(ErrorCode.TOKEN_INVALID);
    }
    if (typeof payload.sub !== "string" || typeof payload.sid !== "string" || !Array.isArray(payload.roles)) {
      throw new AppError(ErrorCode.TOKEN_INVALID);
    }
    const { sid, sub } = payload;
    if (this.checkSessions && !(await phase("session", () => this.sessions.isLive(sid, sub))))
      throw new AppError(ErrorCode.TOKEN_REVOKED);
    return {
      id: payload.sub,
      username: payload.usr,
      roles: payload.roles,
      institutionId: payload.inst,
      institutionTier: payload.tier,
      departmentId: payload.dept ?? null,
      region: payload.reg ?? null,
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
