-- CreateEnum
CREATE TYPE "PacsImportStatus" AS ENUM ('QUEUED', 'RUNNING', 'DONE', 'FAILED');

-- AlterTable
ALTER TABLE "Upload" ADD COLUMN "pacsImportId" UUID;

-- CreateTable
CREATE TABLE "PacsImport" (
    "id" UUID NOT NULL,
    "consultationId" UUID NOT NULL,
    "requesterId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "studyInstanceUid" TEXT NOT NULL,
    "status" "PacsImportStatus" NOT NULL DEFAULT 'QUEUED',
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "totalInstances" INTEGER,
    "importedInstances" INTEGER NOT NULL DEFAULT 0,
    "importedBytes" BIGINT NOT NULL DEFAULT 0,
    "failCode" TEXT,
    "failReason" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "PacsImport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PacsImport_consultationId_studyInstanceUid_key" ON "PacsImport"("consultationId", "studyInstanceUid");

-- CreateIndex
CREATE INDEX "PacsImport_status_updatedAt_idx" ON "PacsImport"("status", "updatedAt");

-- CreateIndex
CREATE INDEX "Upload_pacsImportId_sopInstanceUid_idx" ON "Upload"("pacsImportId", "sopInstanceUid");
