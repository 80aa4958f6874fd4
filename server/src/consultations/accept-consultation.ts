import { AppError, ErrorCode } from "@yilian/contract";
import { hasRole, type AuthUser } from "../authz/principal";
import { audit } from "../audit/audit";
import type { ConsultationDeps } from "./deps";
import { isTargetCoordinator, loadConsultation } from "./access";
import { invalid } from "./references";
import { assertStatus, transition } from "./state-machine";
import { consultationEvent, publish, staffOf } from "./notify";
import { detailFor } from "./minimum-necessary";

/**
 * SUBMITTED → ACCEPTED with one or more assigned specialists of the receiving institution. The coordinator
 * assigns; a specialist named in the request may accept it directly (and is then assigned). An EMERGENCY skips
 * booking: its room is open at once and the assigned specialists and the requesting doctor are paged.
 */
export async function acceptConsultation(
  deps: ConsultationDeps,
  user: AuthUser,
  id: string,
  input: { specialistIds: string[]; note?: string },
) {
  const { db } = deps;
  const c = await loadConsultation(db, user, id, "consultation.accept");
  const asCoordinator = isTargetCoordinator(user, c);
  const asNamedSpecialist = hasRole(user, "SPECIALIST") && c.targetSpecialistId === user.id;
  if (!asCoordinator && !asNamedSpecialist)
    throw new AppError(ErrorCode.FORBIDDEN, "只有受邀机构的协调员或被指定的专家可以受理");
  assertStatus(c.status, ["SUBMITTED"], "受理");
  const specialistIds = [...new Set(asCoordinator ? input.specialistIds : [user.id, ...input.specialistIds])];
  const valid = await db.user.findMany({
    where: {
      id: { in: specialistIds },
      institutionId: c.targetInstitutionId!,
      active: true,
      roles: { has: "SPECIALIST" },
    },
    select: { id: true },
  });
  if (valid.length !== specialistIds.length) {
    throw invalid([{ path: "body.specialistIds", message: "指派的专家必须是本机构在岗的会诊专家" }]);
  }
  await db.$transaction(async (tx) => {
    await transition(tx, {
      consultation: c,
      to: "ACCEPTED",
      actorId: user.id,
      action: "受理",
      reason: input.note ?? null,
      data: { statusReason: null },
    });
    await tx.consultationParticipant.createMany({
      data: [
        ...specialistIds.map((userId) => ({ consultationId: id, userId, role: "SPECIALIST" as const })),
        ...(asCoordinator ? [{ consultationId: id, userId: user.id, role: "COORDINATOR" as const }] : []),
      ],
      skipDuplicates: true,
    });
    await audit(tx, {
      action: "consultation.accept",
      entityType: "Consultation",
      entityId: id,
      outcome: "SUCCESS",
      detail: { specialistIds },
    });
  });
  const fresh = await loadConsultation(db, user, id, "consultation.read");
  const coordinators = await staffOf(db, fresh.targetInstitutionId, ["COORDINATOR"]);
  const events = [
    consultationEvent("consultation:accepted", fresh, [fresh.requestingDoctorId, ...specialistIds, ...coordinators], {
      actorId: user.id,
    }),
  ];
  // EMERGENCY: the room is open now; the requesting doctor presents the patient, so they are paged too.
  if (fresh.urgency === "EMERGENCY")
    events.push(
      consultationEvent("consultation:paged", fresh, [...specialistIds, fresh.requestingDoctorId], {
        actorId: user.id,
      }),
    );
  publish(deps.sink(), events);
  return detailFor(db, fresh, user);
}
