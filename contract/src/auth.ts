import { z } from "zod";
import { Id, LIMITS } from "./common";
import { ProfessionalTitle, Role, Tier } from "./enums";

/** The one form of a username for lookup, rate limits and lock-outs: "  Spec.JDYY.2" and "spec.jdyy.2" are one account. */
export function normalizeUsername(raw: string): string {
  return raw.normalize("NFKC").trim().toLowerCase();
}

export const LoginBody = z.object({
  username: z.string().normalize("NFKC").trim().toLowerCase().min(1, "请输入用户名").max(64),
  password: z.string().min(1, "请输入密码").max(256),
});
export type LoginBody = z.infer<typeof LoginBody>;

export const RefreshBody = z.object({ refreshToken: z.string().min(10).max(LIMITS.shortText) });
export type RefreshBody = z.infer<typeof RefreshBody>;

export const LogoutBody = z.object({
  refreshToken: z.string().min(10).max(LIMITS.shortText).optional(),
  /** Revoke every session of this user, on every device. */
  everywhere: z.boolean().optional(),
});
export type LogoutBody = z.infer<typeof LogoutBody>;

export const Me = z.object({
  id: Id,
  username: z.string(),
  displayName: z.string(),
  roles: z.array(Role),
  title: ProfessionalTitle.nullable(),
  institution: z.object({ id: Id, name: z.string(), tier: Tier }),
  department: z.object({ id: Id, name: z.string() }).nullable(),
  region: z.object({ id: Id, name: z.string(), kind: z.enum(["CITY", "COUNTY"]) }).nullable(),
});
export type Me = z.infer<typeof Me>;

export const TokenPair = z.object({
  accessToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.number(),
  refreshToken: z.string(),
  user: Me,
});
export type TokenPair = z.infer<typeof TokenPair>;
