// Loading a training session the caller may see or manage, and who may enter it live.
// A session outside the caller's audience (and not managed by them) answers 404, never 403.
import type { Prisma, TrainingSession } from "@prisma/client";
import { AppError, ErrorCode } from "@yilian/contract";
import { sharedRead, type Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { notFound } from "../authz/policy";
import { inAudience, loadAudienceMember, managesSession, type AudienceMember } from "./audience";

/** Viewers may enter this long before the scheduled start (to test audio and video). */
export const JOIN_EARLY_MS = 30 * 60_000;

export const sessionInclude = { lecturers: true, audience: true } satisfies Prisma.TrainingSessionInclude;
export type SessionRow = Prisma.TrainingSessionGetPayload<{ include: typeof sessionInclude }>;

/**
 * Loads a session the caller may see, or throws 404. `shared`: the session's row is shared with concurrent callers
 * (sharedRead: a lecture's viewers entering together); not for a caller that has just changed it.
 */
export async function loadVisibleSession(
  db: Db,
  user: AuthUser,
  sessionId: string,
  opts: { shared?: boolean } = {},
): Promise<{ session: SessionRow; member: AudienceMember; manages: boolean; inAudience: boolean }> {
  const read = () => db.trainingSession.findUnique({ where: { id: sessionId }, include: sessionInclude });
  const [session, m] = await Promise.all([
    opts.shared ? sharedRead(db, `training-session:${sessionId}`, read) : read(),
    loadAudienceMember(db, user),
  ]);
  if (!session) throw notFound("培训");
  const manages = managesSession(user, session);
  const audienceMatch = inAudience(session.audience, m);
  if (!manages && !audienceMatch) throw notFound("培训");
  return { session, member: m, manages, inAudience: audienceMatch };
}

export function isLecturer(session: { lecturers: { userId: string }[] }, userId: string): boolean {
  return session.lecturers.some((l) => l.userId === userId);
}

/** Whether a person may enter the live session now (lecturers and managers always before the end). */
export function joinRefusal(
  s: Pick<TrainingSession, "status" | "startsAt" | "endsAt" | "registrationRequired">,
  who: { manages: boolean; inAudience: boolean; registered: boolean },
  now = new Date(),
): string | null {
  if (s.status === "CANCELLED") return "本次培训已取消";
  if (s.status === "ENDED") return "本次培训已结束";
  if (who.manages) return null;
  if (!who.inAudience) return "您不在本次培训的受众范围内";
  if (s.registrationRequired && !who.registered) return "本次培训需要先报名";
  if (s.status === "SCHEDULED" && now.getTime() < s.startsAt.getTime() - JOIN_EARLY_MS)
    return "培训尚未开始，开始前 30 分钟可进入";
  if (s.status === "SCHEDULED" && now.getTime() > s.endsAt.getTime()) return "本次培训已结束";
  return null;
}

/** Loads a session the caller manages (lecturer or host administrator): 404 if invisible, 403 if only visible. */
export async function loadManaged(db: Db, user: AuthUser, sessionId: string): Promise<SessionRow> {
  const { session, manages } = await loadVisibleSession(db, user, sessionId);
  if (!manages) throw new AppError(ErrorCode.FORBIDDEN, "只有授课专家或主办机构管理员可以管理本次培训");
  return session;
}
