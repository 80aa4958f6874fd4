import type { NextFunction, Request, Response } from "express";
import { AppError, ErrorCode } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import { getContext } from "../http/context";
import { phase } from "../http/profile";
import type { TokenService } from "./tokens";

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m ? m[1]! : null;
}

/** Authenticates the caller from the Authorization header and records them in the request context. */
export function requireAuth(tokens: TokenService) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return next(new AppError(ErrorCode.UNAUTHENTICATED));
    try {
      const user = await phase("auth", () => tokens.verifyAccess(token));
      res.locals.user = user;
      const ctx = getContext();
      if (ctx) ctx.user = user;
      next();
    } catch (e) {
      next(e);
    }
  };
}

export function currentUser(res: Response): AuthUser {
  const user = res.locals.user as AuthUser | undefined;
  if (!user) throw new AppError(ErrorCode.UNAUTHENTICATED);
  return user;
}
