// Who may see and act on a consultation, by role AND scope. Outside the scope a record answers 404 and the
// attempt is audited; inside, every read of patient data leaves an audit row.
import type { Prisma } from "@prisma/client";
import { hasRole, type AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import type { Db } from "../db";

type Reader = Pick<Db, "consultation" | "institution" | "auditLog">;

/** Institutions in a REGION_ADMIN's city or county (consultations hold plain institution ids). */
async function regionInstitutionIds(db: Pick<Db, "institution">, user: AuthUser): Promise<string[]> {
  if (!user.region) return [];
  const rows = await db.institution.findMany({
    where: user.region.kind === "CITY" ? { cityId: user.region.id } : { countyId: user.region.id },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/** Where-clause on Consultation for the records `user` may read. Drafts are the requesting doctor's alone. */
export async function readableConsultations(
  db: Pick<Db, "institution">,
  user: AuthUser,
): Promise<Prisma.ConsultationWhereInput> {
  if (hasRole(user, "PROVINCE_ADMIN")) return { status: { not: "DRAFT" } };
  const notDraft = { status: { not: "DRAFT" as const } };
  const or: Prisma.ConsultationWhereInput[] = [
    { requestingDoctorId: user.id },
    { participants: { some: { userId: user.id } }, ...notDraft },
  ];
  if (hasRole(user, "COORDINATOR")) or.push({ targetInstitutionId: user.institutionId, ...notDraft });
  if (hasRole(user, "SPECIALIST")) or.push({ targetSpecialistId: user.id, ...notDraft });
  if (hasRole(user, "INSTITUTION_ADMIN")) {
    or.push(
      { requestingInstitutionId: user.institutionId, ...notDraft },
      { targetInstitutionId: user.institutionId, ...notDraft },
    );
  }
  if (hasRole(user, "REGION_ADMIN")) {
    const ids = await regionInstitutionIds(db, user);
    if (ids.length)
      or.push({ requestingInstitutionId: { in: ids }, ...notDraft }, { targetInstitutionId: { in: ids }, ...notDraft });
  }
  return { OR: or };
}

const withParticipants = { participants: true } as const;
export type ConsultationRecord = Prisma.ConsultationGetPayload<{ include: typeof withParticipants }>;

/**
 * Loads a consultation the caller may read, or throws 404 (audited as NOT_FOUND: probing other institutions'
 * records is worth knowing about). `tx` lets a use case load inside its transaction.
 */
export async function loadConsultation(
  db: Reader,
  user: AuthUser,
  id: string,
  action: string,
): Promise<ConsultationRecord> {
  const scope = await readableConsultations(db, user);
  const c = await db.consultation.findFirst({ where: { id, AND: [scope] }, include: withParticipants });
  if (!c) {
    await audit(db, { action, entityType: "Consultation", entityId: id, outcome: "NOT_FOUND" });
    throw notFound("会诊");
  }
  return c;
}

export const isRequester = (user: AuthUser, c: { requestingDoctorId: string }) => c.requestingDoctorId === user.id;
export const isTargetCoordinator = (user: AuthUser, c: { targetInstitutionId: string | null }) =>
  hasRole(user, "COORDINATOR") && c.targetInstitutionId === user.institutionId;
export const assignedSpecialists = (c: ConsultationRecord) =>
  c.participants.filter((p) => p.role === "SPECIALIST").map((p) => p.userId);
export const isAssignedSpecialist = (user: AuthUser, c: ConsultationRecord) => assignedSpecialists(c).includes(user.id);
