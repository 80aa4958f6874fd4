// The training catalogue and one session, both limited to what the caller may see.
import type { Prisma } from "@prisma/client";
import type { Page, TrainingCatalogueQuery, TrainingSessionView } from "@yilian/contract";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { loadAudienceMember, managedSessionsWhere, visibleSessionsWhere } from "./audience";
import { loadVisibleSession, sessionInclude } from "./session-access";
import { toViews } from "./session-view";

export async function catalogue(db: Db, user: AuthUser, q: TrainingCatalogueQuery): Promise<Page<TrainingSessionView>> {
  const member = await loadAudienceMember(db, user);
  const where: Prisma.TrainingSessionWhereInput = {
    AND: [
      q.managed ? managedSessionsWhere(user) : visibleSessionsWhere(user, member),
      ...(q.status ? [{ status: q.status }] : []),
      ...(q.from ? [{ endsAt: { gt: new Date(q.from) } }] : []),
      ...(q.to ? [{ startsAt: { lt: new Date(q.to) } }] : []),
      ...(q.q
        ? [
            {
              OR: [
                { title: { contains: q.q, mode: "insensitive" as const } },
                { description: { contains: q.q, mode: "insensitive" as const } },
              ],
            },
          ]
        : []),
    ],
  };
  const [rows, total] = await Promise.all([
    db.trainingSession.findMany({
      where,
      include: sessionInclude,
      orderBy: [{ startsAt: "asc" }, { id: "asc" }],
      take: q.limit,
      skip: q.offset,
    }),
    db.trainingSession.count({ where }),
  ]);
  return { items: await toViews(db, user, rows, member), total, limit: q.limit, offset: q.offset };
}

export async function getSessionView(db: Db, user: AuthUser, sessionId: string): Promise<TrainingSessionView> {
  const { session, member } = await loadVisibleSession(db, user, sessionId);
  const [view] = await toViews(db, user, [session], member);
  return view!;
}
