// Network-level settings: SLA limits per urgency (per consortium or province-wide) and reserved referral shares.
import { AppError, ErrorCode } from "@yilian/contract";
import { hasRole, type AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { Db } from "../db";
import { DEFAULT_SLA } from "./jobs";

export async function listSlaPolicies(db: Db) {
  const rows = await db.slaPolicy.findMany({ orderBy: [{ consortiumId: "asc" }, { urgency: "asc" }] });
  return { defaults: DEFAULT_SLA, policies: rows.map(slaPolicyView) };
}

const slaPolicyView = <T extends { updatedAt: Date }>(row: T) => ({ ...row, updatedAt: row.updatedAt.toISOString() });

export async function putSlaPolicy(
  db: Db,
  user: AuthUser,
  p: {
    consortiumId: string | null;
    urgency: "ROUTINE" | "URGENT" | "EMERGENCY";
    acceptWithinS: number;
    notifyCoordinatorAtS: number;
    notifyAdminAtS: number;
  },
) {
  // The province sets the default; a consortium's lead institution admin sets their network's.
  if (!hasRole(user, "PROVINCE_ADMIN")) {
    const lead =
      p.consortiumId && hasRole(user, "INSTITUTION_ADMIN")
        ? await db.consortium.findFirst({ where: { id: p.consortiumId, leadInstitutionId: user.institutionId } })
        : null;
    if (!lead) throw new AppError(ErrorCode.FORBIDDEN, "只有省级管理员或医联体牵头机构管理员可以设置会诊时限");
  }
  if (p.consortiumId && !(await db.consortium.findUnique({ where: { id: p.consortiumId } }))) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, "医联体不存在", {
      issues: [{ path: "body.consortiumId", message: "医联体不存在" }],
    });
  }
  const { consortiumId, urgency, ...times } = p;
  const row = await db.$transaction(async (tx) => {
    const existing = await tx.slaPolicy.findFirst({ where: { consortiumId, urgency } });
    const row = existing
      ? await tx.slaPolicy.update({ where: { id: existing.id }, data: times })
      : await tx.slaPolicy.create({ data: { consortiumId, urgency, ...times } });
    await audit(tx, {
      action: "sla-policy.put",
      entityType: "SlaPolicy",
      entityId: row.id,
      outcome: "SUCCESS",
      detail: p,
    });
    return row;
  });
  return slaPolicyView(row);
}

export async function putSchedulingPolicy(
  db: Db,
  user: AuthUser,
  institutionId: string,
  reservedReferralShare: number,
) {
  if (
    !(hasRole(user, "PROVINCE_ADMIN") || (hasRole(user, "INSTITUTION_ADMIN") && user.institutionId === institutionId))
  ) {
    throw new AppError(ErrorCode.NOT_FOUND, "未找到该机构");
  }
  if (!(await db.institution.findUnique({ where: { id: institutionId }, select: { id: true } })))
    throw new AppError(ErrorCode.NOT_FOUND, "未找到该机构");
  const row = await db.schedulingPolicy.upsert({
    where: { institutionId },
    create: { institutionId, reservedReferralShare },
    update: { reservedReferralShare },
  });
  await audit(db, {
    action: "scheduling-policy.put",
    entityType: "Institution",
    entityId: institutionId,
    outcome: "SUCCESS",
    detail: { reservedReferralShare },
  });
  return { institutionId, reservedReferralShare: row.reservedReferralShare };
}
