// Entering a live session (the Socket.IO live room and the media room share this rule): the audience (others
// get 404), registration when required, the time window; a lecturer entering takes the session live.
import { AppError, ErrorCode } from "@yilian/contract";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { isLecturer, joinRefusal, loadVisibleSession } from "./session-access";
import { toViews } from "./session-view";
import { startTraining } from "./start-training";
import { isRegistered } from "./registration";

export async function enterSession(db: Db, user: AuthUser, sessionId: string) {
  // A lecture's viewers enter together: what is the same for all of them is read once for those arriving at once.
  const [{ session, member, manages, inAudience }, registered] = await Promise.all([
    loadVisibleSession(db, user, sessionId, { shared: true }),
    isRegistered(db, sessionId, user.id),
  ]);
  const refusal = joinRefusal(session, { manages, inAudience, registered });
  if (refusal) {
    const code =
      session.status === "ENDED" || session.status === "CANCELLED" || refusal.includes("尚未开始")
        ? ErrorCode.INVALID_STATE
        : ErrorCode.FORBIDDEN;
    throw new AppError(code, refusal);
  }
  const lecturer = isLecturer(session, user.id);
  // The lecturer entering is the lecture going live.
  const current = lecturer && session.status === "SCHEDULED" ? await startTraining(db, user, sessionId) : session;
  const [view] = await toViews(db, user, [current], member, {
    shared: current === session,
    registered: new Set(registered ? [sessionId] : []),
  });
  return { session: current, view: view!, manages, lecturer, registered };
}
