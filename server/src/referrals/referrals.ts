// Two-way referral (双向转诊): UP to an upper-tier institution linked through the network, or DOWN back to a
// linked lower-tier one; REQUESTED → ACCEPTED → ARRIVED, or DECLINED / CANCELLED. Accepted referred patients
// may book the upper hospital's reserved slots (预留号源).
import { AppError, ErrorCode, rooms, type ReferralInput } from "@yilian/contract";
import type { Prisma } from "@prisma/client";
import { hasRole, type AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "../consultations/deps";
import { allowedTargets } from "../consultations/routing";
import { loadConsultation } from "../consultations/access";
import { encryptPatientId, maskIdNumber } from "../consultations/patient-data";
import { nextNumber } from "../consultations/number";
import { invalid } from "../consultations/references";
import { formatLocal } from "../consultations/time";
import { commitBusyTime } from "../scheduling/busy";
import { requireOfferedSlot } from "../scheduling/book";
import { staffOf } from "../consultations/notify";

function readable(user: AuthUser): Prisma.ReferralWhereInput {
  if (hasRole(user, "PROVINCE_ADMIN")) return {};
  const or: Prisma.ReferralWhereInput[] = [{ requestedById: user.id }];
  if (hasRole(user, "COORDINATOR", "INSTITUTION_ADMIN"))
    or.push({ toInstitutionId: user.institutionId }, { fromInstitutionId: user.institutionId });
  // Grassroots institutions often have no coordinator: their doctors receive patients referred down.
  if (hasRole(user, "DOCTOR")) or.push({ toInstitutionId: user.institutionId, direction: "DOWN" });
  return { OR: or };
}

async function load(deps: ConsultationDeps, user: AuthUser, id: string, action: string) {
  const r = await deps.db.referral.findFirst({ where: { id, AND: [readable(user)] } });
  if (!r) {
    await audit(deps.db, { action, entityType: "Referral", entityId: id, outcome: "NOT_FOUND" });
    throw notFound("转诊");
  }
  return r;
}

const view = (r: Prisma.ReferralGetPayload<object>) => ({
  id: r.id,
  number: r.number,
  direction: r.direction,
  status: r.status,
  consultationId: r.consultationId,
  fromInstitutionId: r.fromInstitutionId,
  toInstitutionId: r.toInstitutionId,
  toDepartmentId: r.toDepartmentId,
  patient: {
    name: r.patientName,
    sex: r.patientSex,
    birthDate: r.patientBirthDate.toISOString().slice(0, 10),
    idNumberMasked: r.patientIdNumberMasked,
  },
  reason: r.reason,
  clinicalSummary: r.clinicalSummary,
  declineReason: r.declineReason,
  requestedAt: r.requestedAt.toISOString(),
  acceptedAt: r.acceptedAt?.toISOString() ?? null,
  arrivedAt: r.arrivedAt?.toISOString() ?? null,
  declinedAt: r.declinedAt?.toISOString() ?? null,
});

function notify(
  deps: ConsultationDeps,
  r: {
    id: string;
    number: string;
    status: string;
    direction: string;
    fromInstitutionId: string;
    toInstitutionId: string;
    requestedById: string;
  },
  extraUsers: string[],
) {
  try {
    const e = {
      referralId: r.id,
      number: r.number,
      status: r.status as never,
      direction: r.direction as never,
      at: new Date().toISOString(),
    };
    deps
      .sink()
      .to([rooms.user(r.requestedById), ...extraUsers.map(rooms.user)])
      .emit("referral:changed", e);
  } catch {
    /* after commit: never fail the request */
  }
}

export async function createReferral(deps: ConsultationDeps, user: AuthUser, input: ReferralInput) {
  const { db } = deps;
  if (!hasRole(user, "DOCTOR", "SPECIALIST")) throw new AppError(ErrorCode.FORBIDDEN, "只有医生可以发起转诊");
  let patient: {
    name: string;
    sex: "MALE" | "FEMALE" | "UNKNOWN";
    birthDate: Date;
    idEnc: string | null;
    idMasked: string | null;
  };
  if (input.consultationId) {
    const c = await loadConsultation(db, user, input.consultationId, "referral.create");
    if (!["REPORTED", "CLOSED"].includes(c.status))
      throw new AppError(ErrorCode.INVALID_STATE, "会诊出具报告后才能据此转诊");
    patient = {
      name: c.patientName,
      sex: c.patientSex,
      birthDate: c.patientBirthDate,
      idEnc: c.patientIdNumberEnc,
      idMasked: c.patientIdNumberMasked,
    };
  } else if (input.patient) {
    const p = input.patient;
    patient = {
      name: p.name,
      sex: p.sex,
      birthDate: new Date(`${p.birthDate}T00:00:00Z`),
      idEnc: p.idNumber ? encryptPatientId(p.idNumber, deps.config.PATIENT_DATA_KEY) : null,
      idMasked: p.idNumber ? maskIdNumber(p.idNumber) : null,
    };
  } else throw invalid([{ path: "body.patient", message: "请填写患者信息或选择会诊" }]);
  // UP: the target must be an upper institution this one may consult; DOWN: this one must be upper for the target.
  const linked =
    input.direction === "UP"
      ? (await allowedTargets(db, user.institutionId)).has(input.toInstitutionId)
      : (await allowedTargets(db, input.toInstitutionId)).has(user.institutionId);
  if (!linked)
    throw invalid([
      {
        path: "body.toInstitutionId",
        message:
          input.direction === "UP" ? "所选机构不是本机构医联体内的上级机构" : "所选机构不是本机构医联体内的下级机构",
      },
    ]);
  if (
    input.toDepartmentId &&
    !(await db.department.findFirst({ where: { id: input.toDepartmentId, institutionId: input.toInstitutionId } }))
  ) {
    throw invalid([{ path: "body.toDepartmentId", message: "科室不属于所选机构" }]);
  }
  const number = await nextNumber(deps.redis, deps.config.REDIS_PREFIX, "ZZ");
  const r = await db.$transaction(async (tx) => {
    const r = await tx.referral.create({
      data: {
        number,
        direction: input.direction,
        consultationId: input.consultationId ?? null,
        fromInstitutionId: user.institutionId,
        toInstitutionId: input.toInstitutionId,
        toDepartmentId: input.toDepartmentId ?? null,
        patientName: patient.name,
        patientSex: patient.sex,
        patientBirthDate: patient.birthDate,
        patientIdNumberEnc: patient.idEnc,
        patientIdNumberMasked: patient.idMasked,
        reason: input.reason,
        clinicalSummary: input.clinicalSummary,
        requestedById: user.id,
      },
    });
    await audit(tx, {
      action: "referral.create",
      entityType: "Referral",
      entityId: r.id,
      outcome: "SUCCESS",
      detail: { direction: input.direction },
    });
    return r;
  });
  notify(deps, r, await staffOf(db, r.toInstitutionId, ["COORDINATOR"]));
  return view(r);
}

export async function getReferral(deps: ConsultationDeps, user: AuthUser, id: string) {
  const r = await load(deps, user, id, "referral.read");
  await audit(deps.db, { action: "referral.read", entityType: "Referral", entityId: id, outcome: "SUCCESS" });
  return view(r);
}

export async function listReferrals(deps: ConsultationDeps, user: AuthUser, q: { limit: number; offset: number }) {
  const where = readable(user);
  const [items, total] = await Promise.all([
    deps.db.referral.findMany({ where, orderBy: { requestedAt: "desc" }, take: q.limit, skip: q.offset }),
    deps.db.referral.count({ where }),
  ]);
  await audit(deps.db, {
    action: "referral.list",
    entityType: "Referral",
    outcome: "SUCCESS",
    detail: { ids: items.map((i) => i.id) },
  });
  return { items: items.map(view), total, limit: q.limit, offset: q.offset };
}

const NEXT: Record<
  "accept" | "decline" | "arrive" | "cancel",
  { from: string[]; to: "ACCEPTED" | "DECLINED" | "ARRIVED" | "CANCELLED"; label: string }
> = {
  accept: { from: ["REQUESTED"], to: "ACCEPTED", label: "接收" },
  decline: { from: ["REQUESTED"], to: "DECLINED", label: "拒绝" },
  arrive: { from: ["ACCEPTED"], to: "ARRIVED", label: "确认到诊" },
  cancel: { from: ["REQUESTED", "ACCEPTED"], to: "CANCELLED", label: "取消" },
};

export async function moveReferral(
  deps: ConsultationDeps,
  user: AuthUser,
  id: string,
  action: keyof typeof NEXT,
  reason?: string,
) {
  const r = await load(deps, user, id, `referral.${action}`);
  const step = NEXT[action];
  const receiving =
    r.toInstitutionId === user.institutionId &&
    (hasRole(user, "COORDINATOR", "INSTITUTION_ADMIN") || (r.direction === "DOWN" && hasRole(user, "DOCTOR")));
  if (action === "cancel" ? r.requestedById !== user.id : !receiving)
    throw new AppError(ErrorCode.FORBIDDEN, `无权${step.label}该转诊`);
  if (action === "decline" && !reason) throw invalid([{ path: "body.reason", message: "请填写拒绝原因" }]);
  const at = new Date();
  const updated = await deps.db.$transaction(async (tx) => {
    const { count } = await tx.referral.updateMany({
      where: { id, status: { in: step.from as never } },
      data: {
        status: step.to,
        respondedById: action === "cancel" ? undefined : user.id,
        ...(step.to === "ACCEPTED"
          ? { acceptedAt: at }
          : step.to === "ARRIVED"
            ? { arrivedAt: at }
            : step.to === "DECLINED"
              ? { declinedAt: at, declineReason: reason }
              : {}),
      },
    });
    if (count !== 1)
      throw new AppError(ErrorCode.INVALID_STATE, `转诊当前状态为 ${r.status}，不能${step.label}`, {
        details: { currentStatus: r.status },
      });
    await audit(tx, {
      action: `referral.${action}`,
      entityType: "Referral",
      entityId: id,
      outcome: "SUCCESS",
      detail: reason ? { reason } : undefined,
    });
    return tx.referral.findUniqueOrThrow({ where: { id } });
  });
  notify(deps, updated, []);
  return view(updated);
}

/** Books the referred patient's visit; reserved slots are open to them (and only to them). */
export async function bookReferral(
  deps: ConsultationDeps,
  user: AuthUser,
  id: string,
  input: { specialistId: string; startsAt: string; minutes?: number },
) {
  const { db } = deps;
  const r = await load(deps, user, id, "referral.book");
  if (!(r.requestedById === user.id || (hasRole(user, "COORDINATOR") && r.toInstitutionId === user.institutionId)))
    throw new AppError(ErrorCode.FORBIDDEN, "无权为该转诊预约");
  if (r.status !== "ACCEPTED")
    throw new AppError(ErrorCode.INVALID_STATE, "转诊被接收后才能预约", { details: { currentStatus: r.status } });
  const spec = await db.user.findFirst({
    where: { id: input.specialistId, institutionId: r.toInstitutionId, roles: { has: "SPECIALIST" }, active: true },
  });
  if (!spec) throw invalid([{ path: "body.specialistId", message: "专家不属于接收机构" }]);
  const start = new Date(input.startsAt);
  const slot = await requireOfferedSlot(deps, [spec.id], start, { allowReserved: true });
  const end = input.minutes ? new Date(start.getTime() + input.minutes * 60_000) : slot.endsAt;
  const b = await db.$transaction(async (tx) => {
    const active = await tx.booking.findFirst({ where: { referralId: id, status: "ACTIVE" } });
    if (active) throw new AppError(ErrorCode.CONFLICT, "该转诊已有预约");
    const b = await tx.booking.create({
      data: {
        referralId: id,
        startsAt: start,
        endsAt: end,
        specialistIds: [spec.id],
        reservedSlot: slot.reserved,
        createdById: user.id,
      },
    });
    await commitBusyTime(tx, {
      specialistIds: [spec.id],
      startsAt: start,
      endsAt: end,
      source: "REFERRAL",
      sourceId: b.id,
    });
    await audit(tx, {
      action: "referral.book",
      entityType: "Referral",
      entityId: id,
      outcome: "SUCCESS",
      detail: { bookingId: b.id, reserved: slot.reserved },
    });
    return b;
  });
  return {
    id: b.id,
    startsAt: b.startsAt.toISOString(),
    endsAt: b.endsAt.toISOString(),
    local: formatLocal(b.startsAt),
    reservedSlot: b.reservedSlot,
    specialistId: spec.id,
  };
}
