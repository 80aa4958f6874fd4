// The doctor imports studies found through the PACS search into a consultation: one PacsImport per study, pulled by
// the worker (worker/src/pacs/import.ts). Importing a study again retries a failed import (staged instances are
// kept, so only the missing ones are fetched); a running or finished import is returned as it is.
import type { PacsImport } from "@prisma/client";
import { AppError, ErrorCode, type PacsImportRequest } from "@yilian/contract";
import { pacsImportJobOptions } from "@yilian/jobs";
import type { Db } from "../db";
import type { AuthUser } from "../authz/principal";
import { requireRole } from "../authz/policy";
import { audit } from "../audit/audit";
import type { AppQueues } from "../jobs/queues";
import { assertCanUpload } from "../uploads/uploads";
import { consultationAccess } from "../uploads/access";

export const pacsImportView = (r: PacsImport) => ({
  id: r.id,
  consultationId: r.consultationId,
  studyInstanceUid: r.studyInstanceUid,
  status: r.status,
  totalInstances: r.totalInstances,
  importedInstances: r.importedInstances,
  failCode: r.failCode,
  failReason: r.failReason,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
});

export async function startImports(
  deps: { db: Db; queues: AppQueues },
  user: AuthUser,
  consultationId: string,
  input: PacsImportRequest,
) {
  // Scope first: someone else's consultation does not exist for the caller.
  await assertCanUpload(deps.db, user, consultationId);
  requireRole(user, "DOCTOR");
  const pacs = await deps.db.pacsConnection.findUnique({
    where: { institutionId: user.institutionId },
    select: { id: true },
  });
  if (!pacs) throw new AppError(ErrorCode.PACS_NOT_REGISTERED);
  const rows: PacsImport[] = [];
  for (const studyInstanceUid of [...new Set(input.studyInstanceUids)]) {
    const row = await deps.db.$transaction(async (tx) => {
      const existing = await tx.pacsImport.findUnique({
        where: { consultationId_studyInstanceUid: { consultationId, studyInstanceUid } },
      });
      if (existing && existing.status !== "FAILED") return { row: existing, enqueue: false };
      const saved = existing
        ? await tx.pacsImport.update({
            where: { id: existing.id },
            data: {
              status: "QUEUED",
              attempt: { increment: 1 },
              failCode: null,
              failReason: null,
              finishedAt: null,
              requesterId: user.id,
              institutionId: user.institutionId,
            },
          })
        : await tx.pacsImport.create({
            data: { consultationId, studyInstanceUid, requesterId: user.id, institutionId: user.institutionId },
          });
      await audit(tx, {
        action: "pacs.import",
        entityType: "PacsImport",
        entityId: saved.id,
        outcome: "SUCCESS",
        detail: { consultationId, studyInstanceUid, attempt: saved.attempt },
      });
      return { row: saved, enqueue: true };
    });
    if (row.enqueue)
      await deps.queues.pacsImports.add(
        "import",
        { importId: row.row.id },
        pacsImportJobOptions(row.row.id, row.row.attempt),
      );
    rows.push(row.row);
  }
  return { items: rows.map(pacsImportView) };
}

export async function listImports(db: Db, user: AuthUser, consultationId: string) {
  await consultationAccess(db, user, consultationId, "pacs.import.list");
  const rows = await db.pacsImport.findMany({
    where: { consultationId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  return { items: rows.map(pacsImportView) };
}
