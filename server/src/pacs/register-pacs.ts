// The institution admin registers (or replaces) the institution's PACS: DICOMweb base URL and credentials. The
// address is checked (see address.ts); credentials are stored encrypted and never returned.
import type { PacsConnection } from "@prisma/client";
import { AppError, ErrorCode, type PacsRegistration } from "@yilian/contract";
import type { Config } from "../config";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { hasRole } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import { checkPacsUrl } from "./address";
import { encryptCredential } from "./credentials";

export const pacsView = (r: PacsConnection) => ({
  id: r.id,
  institutionId: r.institutionId,
  name: r.name,
  baseUrl: r.baseUrl,
  hasCredentials: r.usernameEnc !== null,
  updatedAt: r.updatedAt.toISOString(),
});

/** Only the institution's own admins manage its PACS; anyone else is told it does not exist. */
function requireOwnAdmin(user: AuthUser, institutionId: string) {
  if (!hasRole(user, "INSTITUTION_ADMIN") || user.institutionId !== institutionId) throw notFound("机构");
}

export async function registerPacs(
  deps: { db: Db; config: Config },
  user: AuthUser,
  institutionId: string,
  input: PacsRegistration,
) {
  requireOwnAdmin(user, institutionId);
  const baseUrl = await checkPacsUrl(input.baseUrl, deps.config);
  if (input.password && !input.username)
    throw new AppError(ErrorCode.VALIDATION_FAILED, "填写密码时须同时填写用户名", { details: { field: "username" } });
  const key = deps.config.PATIENT_DATA_KEY;
  const data = {
    name: input.name,
    baseUrl,
    usernameEnc: input.username ? encryptCredential(input.username, key) : null,
    passwordEnc: input.username ? encryptCredential(input.password ?? "", key) : null,
    createdById: user.id,
  };
  const row = await deps.db.$transaction(async (tx) => {
    const saved = await tx.pacsConnection.upsert({
      where: { institutionId },
      create: { institutionId, ...data },
      update: data,
    });
    await audit(tx, {
      action: "pacs.register",
      entityType: "PacsConnection",
      entityId: saved.id,
      outcome: "SUCCESS",
      detail: { baseUrl },
    });
    return saved;
  });
  return pacsView(row);
}

export async function readPacs(db: Db, user: AuthUser, institutionId: string) {
  requireOwnAdmin(user, institutionId);
  const row = await db.pacsConnection.findUnique({ where: { institutionId } });
  if (!row) throw notFound("PACS 登记");
  return pacsView(row);
}
