import { AppError, ErrorCode, type SlotSearchQuery } from "@yilian/contract";
import type { Db } from "../db";
import { loadSlots, slotView } from "./slots";

/** "Next N free slots for specialty S (at institution I)" across every matching specialist. */
export async function searchSlots(db: Db, q: SlotSearchQuery) {
  if (!(await db.specialty.findUnique({ where: { code: q.specialtyCode } }))) {
    throw new AppError(ErrorCode.VALIDATION_FAILED, `未知的专科代码：${q.specialtyCode}`, {
      issues: [{ path: "query.specialtyCode", message: "未知的专科代码" }],
    });
  }
  const specialists = await db.user.findMany({
    where: {
      active: true,
      roles: { has: "SPECIALIST" },
      department: { specialtyCode: q.specialtyCode },
      ...(q.institutionId ? { institutionId: q.institutionId } : {}),
      ...(q.specialistId ? { id: q.specialistId } : {}),
    },
    select: { id: true, displayName: true },
    take: 500,
  });
  const from = q.from ? new Date(Math.max(Date.parse(q.from), Date.now())) : new Date();
  const to = new Date(from.getTime() + q.days * 86_400_000);
  const slots = (
    await loadSlots(
      db,
      specialists.map((s) => s.id),
      from,
      to,
    )
  ).filter((s) => q.includeReserved || !s.reserved);
  const names = new Map(specialists.map((s) => [s.id, s.displayName]));
  return { items: slots.slice(0, q.limit).map((s) => slotView(s, names)) };
}
