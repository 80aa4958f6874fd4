// Finishing a consultation frees the rest of its booked time: a report signed (or the case closed) before the booked
// end gives the specialists back whatever is left of the slot, as cancelling the booking already did.
import type { Prisma } from "@prisma/client";

/**
 * Inside the caller's transaction: the consultation's ACTIVE booking ends at `at`. Busy rows that had not started
 * are deleted, running ones end at `at`; rows already over are left alone. The booking row keeps its booked times
 * (the record of what was planned) and notes when it actually ended.
 */
export async function releaseRestOfBooking(
  tx: Prisma.TransactionClient,
  consultationId: string,
  at: Date,
): Promise<void> {
  const booking = await tx.booking.findFirst({
    where: { consultationId, status: "ACTIVE" },
    select: { id: true, endsAt: true, endedAt: true },
  });
  if (!booking || booking.endedAt || booking.endsAt <= at) return;
  await tx.specialistBusyTime.deleteMany({
    where: { source: "CONSULTATION", sourceId: booking.id, startsAt: { gte: at } },
  });
  await tx.specialistBusyTime.updateMany({
    where: { source: "CONSULTATION", sourceId: booking.id, startsAt: { lt: at }, endsAt: { gt: at } },
    data: { endsAt: at },
  });
  await tx.booking.update({ where: { id: booking.id }, data: { endedAt: at, endReason: "finished" } });
}
