import type { Prisma } from "@prisma/client";
import { AppError, ErrorCode, tierRank, type ScheduleTrainingBody, type TrainingSessionView } from "@yilian/contract";
import type { Db } from "../db";
import { audit } from "../audit/audit";
import { hasRole, type AuthUser } from "../authz/principal";
import { isExclusionViolation } from "../scheduling/busy";
import { toRuleRows, validateRuleTargets } from "./audience";
import { sessionInclude, type SessionRow } from "./session-access";
import { toViews } from "./session-view";
import { localDateCompact } from "./util";

export interface ScheduleResult {
  view: TrainingSessionView;
  session: SessionRow;
}

export async function scheduleTraining(db: Db, user: AuthUser, body: ScheduleTrainingBody): Promise<ScheduleResult> {
  if (!hasRole(user, "LECTURER", "INSTITUTION_ADMIN")) {
    throw new AppError(ErrorCode.FORBIDDEN, "只有授课专家或机构管理员可以安排远程教学");
  }
  // Training flows down the network: only upper-tier institutions host.
  if (tierRank[user.institutionTier] <= tierRank.TOWNSHIP) {
    throw new AppError(ErrorCode.FORBIDDEN, "乡镇(社区)级机构不能主办远程教学，请由上级医院安排");
  }
  const startsAt = new Date(body.startsAt);
  const endsAt = new Date(body.endsAt);
  if (startsAt.getTime() < Date.now() - 60_000) {
    throw invalid("startsAt", "开始时间不能早于当前时间");
  }
  if (body.specialtyCode && !(await db.specialty.findUnique({ where: { code: body.specialtyCode } }))) {
    throw invalid("specialtyCode", "专科代码不存在");
  }

  const lecturerIds = [
    ...new Set(body.lecturerIds?.length ? body.lecturerIds : hasRole(user, "LECTURER") ? [user.id] : []),
  ];
  if (!lecturerIds.length) throw invalid("lecturerIds", "请指定授课专家");
  const lecturers = await db.user.findMany({
    where: {
      id: { in: lecturerIds },
      active: true,
      institutionId: user.institutionId,
      roles: { hasSome: ["LECTURER", "SPECIALIST"] },
    },
    select: { id: true, displayName: true },
  });
  if (lecturers.length !== lecturerIds.length) {
    throw invalid("lecturerIds", "授课专家必须是本机构在职的授课专家或会诊专家");
  }

  const rules = toRuleRows(body.audience);
  const ruleProblem = await validateRuleTargets(db, rules);
  if (ruleProblem) throw invalid("audience", ruleProblem);

  // A friendly message naming the lecturer; the exclusion constraint below still decides under races.
  const clash = await db.specialistBusyTime.findFirst({
    where: { specialistId: { in: lecturerIds }, startsAt: { lt: endsAt }, endsAt: { gt: startsAt } },
    select: { specialistId: true },
  });
  if (clash) throw busyConflict(lecturers.find((l) => l.id === clash.specialistId)?.displayName);

  let created: SessionRow;
  try {
    created = await db.$transaction(async (tx) => {
      const number = await nextNumber(tx, startsAt);
      const session = await tx.trainingSession.create({
        data: {
          number,
          title: body.title,
          specialtyCode: body.specialtyCode ?? null,
          description: body.description,
          hostInstitutionId: user.institutionId,
          createdById: user.id,
          startsAt,
          endsAt,
          capacity: body.capacity,
          registrationRequired: body.registrationRequired,
          attendanceThreshold: body.attendanceThreshold,
          lecturers: { create: lecturerIds.map((userId) => ({ userId })) },
          audience: { create: rules },
        },
        include: sessionInclude,
      });
      // Same table as consultation bookings: PostgreSQL refuses an overlapping row for the same person.
      await tx.specialistBusyTime.createMany({
        data: lecturerIds.map((specialistId) => ({
          specialistId,
          startsAt,
          endsAt,
          source: "TRAINING" as const,
          sourceId: session.id,
        })),
      });
      await audit(tx, {
        action: "training.schedule",
        entityType: "TrainingSession",
        entityId: session.id,
        outcome: "SUCCESS",
        detail: { number, startsAt: body.startsAt, endsAt: body.endsAt, lecturerIds, audience: body.audience.length },
      });
      return session;
    });
  } catch (e) {
    if (isExclusionViolation(e)) throw busyConflict();
    throw e;
  }
  const [view] = await toViews(db, user, [created], null);
  return { view: view!, session: created };
}

function invalid(field: string, message: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, message, { issues: [{ path: `body.${field}`, message }] });
}

function busyConflict(name?: string): AppError {
  return new AppError(
    ErrorCode.CONFLICT,
    `${name ? `授课专家${name}` : "授课专家"}在该时段已有会诊或其他培训安排，请调整时间`,
    { details: { reason: "LECTURER_BUSY" } },
  );
}

/** PX20261123-0001: per local (Asia/Shanghai) day of the start, serialised by an advisory lock. */
async function nextNumber(tx: Prisma.TransactionClient, startsAt: Date): Promise<string> {
  const prefix = `PX${localDateCompact(startsAt)}-`;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"training-number:" + prefix}))`;
  const n = await tx.trainingSession.count({ where: { number: { startsWith: prefix } } });
  return prefix + String(n + 1).padStart(4, "0");
}
