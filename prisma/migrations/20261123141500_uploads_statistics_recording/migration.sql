-- Uploads, monthly statistics rollups and recordings (worker domain).

-- CreateEnum
CREATE TYPE "RecordingStatus" AS ENUM ('RECORDING', 'PROCESSING', 'READY', 'FAILED');

-- CreateEnum
CREATE TYPE "RecordingSubject" AS ENUM ('CONSULTATION', 'TRAINING');

-- CreateEnum
CREATE TYPE "StatScope" AS ENUM ('INSTITUTION', 'COUNTY', 'CITY', 'TIER', 'CONSORTIUM', 'PROVINCE');

-- CreateEnum
CREATE TYPE "UploadStatus" AS ENUM ('UPLOADED', 'PROCESSING', 'READY', 'REJECTED');

-- CreateEnum
CREATE TYPE "UploadCategory" AS ENUM ('IMAGING', 'CASE');

-- CreateEnum
CREATE TYPE "UploadKind" AS ENUM ('DICOM', 'JPEG', 'PNG', 'PDF', 'DOCX');

-- CreateTable
CREATE TABLE "Recording" (
    "id" UUID NOT NULL,
    "subject" "RecordingSubject" NOT NULL,
    "subjectId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "startedById" UUID NOT NULL,
    "consentRecorded" BOOLEAN NOT NULL DEFAULT false,
    "status" "RecordingStatus" NOT NULL DEFAULT 'RECORDING',
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stoppedAt" TIMESTAMPTZ(3),
    "parts" JSONB NOT NULL DEFAULT '[]',
    "durationMs" INTEGER,
    "sizeBytes" BIGINT,
    "sha256" TEXT,
    "storageKey" TEXT,
    "posterKey" TEXT,
    "failureReason" TEXT,
    "processedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Recording_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MonthlyStat" (
    "month" DATE NOT NULL,
    "scope" "StatScope" NOT NULL,
    "scopeId" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "dimension" TEXT NOT NULL DEFAULT '',
    "key" TEXT NOT NULL DEFAULT '',
    "value" DOUBLE PRECISION NOT NULL,
    "computedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MonthlyStat_pkey" PRIMARY KEY ("month","scope","scopeId","metric","dimension","key")
);

-- CreateTable
CREATE TABLE "MonthlyStatRun" (
    "month" DATE NOT NULL,
    "computedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "durationMs" INTEGER NOT NULL,
    "rows" INTEGER NOT NULL,

    CONSTRAINT "MonthlyStatRun_pkey" PRIMARY KEY ("month")
);

-- CreateTable
CREATE TABLE "Upload" (
    "id" UUID NOT NULL,
    "consultationId" UUID NOT NULL,
    "uploaderId" UUID NOT NULL,
    "uploaderInstitutionId" UUID NOT NULL,
    "originalName" TEXT NOT NULL,
    "kind" "UploadKind" NOT NULL,
    "category" "UploadCategory" NOT NULL,
    "mime" TEXT NOT NULL,
    "sizeBytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "storageKey" TEXT,
    "previewKey" TEXT,
    "deidentifiedKey" TEXT,
    "status" "UploadStatus" NOT NULL DEFAULT 'UPLOADED',
    "rejectCode" TEXT,
    "rejectReason" TEXT,
    "studyInstanceUid" TEXT,
    "seriesInstanceUid" TEXT,
    "sopInstanceUid" TEXT,
    "modality" TEXT,
    "bodyPart" TEXT,
    "studyDate" DATE,
    "pageCount" INTEGER,
    "width" INTEGER,
    "height" INTEGER,
    "details" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Upload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Recording_subject_subjectId_idx" ON "Recording"("subject", "subjectId");

-- CreateIndex
CREATE INDEX "Recording_institutionId_stoppedAt_idx" ON "Recording"("institutionId", "stoppedAt");

-- CreateIndex
CREATE INDEX "Recording_status_idx" ON "Recording"("status");

-- CreateIndex
CREATE INDEX "MonthlyStat_scope_scopeId_month_idx" ON "MonthlyStat"("scope", "scopeId", "month");

-- CreateIndex
CREATE INDEX "Upload_consultationId_createdAt_idx" ON "Upload"("consultationId", "createdAt");

-- CreateIndex
CREATE INDEX "Upload_uploaderInstitutionId_createdAt_idx" ON "Upload"("uploaderInstitutionId", "createdAt");

-- CreateIndex
CREATE INDEX "Upload_status_createdAt_idx" ON "Upload"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Upload_createdAt_idx" ON "Upload"("createdAt");

