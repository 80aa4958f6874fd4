-- CreateEnum
CREATE TYPE "ConsultationStatus" AS ENUM ('DRAFT', 'SUBMITTED', 'RETURNED', 'ACCEPTED', 'SCHEDULED', 'IN_PROGRESS', 'REPORTED', 'CLOSED', 'REJECTED', 'CANCELLED', 'EXPIRED');

-- CreateEnum
CREATE TYPE "Urgency" AS ENUM ('ROUTINE', 'URGENT', 'EMERGENCY');

-- CreateEnum
CREATE TYPE "ConsultationKind" AS ENUM ('SINGLE_SPECIALIST', 'MULTIDISCIPLINARY', 'IMAGING_READING', 'ECG_READING', 'PATHOLOGY_READING');

-- CreateEnum
CREATE TYPE "Sex" AS ENUM ('MALE', 'FEMALE', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "ParticipantRole" AS ENUM ('REQUESTER', 'SPECIALIST', 'COORDINATOR');

-- CreateTable
CREATE TABLE "Consultation" (
    "id" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "status" "ConsultationStatus" NOT NULL DEFAULT 'DRAFT',
    "urgency" "Urgency" NOT NULL DEFAULT 'ROUTINE',
    "kind" "ConsultationKind" NOT NULL DEFAULT 'SINGLE_SPECIALIST',
    "requestingInstitutionId" UUID NOT NULL,
    "requestingDoctorId" UUID NOT NULL,
    "patientName" TEXT NOT NULL,
    "patientSex" "Sex" NOT NULL,
    "patientBirthDate" DATE NOT NULL,
    "patientIdNumberEnc" TEXT,
    "patientIdNumberMasked" TEXT,
    "patientRecordNumber" TEXT,
    "chiefComplaint" TEXT NOT NULL DEFAULT '',
    "history" TEXT NOT NULL DEFAULT '',
    "examinations" TEXT NOT NULL DEFAULT '',
    "preliminaryDiagnosis" TEXT NOT NULL DEFAULT '',
    "question" TEXT NOT NULL DEFAULT '',
    "specialtyCode" TEXT,
    "targetInstitutionId" UUID,
    "targetDepartmentId" UUID,
    "targetSpecialistId" UUID,
    "submittedAt" TIMESTAMPTZ(3),
    "acceptedAt" TIMESTAMPTZ(3),
    "scheduledStart" TIMESTAMPTZ(3),
    "scheduledEnd" TIMESTAMPTZ(3),
    "startedAt" TIMESTAMPTZ(3),
    "reportedAt" TIMESTAMPTZ(3),
    "closedAt" TIMESTAMPTZ(3),
    "slaDueAt" TIMESTAMPTZ(3),
    "overdue" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Consultation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsultationParticipant" (
    "consultationId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "role" "ParticipantRole" NOT NULL,
    "addedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsultationParticipant_pkey" PRIMARY KEY ("consultationId","userId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Consultation_number_key" ON "Consultation"("number");

-- CreateIndex
CREATE INDEX "Consultation_requestingInstitutionId_status_idx" ON "Consultation"("requestingInstitutionId", "status");

-- CreateIndex
CREATE INDEX "Consultation_targetInstitutionId_status_idx" ON "Consultation"("targetInstitutionId", "status");

-- CreateIndex
CREATE INDEX "Consultation_status_urgency_submittedAt_idx" ON "Consultation"("status", "urgency", "submittedAt");

-- CreateIndex
CREATE INDEX "Consultation_requestingDoctorId_idx" ON "Consultation"("requestingDoctorId");

-- CreateIndex
CREATE INDEX "ConsultationParticipant_userId_idx" ON "ConsultationParticipant"("userId");

-- AddForeignKey
ALTER TABLE "ConsultationParticipant" ADD CONSTRAINT "ConsultationParticipant_consultationId_fkey" FOREIGN KEY ("consultationId") REFERENCES "Consultation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
