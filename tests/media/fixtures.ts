// Test data for live rooms: a consultation and its participants, written directly with Prisma.
import { randomUUID } from "node:crypto";
import type { Db } from "@yilian/server";

export interface RoomFixture {
  consultationId: string;
}

export async function userId(db: Db, username: string): Promise<{ id: string; institutionId: string }> {
  const u = await db.user.findUniqueOrThrow({ where: { username }, select: { id: true, institutionId: true } });
  return u;
}

/** A consultation between a requesting doctor and specialists, by default scheduled to start now. */
export async function createConsultationRoom(
  db: Db,
  opts: {
    requester: string;
    specialists: string[];
    coordinators?: string[];
    status?: "ACCEPTED" | "SCHEDULED" | "IN_PROGRESS" | "SUBMITTED" | "CLOSED";
    urgency?: "ROUTINE" | "URGENT" | "EMERGENCY";
    scheduledStart?: Date | null;
    targetUsername?: string;
  },
): Promise<RoomFixture> {
  const requester = await userId(db, opts.requester);
  const specialists = await Promise.all(opts.specialists.map((u) => userId(db, u)));
  const coordinators = await Promise.all((opts.coordinators ?? []).map((u) => userId(db, u)));
  const target = opts.targetUsername ? await userId(db, opts.targetUsername) : specialists[0];
  const start = opts.scheduledStart === undefined ? new Date() : opts.scheduledStart;
  const c = await db.consultation.create({
    data: {
      number: `HZT-${randomUUID().slice(0, 18)}`,
      status: opts.status ?? "SCHEDULED",
      urgency: opts.urgency ?? "ROUTINE",
      requestingInstitutionId: requester.institutionId,
      requestingDoctorId: requester.id,
      targetInstitutionId: target?.institutionId ?? null,
      patientName: "测试患者",
      patientSex: "FEMALE",
      patientBirthDate: new Date("1961-03-04"),
      chiefComplaint: "胸闷两周",
      scheduledStart: start,
      scheduledEnd: start ? new Date(start.getTime() + 60 * 60 * 1000) : null,
      participants: {
        create: [
          { userId: requester.id, role: "REQUESTER" },
          ...specialists.map((s) => ({ userId: s.id, role: "SPECIALIST" as const })),
          ...coordinators.map((s) => ({ userId: s.id, role: "COORDINATOR" as const })),
        ],
      },
    },
  });
  return { consultationId: c.id };
}
