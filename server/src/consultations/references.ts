// Checks that ids and codes in a request point at things that exist and that the requester may use.
import { AppError, ErrorCode, type FieldIssue } from "@yilian/contract";
import type { Db } from "../db";
import { allowedTargets, type Link } from "./routing";

export function invalid(issues: FieldIssue[]): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, issues.map((i) => i.message).join("；"), { issues });
}

export interface TargetFields {
  specialtyCode?: string | null;
  targetInstitutionId?: string | null;
  targetDepartmentId?: string | null;
  targetSpecialistId?: string | null;
}

/** Resolves and checks the target; returns the link through which it is reached (null when no target yet). */
export async function checkTarget(
  db: Db,
  requesterInstitutionId: string,
  f: TargetFields,
): Promise<{ fields: TargetFields; link: Link | null }> {
  const issues: FieldIssue[] = [];
  const out: TargetFields = { ...f };
  if (f.specialtyCode && !(await db.specialty.findUnique({ where: { code: f.specialtyCode } }))) {
    issues.push({ path: "body.specialtyCode", message: `未知的专科代码：${f.specialtyCode}` });
  }
  if (f.targetSpecialistId) {
    const s = await db.user.findFirst({
      where: { id: f.targetSpecialistId, active: true, roles: { has: "SPECIALIST" } },
      select: { institutionId: true, departmentId: true },
    });
    if (!s) issues.push({ path: "body.targetSpecialistId", message: "指定的会诊专家不存在" });
    else {
      if (out.targetInstitutionId && out.targetInstitutionId !== s.institutionId)
        issues.push({ path: "body.targetSpecialistId", message: "指定专家不属于所选机构" });
      out.targetInstitutionId = s.institutionId;
      out.targetDepartmentId ??= s.departmentId;
    }
  }
  if (f.targetDepartmentId) {
    const d = await db.department.findUnique({ where: { id: f.targetDepartmentId }, select: { institutionId: true } });
    if (!d) issues.push({ path: "body.targetDepartmentId", message: "指定的科室不存在" });
    else {
      if (out.targetInstitutionId && out.targetInstitutionId !== d.institutionId)
        issues.push({ path: "body.targetDepartmentId", message: "指定科室不属于所选机构" });
      out.targetInstitutionId = d.institutionId;
    }
  }
  let link: Link | null = null;
  if (out.targetInstitutionId && !issues.length) {
    const allowed = await allowedTargets(db, requesterInstitutionId, out.specialtyCode);
    link = allowed.get(out.targetInstitutionId) ?? null;
    if (!link)
      issues.push({ path: "body.targetInstitutionId", message: "所选机构不在本机构可申请会诊的上级医疗网络内" });
  }
  if (issues.length) throw invalid(issues);
  return { fields: out, link };
}
