// Who may see and act on a consultation, by role AND scope. Outside the scope a record answers 404 and the
// attempt is audited; inside, every read of patient data leaves an audit row.
import type { Prisma } from "@prisma/client";
import { hasRole, type AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import { sqlOf, type Db } from "../db";

/** Institutions in a REGION_ADMIN's city or county (consultations hold plain institution ids). */
async function regionInstitutionIds(db: Pick<Db, "institution">, user: AuthUser): Promise<string[]> {
  if (!user.region) return [];
  const rows = await db.institution.findMany({
    where: user.region.kind === "CITY" ? { cityId: user.region.id } : { countyId: user.region.id },
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

/**
 * Where-clause on Consultation for the records `user` may read. Drafts are the requesting doctor's alone. readableSql
 * below says the same in SQL: change both together (the authorisation matrix test reads through both).
 */
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
 * The same scope as readableConsultations, as SQL on `c` (a "Consultation" row) and `me` (the caller's id,
 * institution id and administered region id): what loadConsultation checks in the statement that loads the record.
 */
function readableSql(user: AuthUser): string {
  const notDraft = `c.status <> 'DRAFT'`;
  if (hasRole(user, "PROVINCE_ADMIN")) return notDraft;
  const seen = [
    `EXISTS (SELECT 1 FROM "ConsultationParticipant" sp WHERE sp."consultationId" = c.id AND sp."userId" = me.id)`,
  ];
  if (hasRole(user, "COORDINATOR")) seen.push(`c."targetInstitutionId" = me."institutionId"`);
  if (hasRole(user, "SPECIALIST")) seen.push(`c."targetSpecialistId" = me.id`);
  if (hasRole(user, "INSTITUTION_ADMIN"))
    seen.push(`me."institutionId" IN (c."requestingInstitutionId", c."targetInstitutionId")`);
  if (hasRole(user, "REGION_ADMIN") && user.region) {
    const column = user.region.kind === "CITY" ? `"cityId"` : `"countyId"`;
    seen.push(
      `EXISTS (SELECT 1 FROM "Institution" ri WHERE ri.id IN (c."requestingInstitutionId", c."targetInstitutionId") AND ri.${column} = me."regionId")`,
    );
  }
  return `c."requestingDoctorId" = me.id OR (${notDraft} AND (${seen.join(" OR ")}))`;
}

// Every use case starts here (booking under a 200-way race among them): the record, its participants and the
// scope check in one statement, where the ORM sent two or three. `c.*` keeps the ORM's shape; the birth date is a
// `date`, which node-postgres would read at local midnight, so it is sent as UTC midnight like Prisma does.
const LOAD_CONSULTATION = (scope: string) => `
  SELECT c.*, (c."patientBirthDate"::timestamp AT TIME ZONE 'UTC') AS "patientBirthDate",
         coalesce((SELECT json_agg(json_build_object('consultationId', p."consultationId", 'userId', p."userId", 'role', p.role, 'addedAt', p."addedAt") ORDER BY p."addedAt", p."userId")
                     FROM "ConsultationParticipant" p WHERE p."consultationId" = c.id), '[]') AS participants
    FROM "Consultation" c, (SELECT $1::uuid AS id, $2::uuid AS "institutionId", $4::uuid AS "regionId") me
   WHERE c.id = $3 AND (${scope})`;

type ParticipantRow = Omit<ConsultationRecord["participants"][number], "addedAt"> & { addedAt: string };

/**
 * Loads a consultation the caller may read, or throws 404 (audited as NOT_FOUND: probing other institutions'
 * records is worth knowing about).
 */
export async function loadConsultation(
  db: Db,
  user: AuthUser,
  id: string,
  action: string,
): Promise<ConsultationRecord> {
  const { rows } = await sqlOf(db).query<Omit<ConsultationRecord, "participants"> & { participants: ParticipantRow[] }>(
    LOAD_CONSULTATION(readableSql(user)),
    [user.id, user.institutionId, id, user.region?.id ?? null],
  );
  const c = rows[0];
  if (!c) {
    await audit(db, { action, entityType: "Consultation", entityId: id, outcome: "NOT_FOUND" });
    throw notFound("会诊");
  }
  return { ...c, participants: c.participants.map((p) => ({ ...p, addedAt: new Date(p.addedAt) })) };
}

export const isRequester = (user: AuthUser, c: { requestingDoctorId: string }) => c.requestingDoctorId === user.id;
export const isTargetCoordinator = (user: AuthUser, c: { targetInstitutionId: string | null }) =>
  hasRole(user, "COORDINATOR") && c.targetInstitutionId === user.institutionId;
export const assignedSpecialists = (c: ConsultationRecord) =>
  c.participants.filter((p) => p.role === "SPECIALIST").map((p) => p.userId);
export const isAssignedSpecialist = (user: AuthUser, c: ConsultationRecord) => assignedSpecialists(c).includes(user.id);
