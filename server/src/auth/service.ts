// Login, refresh (rotating, with reuse detection), logout / revoke.
import { randomUUID } from "node:crypto";
import type { Prisma } from "@prisma/client";
import { AppError, ErrorCode, type Me, type TokenPair } from "@yilian/contract";
import { sqlOf, type Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { audit, auditInsert } from "../audit/audit";
import type { AuditEntry } from "@yilian/audit";
import { getContext } from "../http/context";
import { phase } from "../http/profile";
import { verifyPassword } from "./passwords";
import { hashRefreshToken, newRefreshToken, type TokenService } from "./tokens";
import type { LoginLockout } from "./lockout";

/** An account with what a token and the `me` answer say about it. */
interface LoadedUser extends Omit<Me, "roles" | "title"> {
  roles: AuthUser["roles"];
  title: Me["title"];
  passwordHash: string;
  active: boolean;
  institutionId: string;
  departmentId: string | null;
}

// Login is on every shift's first minute: the account and its institution, department and region in one
// statement (through the ORM it was four).
const LOAD_USER = `
  SELECT u.id, u.username, u."passwordHash", u."displayName", u.roles::text[] AS roles, u.title, u.active,
         u."institutionId", u."departmentId",
         json_build_object('id', i.id, 'name', i.name, 'tier', i.tier) AS institution,
         CASE WHEN d.id IS NULL THEN NULL ELSE json_build_object('id', d.id, 'name', d.name) END AS department,
         CASE WHEN r.id IS NULL THEN NULL ELSE json_build_object('id', r.id, 'name', r.name, 'kind', r.kind) END AS region
  FROM "User" u
  JOIN "Institution" i ON i.id = u."institutionId"
  LEFT JOIN "Department" d ON d.id = u."departmentId"
  LEFT JOIN "Region" r ON r.id = u."regionId"`;
const LOAD_USER_BY_ID = `${LOAD_USER} WHERE u.id = $1`;
const LOAD_USER_BY_USERNAME = `${LOAD_USER} WHERE u.username = $1`;

async function loadUser(db: Db, where: { id: string } | { username: string }): Promise<LoadedUser | null> {
  const { rows } =
    "id" in where
      ? await sqlOf(db).query<LoadedUser>(LOAD_USER_BY_ID, [where.id])
      : await sqlOf(db).query<LoadedUser>(LOAD_USER_BY_USERNAME, [where.username]);
  return rows[0] ?? null;
}

export function toMe(u: LoadedUser): Me {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    roles: u.roles,
    title: u.title,
    institution: u.institution,
    department: u.department,
    region: u.region,
  };
}

function principal(u: LoadedUser, sessionId: string): AuthUser {
  return {
    id: u.id,
    username: u.username,
    roles: u.roles,
    institutionId: u.institutionId,
    institutionTier: u.institution.tier,
    departmentId: u.departmentId,
    region: u.region ? { id: u.region.id, kind: u.region.kind } : null,
    sessionId,
  };
}

function lockedError(retryAfterS: number): AppError {
  const minutes = Math.ceil(retryAfterS / 60);
  return new AppError(
    ErrorCode.ACCOUNT_LOCKED,
    `密码错误次数过多，账号已锁定，请 ${minutes} 分钟后再试或联系管理员解锁`,
    {
      details: { retryAfterS },
    },
  );
}

export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly tokens: TokenService,
    private readonly refreshTtlS: number,
    readonly lockout: LoginLockout,
  ) {}

  async me(userId: string): Promise<Me> {
    const u = await loadUser(this.db, { id: userId });
    if (!u) throw new AppError(ErrorCode.NOT_FOUND);
    return toMe(u);
  }

  /** `username` is normalised (LoginBody). */
  async login(username: string, password: string): Promise<TokenPair> {
    // The account and its lock-out state are independent reads: one round trip's wait, not two.
    const [u, lockedS] = await Promise.all([loadUser(this.db, { username }), this.lockout.lockedForS(username)]);
    const denied = (detail: Prisma.InputJsonValue) =>
      audit(this.db, {
        action: "auth.login",
        entityType: "User",
        entityId: u?.id ?? null,
        outcome: "DENIED",
        actorId: u?.id ?? null,
        actorInstitutionId: u?.institutionId ?? null,
        detail,
      });
    // A locked account is refused before its password is even checked: guesses during the lock teach nothing.
    if (lockedS > 0) {
      await denied({ username, reason: "locked", retryAfterS: lockedS });
      throw lockedError(lockedS);
    }
    const ok = await phase("hash", () => verifyPassword(u?.passwordHash ?? null, password));
    if (!u || !ok) {
      // Unknown names count too, so a lock-out does not tell which accounts exist.
      const lockS = await this.lockout.recordFailure(username);
      await denied({ username, ...(lockS ? { lockedForS: lockS } : {}) });
      if (lockS) throw lockedError(lockS);
      throw new AppError(ErrorCode.INVALID_CREDENTIALS);
    }
    if (!u.active) {
      await this.lockout.recordSuccess(username);
      await audit(this.db, {
        action: "auth.login",
        entityType: "User",
        entityId: u.id,
        outcome: "DENIED",
        actorId: u.id,
        actorInstitutionId: u.institutionId,
        detail: { reason: "disabled" },
      });
      throw new AppError(ErrorCode.ACCOUNT_DISABLED);
    }
    const [pair] = await Promise.all([
      this.issue(u, randomUUID(), {
        action: "auth.login",
        entityType: "User",
        entityId: u.id,
        outcome: "SUCCESS",
        actorId: u.id,
        actorInstitutionId: u.institutionId,
      }),
      this.lockout.recordSuccess(username),
    ]);
    return pair;
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const hash = hashRefreshToken(refreshToken);
    const stored = await this.db.refreshToken.findUnique({ where: { tokenHash: hash } });
    if (!stored) throw new AppError(ErrorCode.TOKEN_INVALID);
    if (stored.revokedAt) throw new AppError(ErrorCode.TOKEN_REVOKED);
    if (stored.rotatedAt) {
      // A rotated token presented again means it leaked: end the whole login.
      await this.revokeFamilies([stored.familyId]);
      await audit(this.db, {
        action: "auth.refresh.reuse",
        entityType: "User",
        entityId: stored.userId,
        outcome: "DENIED",
        actorId: stored.userId,
      });
      throw new AppError(ErrorCode.TOKEN_REVOKED);
    }
    if (stored.expiresAt.getTime() <= Date.now()) throw new AppError(ErrorCode.TOKEN_EXPIRED);
    // Only one of several concurrent refreshes with the same token wins the rotation.
    const { count } = await this.db.refreshToken.updateMany({
      where: { id: stored.id, rotatedAt: null, revokedAt: null },
      data: { rotatedAt: new Date() },
    });
    if (count !== 1) throw new AppError(ErrorCode.TOKEN_REVOKED);
    const u = await loadUser(this.db, { id: stored.userId });
    if (!u || !u.active) {
      await this.revokeFamilies([stored.familyId]);
      throw new AppError(ErrorCode.ACCOUNT_DISABLED);
    }
    return this.issue(u, stored.familyId);
  }

  /** Ends the caller's current session, or every session of the caller with `everywhere`. */
  async logout(user: AuthUser, opts: { everywhere?: boolean } = {}): Promise<void> {
    if (opts.everywhere) {
      await this.revokeAllSessions(user.id);
    } else {
      await this.revokeFamilies([user.sessionId]);
    }
    await audit(this.db, {
      action: opts.everywhere ? "auth.logout.everywhere" : "auth.logout",
      entityType: "User",
      entityId: user.id,
      outcome: "SUCCESS",
    });
  }

  /** Used when an account is disabled or its roles change: every session ends now. */
  async revokeAllSessions(userId: string): Promise<void> {
    const families = await this.db.refreshToken.findMany({
      where: { userId, revokedAt: null },
      select: { familyId: true },
      distinct: ["familyId"],
    });
    await this.revokeFamilies(families.map((f) => f.familyId));
  }

  private async revokeFamilies(familyIds: string[]): Promise<void> {
    if (!familyIds.length) return;
    await this.db.refreshToken.updateMany({
      where: { familyId: { in: familyIds }, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    await this.tokens.sessions.revoke(familyIds);
  }

  /** A new token pair for `u`; `auditEntry`, if given, is written with the refresh token (both or neither). */
  private async issue(u: LoadedUser, familyId: string, auditEntry?: AuditEntry): Promise<TokenPair> {
    const { token, hash } = newRefreshToken();
    const ctx = getContext();
    const expiresAt = new Date(Date.now() + this.refreshTtlS * 1000);
    const values = [
      randomUUID(),
      u.id,
      familyId,
      hash,
      expiresAt,
      ctx?.ip ?? null,
      ctx?.userAgent?.slice(0, 300) ?? null,
    ];
    const insertToken = `INSERT INTO "RefreshToken" (id, "userId", "familyId", "tokenHash", "expiresAt", ip, "userAgent")
      VALUES ($1, $2, $3, $4, $5, $6, $7)`;
    const withAudit = auditEntry && auditInsert(auditEntry, values.length + 1);
    // Independent steps side by side; the pair is handed out only when all of them succeeded (a live marker
    // without a stored refresh token names a session nobody holds a token for).
    const [, , accessToken] = await Promise.all([
      withAudit
        ? sqlOf(this.db).query(`WITH token AS (${insertToken}) ${withAudit.text}`, [...values, ...withAudit.values])
        : sqlOf(this.db).query(insertToken, values),
      this.tokens.sessions.markLive(familyId, u.id, expiresAt),
      this.tokens.signAccess(principal(u, familyId)),
    ]);
    return { accessToken, expiresIn: this.tokens.accessTtlS, refreshToken: token, user: toMe(u) };
  }
}
