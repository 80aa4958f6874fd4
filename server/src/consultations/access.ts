// Who may see and act on a consultation, by role AND scope. Outside the scope a record answers 404 and the
// attempt is audited; inside, every read of patient data leaves an audit row.
import type { Prisma } from "@prisma/client";
import { hasRole, type AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { audit } from "../audit/audit";
import { sqlOf, type Db } from "../db";

const withParticipants = { participants: true } as const;
export type ConsultationRecord = Prisma.ConsultationGetPayload<{ include: typeof withParticipants }>;

/**
 * The records `user` may read, as SQL on `c` (a "Consultation" row) and `me` (READER: the caller's id, institution
 * id and administered region id, parameters $1–$3 from readerParams): the one definition of the scope, used by the
 * statement that loads a record and by the list. Drafts are the requesting doctor's alone.
 */
export function readableSql(user: AuthUser): string {
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

/** `me` of readableSql: the caller, bound to parameters $1–$3 (readerParams). */
export const READER = `(SELECT $1::uuid AS id, $2::uuid AS "institutionId", $3::uuid AS "regionId") me`;
export const readerParams = (user: AuthUser) => [user.id, user.institutionId, user.region?.id ?? null];

// Every use case starts here (booking under a 200-way race among them): the record, its participants and the
// scope check in one statement, where the ORM sent two or three. `c.*` keeps the ORM's shape; the birth date is a
// `date`, which node-postgres would read at local midnight, so it is sent as UTC midnight like Prisma does.
const LOAD_CONSULTATION = (scope: string) => `
  SELECT c.*, (c."patientBirthDate"::timestamp AT TIME ZONE 'UTC') AS "patientBirthDate",
         coalesce((SELECT json_agg(json_build_object('consultationId', p."consultationId", 'userId', p."userId", 'role', p.role, 'addedAt', p."addedAt") ORDER BY p."addedAt", p."userId")
                     FROM "ConsultationParticipant" p WHERE p."consultationId" = c.id), '[]') AS participants
    FROM "Consultation" c, ${READER}
   WHERE c.id = $4 AND (${scope})`;

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
    [...readerParams(user), id],
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
