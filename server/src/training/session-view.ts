import type { TrainingSessionView } from "@yilian/contract";
import { sharedRead, type Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { fromRuleRow, inAudience, loadAudienceMember, managesSession, type AudienceMember } from "./audience";
import { isLecturer, joinRefusal, type SessionRow } from "./session-access";

/**
 * Maps rows to API views with a few batched lookups (institutions, lecturers, specialties, my registrations).
 * `shared`: the lookups are shared with concurrent callers (sharedRead; a lecture's viewers entering together);
 * `registered`: the sessions the caller is registered for, when already known.
 */
export async function toViews(
  db: Db,
  user: AuthUser,
  rows: SessionRow[],
  member: AudienceMember | null,
  opts: { shared?: boolean; registered?: ReadonlySet<string> } = {},
): Promise<TrainingSessionView[]> {
  if (!rows.length) return [];
  const m = member ?? (await loadAudienceMember(db, user));
  const ids = rows.map((r) => r.id);
  const lookups = () =>
    Promise.all([
      db.institution.findMany({
        where: { id: { in: [...new Set(rows.map((r) => r.hostInstitutionId))] } },
        select: { id: true, name: true, tier: true },
      }),
      db.user.findMany({
        where: { id: { in: [...new Set(rows.flatMap((r) => r.lecturers.map((l) => l.userId)))] } },
        select: { id: true, displayName: true, title: true },
      }),
      db.specialty.findMany({
        where: { code: { in: rows.map((r) => r.specialtyCode).filter((c): c is string => !!c) } },
      }),
    ]);
  const [[institutions, people, specialties], registered] = await Promise.all([
    opts.shared ? sharedRead(db, `training-views:${ids.join(",")}`, lookups) : lookups(),
    opts.registered ??
      db.trainingRegistration
        .findMany({
          where: { sessionId: { in: ids }, userId: user.id, status: "REGISTERED" },
          select: { sessionId: true },
        })
        .then((mine) => new Set(mine.map((r) => r.sessionId))),
  ]);
  const inst = new Map(institutions.map((i) => [i.id, i]));
  const person = new Map(people.map((p) => [p.id, p]));
  const spec = new Map(specialties.map((s) => [s.code, s]));
  return rows.map((r) => {
    const manages = managesSession(user, r);
    const audienceMatch = inAudience(r.audience, m);
    const isReg = registered.has(r.id);
    const host = inst.get(r.hostInstitutionId);
    const specialty = r.specialtyCode ? spec.get(r.specialtyCode) : undefined;
    return {
      id: r.id,
      number: r.number,
      title: r.title,
      specialty: specialty ? { code: specialty.code, name: specialty.name } : null,
      description: r.description,
      hostInstitution: { id: r.hostInstitutionId, name: host?.name ?? "", tier: host?.tier ?? "PROVINCE" },
      lecturers: r.lecturers.map((l) => ({
        id: l.userId,
        displayName: person.get(l.userId)?.displayName ?? "",
        title: person.get(l.userId)?.title ?? null,
      })),
      startsAt: r.startsAt.toISOString(),
      endsAt: r.endsAt.toISOString(),
      capacity: r.capacity,
      registeredCount: r.registeredCount,
      registrationRequired: r.registrationRequired,
      attendanceThreshold: r.attendanceThreshold,
      status: r.status,
      audience: r.audience.map(fromRuleRow),
      me: {
        registered: isReg,
        canManage: manages,
        lecturer: isLecturer(r, user.id),
        canJoin: joinRefusal(r, { manages, inAudience: audienceMatch, registered: isReg }) === null,
      },
    };
  });
}
