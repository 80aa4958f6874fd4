// Specialists publish availability: weekly rules (Asia/Shanghai wall clock, e.g. the weekend expert days),
// one-off OPEN windows and EXCEPTION windows. A specialist manages their own; the coordinator or admin of
// their institution manages their staff's. Overlaps are refused with a 409.
import { AppError, ErrorCode, type AvailabilityRuleInput, type AvailabilityWindowInput } from "@yilian/contract";
import { hasRole, type AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import type { Db } from "../db";
import { isExclusionViolation } from "./busy";
import { hhmmOf, minutesOf } from "../consultations/time";

export async function loadSpecialist(db: Db, user: AuthUser, specialistId: string, write: boolean) {
  const s = await db.user.findFirst({
    where: { id: specialistId, roles: { has: "SPECIALIST" } },
    select: { id: true, institutionId: true, displayName: true },
  });
  const mayWrite =
    s &&
    (s.id === user.id || (hasRole(user, "COORDINATOR", "INSTITUTION_ADMIN") && s.institutionId === user.institutionId));
  // Availability is not secret (slot search shows it); changing it is for the specialist and their institution.
  if (!s) throw notFound("会诊专家");
  if (write && !mayWrite) throw notFound("会诊专家");
  return s;
}

const ruleView = (r: {
  id: string;
  weekday: number;
  startMinute: number;
  endMinute: number;
  slotMinutes: number;
  validFrom: Date;
  validUntil: Date | null;
  label: string | null;
}) => ({
  id: r.id,
  weekday: r.weekday,
  start: hhmmOf(r.startMinute),
  end: hhmmOf(r.endMinute),
  slotMinutes: r.slotMinutes,
  validFrom: r.validFrom.toISOString().slice(0, 10),
  validUntil: r.validUntil?.toISOString().slice(0, 10) ?? null,
  label: r.label,
});

export async function listAvailability(db: Db, user: AuthUser, specialistId: string) {
  await loadSpecialist(db, user, specialistId, false);
  const [rules, windows] = await Promise.all([
    db.availabilityRule.findMany({ where: { specialistId }, orderBy: [{ weekday: "asc" }, { startMinute: "asc" }] }),
    db.availabilityWindow.findMany({
      where: { specialistId, endsAt: { gt: new Date() } },
      orderBy: { startsAt: "asc" },
    }),
  ]);
  return {
    rules: rules.map(ruleView),
    windows: windows.map((w) => ({
      id: w.id,
      kind: w.kind,
      startsAt: w.startsAt.toISOString(),
      endsAt: w.endsAt.toISOString(),
      slotMinutes: w.slotMinutes,
      reason: w.reason,
    })),
  };
}

type RuleTx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/** Checks and inserts one weekly rule inside a transaction; the advisory lock serialises one specialist's rules. */
async function insertRule(tx: RuleTx, specialist: { id: string; institutionId: string }, input: AvailabilityRuleInput) {
  const startMinute = minutesOf(input.start);
  const endMinute = minutesOf(input.end);
  const validFrom = new Date(`${input.validFrom}T00:00:00Z`);
  const validUntil = input.validUntil ? new Date(`${input.validUntil}T00:00:00Z`) : null;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`availability:${specialist.id}`}))`;
  const clash = await tx.availabilityRule.findFirst({
    where: {
      specialistId: specialist.id,
      weekday: input.weekday,
      startMinute: { lt: endMinute },
      endMinute: { gt: startMinute },
      AND: [
        { OR: [{ validUntil: null }, { validUntil: { gte: validFrom } }] },
        ...(validUntil ? [{ validFrom: { lte: validUntil } }] : []),
      ],
    },
  });
  if (clash)
    throw new AppError(
      ErrorCode.CONFLICT,
      `与已有出诊时间重叠（星期${clash.weekday} ${hhmmOf(clash.startMinute)}–${hhmmOf(clash.endMinute)}）`,
      { details: { ruleId: clash.id, specialistId: specialist.id } },
    );
  const r = await tx.availabilityRule.create({
    data: {
      specialistId: specialist.id,
      institutionId: specialist.institutionId,
      weekday: input.weekday,
      startMinute,
      endMinute,
      slotMinutes: input.slotMinutes,
      validFrom,
      validUntil,
      label: input.label ?? null,
    },
  });
  await audit(tx, {
    action: "availability.rule.create",
    entityType: "AvailabilityRule",
    entityId: r.id,
    outcome: "SUCCESS",
    detail: { specialistId: specialist.id },
  });
  return r;
}

export async function addRule(db: Db, user: AuthUser, specialistId: string, input: AvailabilityRuleInput) {
  const s = await loadSpecialist(db, user, specialistId, true);
  return ruleView(await db.$transaction((tx) => insertRule(tx, s, input)));
}

/**
 * Weekend expert days (周末专家下沉): an upper hospital's coordinator publishes Saturday and Sunday windows for the
 * experts it sends (3–4 in the source documents), all or nothing.
 */
export async function publishWeekendExpertDays(
  db: Db,
  user: AuthUser,
  institutionId: string,
  input: {
    specialistIds: string[];
    start: string;
    end: string;
    slotMinutes: number;
    validFrom: string;
    validUntil?: string;
  },
) {
  if (!(hasRole(user, "COORDINATOR", "INSTITUTION_ADMIN") && user.institutionId === institutionId))
    throw notFound("机构");
  const specialists = await db.user.findMany({
    where: { id: { in: input.specialistIds }, institutionId, active: true, roles: { has: "SPECIALIST" } },
    select: { id: true, institutionId: true },
  });
  if (specialists.length !== new Set(input.specialistIds).size) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, "专家必须是本机构在岗的会诊专家", {
      issues: [{ path: "body.specialistIds", message: "专家必须是本机构在岗的会诊专家" }],
    });
  }
  const rules = await db.$transaction(async (tx) => {
    const out = [];
    for (const s of specialists) {
      for (const weekday of [6, 7]) {
        out.push(
          await insertRule(tx, s, {
            weekday,
            start: input.start,
            end: input.end,
            slotMinutes: input.slotMinutes,
            validFrom: input.validFrom,
            validUntil: input.validUntil,
            label: "周末专家下沉",
          }),
        );
      }
    }
    return out;
  });
  return { items: rules.map((r) => ({ specialistId: r.specialistId, ...ruleView(r) })) };
}

export async function addWindow(db: Db, user: AuthUser, specialistId: string, input: AvailabilityWindowInput) {
  const s = await loadSpecialist(db, user, specialistId, true);
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  if (endsAt <= new Date())
    throw new AppError(ErrorCode.VALIDATION_FAILED, "不能发布已经过去的时段", {
      issues: [{ path: "body.endsAt", message: "不能发布已经过去的时段" }],
    });
  try {
    const w = await db.$transaction(async (tx) => {
      const w = await tx.availabilityWindow.create({
        data: {
          specialistId,
          institutionId: s.institutionId,
          kind: input.kind,
          startsAt,
          endsAt,
          slotMinutes: input.slotMinutes ?? null,
          reason: input.reason ?? null,
        },
      });
      await audit(tx, {
        action: "availability.window.create",
        entityType: "AvailabilityWindow",
        entityId: w.id,
        outcome: "SUCCESS",
        detail: { specialistId, kind: input.kind },
      });
      return w;
    });
    return {
      id: w.id,
      kind: w.kind,
      startsAt: w.startsAt.toISOString(),
      endsAt: w.endsAt.toISOString(),
      slotMinutes: w.slotMinutes,
      reason: w.reason,
    };
  } catch (e) {
    if (isExclusionViolation(e)) throw new AppError(ErrorCode.CONFLICT, "与已发布的出诊时段重叠");
    throw e;
  }
}

export async function removeAvailability(
  db: Db,
  user: AuthUser,
  specialistId: string,
  kind: "rule" | "window",
  id: string,
) {
  await loadSpecialist(db, user, specialistId, true);
  const { count } =
    kind === "rule"
      ? await db.availabilityRule.deleteMany({ where: { id, specialistId } })
      : await db.availabilityWindow.deleteMany({ where: { id, specialistId } });
  if (!count) throw notFound(kind === "rule" ? "出诊规则" : "出诊时段");
  await audit(db, {
    action: `availability.${kind}.delete`,
    entityType: kind === "rule" ? "AvailabilityRule" : "AvailabilityWindow",
    entityId: id,
    outcome: "SUCCESS",
  });
}
