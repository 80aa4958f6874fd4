-- CreateEnum
CREATE TYPE "AvailabilityWindowKind" AS ENUM ('OPEN', 'EXCEPTION');

-- CreateEnum
CREATE TYPE "BusySource" AS ENUM ('CONSULTATION', 'REFERRAL', 'TRAINING');

-- CreateEnum
CREATE TYPE "BookingStatus" AS ENUM ('ACTIVE', 'RESCHEDULED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "ReferralAdvice" AS ENUM ('UP', 'DOWN', 'NONE');

-- CreateEnum
CREATE TYPE "ReportStatus" AS ENUM ('DRAFT', 'SIGNED');

-- CreateEnum
CREATE TYPE "DecisionOutcome" AS ENUM ('FOLLOWED', 'PARTIALLY_FOLLOWED', 'NOT_FOLLOWED');

-- CreateEnum
CREATE TYPE "ReferralDirection" AS ENUM ('UP', 'DOWN');

-- CreateEnum
CREATE TYPE "ReferralStatus" AS ENUM ('REQUESTED', 'ACCEPTED', 'ARRIVED', 'DECLINED', 'CANCELLED');

-- AlterTable
ALTER TABLE "Consultation" ADD COLUMN     "routedConsortiumId" UUID,
ADD COLUMN     "slaLevel" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "statusReason" TEXT,
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "ConsultationTransition" (
    "id" BIGSERIAL NOT NULL,
    "consultationId" UUID NOT NULL,
    "fromStatus" "ConsultationStatus",
    "toStatus" "ConsultationStatus" NOT NULL,
    "actorId" UUID,
    "reason" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsultationTransition_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsultationAttachment" (
    "consultationId" UUID NOT NULL,
    "uploadId" UUID NOT NULL,
    "addedById" UUID NOT NULL,
    "addedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsultationAttachment_pkey" PRIMARY KEY ("consultationId","uploadId")
);

-- CreateTable
CREATE TABLE "SlaPolicy" (
    "id" UUID NOT NULL,
    "consortiumId" UUID,
    "urgency" "Urgency" NOT NULL,
    "acceptWithinS" INTEGER NOT NULL,
    "notifyCoordinatorAtS" INTEGER NOT NULL,
    "notifyAdminAtS" INTEGER NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SlaPolicy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AvailabilityRule" (
    "id" UUID NOT NULL,
    "specialistId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "weekday" INTEGER NOT NULL,
    "startMinute" INTEGER NOT NULL,
    "endMinute" INTEGER NOT NULL,
    "slotMinutes" INTEGER NOT NULL,
    "validFrom" DATE NOT NULL,
    "validUntil" DATE,
    "label" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AvailabilityRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AvailabilityWindow" (
    "id" UUID NOT NULL,
    "specialistId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "kind" "AvailabilityWindowKind" NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "slotMinutes" INTEGER,
    "reason" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AvailabilityWindow_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SchedulingPolicy" (
    "institutionId" UUID NOT NULL,
    "reservedReferralShare" DOUBLE PRECISION NOT NULL DEFAULT 0.2,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SchedulingPolicy_pkey" PRIMARY KEY ("institutionId")
);

-- CreateTable
CREATE TABLE "SpecialistBusyTime" (
    "id" UUID NOT NULL,
    "specialistId" UUID NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "source" "BusySource" NOT NULL,
    "sourceId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SpecialistBusyTime_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Booking" (
    "id" UUID NOT NULL,
    "consultationId" UUID,
    "referralId" UUID,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "specialistIds" UUID[],
    "reservedSlot" BOOLEAN NOT NULL DEFAULT false,
    "status" "BookingStatus" NOT NULL DEFAULT 'ACTIVE',
    "createdById" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "endedAt" TIMESTAMPTZ(3),
    "endReason" TEXT,

    CONSTRAINT "Booking_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsultationReport" (
    "id" UUID NOT NULL,
    "consultationId" UUID NOT NULL,
    "status" "ReportStatus" NOT NULL DEFAULT 'DRAFT',
    "findings" TEXT NOT NULL DEFAULT '',
    "impression" TEXT NOT NULL DEFAULT '',
    "recommendations" TEXT NOT NULL DEFAULT '',
    "referralAdvice" "ReferralAdvice" NOT NULL DEFAULT 'NONE',
    "followUp" TEXT NOT NULL DEFAULT '',
    "authorId" UUID NOT NULL,
    "signedById" UUID,
    "signedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ConsultationReport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReportAmendment" (
    "id" UUID NOT NULL,
    "reportId" UUID NOT NULL,
    "authorId" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "previous" JSONB NOT NULL,
    "current" JSONB NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReportAmendment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsultationDecision" (
    "consultationId" UUID NOT NULL,
    "decidedById" UUID NOT NULL,
    "outcome" "DecisionOutcome" NOT NULL,
    "decision" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsultationDecision_pkey" PRIMARY KEY ("consultationId")
);

-- CreateTable
CREATE TABLE "Referral" (
    "id" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "direction" "ReferralDirection" NOT NULL,
    "status" "ReferralStatus" NOT NULL DEFAULT 'REQUESTED',
    "consultationId" UUID,
    "fromInstitutionId" UUID NOT NULL,
    "toInstitutionId" UUID NOT NULL,
    "toDepartmentId" UUID,
    "patientName" TEXT NOT NULL,
    "patientSex" "Sex" NOT NULL,
    "patientBirthDate" DATE NOT NULL,
    "patientIdNumberEnc" TEXT,
    "patientIdNumberMasked" TEXT,
    "reason" TEXT NOT NULL,
    "clinicalSummary" TEXT NOT NULL DEFAULT '',
    "requestedById" UUID NOT NULL,
    "respondedById" UUID,
    "declineReason" TEXT,
    "requestedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acceptedAt" TIMESTAMPTZ(3),
    "arrivedAt" TIMESTAMPTZ(3),
    "declinedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Referral_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ConsultationTransition_consultationId_at_idx" ON "ConsultationTransition"("consultationId", "at");

-- CreateIndex
CREATE INDEX "ConsultationAttachment_uploadId_idx" ON "ConsultationAttachment"("uploadId");

-- CreateIndex
CREATE UNIQUE INDEX "SlaPolicy_consortiumId_urgency_key" ON "SlaPolicy"("consortiumId", "urgency");

-- CreateIndex
CREATE INDEX "AvailabilityRule_specialistId_idx" ON "AvailabilityRule"("specialistId");

-- CreateIndex
CREATE INDEX "AvailabilityRule_institutionId_idx" ON "AvailabilityRule"("institutionId");

-- CreateIndex
CREATE INDEX "AvailabilityWindow_specialistId_startsAt_idx" ON "AvailabilityWindow"("specialistId", "startsAt");

-- CreateIndex
CREATE INDEX "SpecialistBusyTime_specialistId_startsAt_idx" ON "SpecialistBusyTime"("specialistId", "startsAt");

-- CreateIndex
CREATE UNIQUE INDEX "SpecialistBusyTime_source_sourceId_specialistId_key" ON "SpecialistBusyTime"("source", "sourceId", "specialistId");

-- CreateIndex
CREATE INDEX "Booking_consultationId_status_idx" ON "Booking"("consultationId", "status");

-- CreateIndex
CREATE INDEX "Booking_referralId_idx" ON "Booking"("referralId");

-- CreateIndex
CREATE UNIQUE INDEX "ConsultationReport_consultationId_key" ON "ConsultationReport"("consultationId");

-- CreateIndex
CREATE INDEX "ReportAmendment_reportId_at_idx" ON "ReportAmendment"("reportId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Referral_number_key" ON "Referral"("number");

-- CreateIndex
CREATE INDEX "Referral_fromInstitutionId_status_idx" ON "Referral"("fromInstitutionId", "status");

-- CreateIndex
CREATE INDEX "Referral_toInstitutionId_status_idx" ON "Referral"("toInstitutionId", "status");

-- CreateIndex
CREATE INDEX "Referral_consultationId_idx" ON "Referral"("consultationId");

-- AddForeignKey
ALTER TABLE "ReportAmendment" ADD CONSTRAINT "ReportAmendment_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "ConsultationReport"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- ---------------------------------------------------------------------------------------------------------
-- Hand-written: guarantees the application cannot give (written here because Prisma has no syntax for them).

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A specialist is never committed twice at the same time: consultations, referral visits and training lectures
-- all insert into SpecialistBusyTime, and PostgreSQL refuses any overlap ([) ranges: back-to-back is fine).
ALTER TABLE "SpecialistBusyTime"
  ADD CONSTRAINT "SpecialistBusyTime_positive_range" CHECK ("endsAt" > "startsAt"),
  ADD CONSTRAINT "SpecialistBusyTime_no_overlap"
    EXCLUDE USING gist ("specialistId" WITH =, tstzrange("startsAt", "endsAt", '[)') WITH &&);

-- One-off open windows of one specialist never overlap each other.
ALTER TABLE "AvailabilityWindow"
  ADD CONSTRAINT "AvailabilityWindow_positive_range" CHECK ("endsAt" > "startsAt"),
  ADD CONSTRAINT "AvailabilityWindow_open_no_overlap"
    EXCLUDE USING gist ("specialistId" WITH =, tstzrange("startsAt", "endsAt", '[)') WITH &&) WHERE (kind = 'OPEN');

ALTER TABLE "AvailabilityRule"
  ADD CONSTRAINT "AvailabilityRule_valid_times"
    CHECK (weekday BETWEEN 1 AND 7 AND "startMinute" >= 0 AND "endMinute" <= 1440 AND "endMinute" > "startMinute" AND "slotMinutes" BETWEEN 5 AND 240);

ALTER TABLE "Booking" ADD CONSTRAINT "Booking_positive_range" CHECK ("endsAt" > "startsAt");

ALTER TABLE "SchedulingPolicy"
  ADD CONSTRAINT "SchedulingPolicy_share_range" CHECK ("reservedReferralShare" >= 0 AND "reservedReferralShare" <= 0.9);

ALTER TABLE "SlaPolicy"
  ADD CONSTRAINT "SlaPolicy_order" CHECK ("notifyCoordinatorAtS" > 0 AND "notifyCoordinatorAtS" <= "notifyAdminAtS" AND "notifyAdminAtS" <= "acceptWithinS");

-- Province-wide null-consortium defaults must be unique too (NULLs are distinct in a plain unique index).
CREATE UNIQUE INDEX "SlaPolicy_default_urgency" ON "SlaPolicy" (urgency) WHERE "consortiumId" IS NULL;
