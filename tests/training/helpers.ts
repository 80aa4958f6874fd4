// Helpers of the training tests: tokens for seeded users without a password round trip (argon2 × 200 would
// dominate the run), and schedule bodies on time windows that do not collide between test files.
import { randomUUID } from "node:crypto";
import type { Role, Tier } from "@yilian/contract";
import type { TestServer } from "../helpers/server";
import { testDb } from "../helpers/db";

export interface TestUser {
  id: string;
  username: string;
  institutionId: string;
  token: string;
}

/** An access token for a seeded user, signed by the test server's own token service. */
export async function tokenFor(t: TestServer, username: string, overrideRoles?: Role[]): Promise<TestUser> {
  const u = await testDb().user.findUniqueOrThrow({
    where: { username },
    include: { institution: { select: { tier: true } }, region: true },
  });
  // A live session, as a login would leave (tokens of unknown sessions are refused).
  const sessionId = randomUUID();
  await t.server.services.tokens.sessions.markLive(sessionId, u.id, new Date(Date.now() + 3_600_000));
  const token = await t.server.services.tokens.signAccess({
    id: u.id,
    username: u.username,
    roles: overrideRoles ?? u.roles,
    institutionId: u.institutionId,
    institutionTier: u.institution.tier as Tier,
    departmentId: u.departmentId,
    region: u.region ? { id: u.region.id, kind: u.region.kind } : null,
    sessionId,
  });
  return { id: u.id, username: u.username, institutionId: u.institutionId, token };
}

/** Seeded lecturers of province-tier institutions, in a stable order; each test file takes its own. */
export async function provinceLecturers(): Promise<{ username: string; institutionId: string }[]> {
  return testDb().user.findMany({
    where: { roles: { has: "LECTURER" }, institution: { tier: "PROVINCE" }, active: true },
    orderBy: { username: "asc" },
    select: { username: true, institutionId: true },
  });
}

/** A window `days` ahead at a fixed local hour, so files never overlap for the same lecturer. */
export function windowAt(minutesFromNow: number, durationMin = 60): { startsAt: string; endsAt: string } {
  const start = new Date(Math.ceil((Date.now() + minutesFromNow * 60_000) / 60_000) * 60_000);
  return { startsAt: start.toISOString(), endsAt: new Date(start.getTime() + durationMin * 60_000).toISOString() };
}

export function sessionBody(overrides: Record<string, unknown> = {}) {
  return {
    title: "基层常见慢病规范化管理",
    description: "高血压、糖尿病的分级诊疗与基层随访要点",
    capacity: null,
    registrationRequired: true,
    audience: [{ kind: "PROVINCE" }],
    ...windowAt(3 * 24 * 60),
    ...overrides,
  };
}
