-- Remote training sessions (远程教学): sessions, audience, registrations, presence, attendance, Q&A, hands.
-- CreateEnum
CREATE TYPE "TrainingStatus" AS ENUM ('SCHEDULED', 'LIVE', 'ENDED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "TrainingAudienceKind" AS ENUM ('PROVINCE', 'TIER', 'CONSORTIUM', 'CITY', 'COUNTY', 'INSTITUTION');

-- CreateEnum
CREATE TYPE "TrainingRegistrationStatus" AS ENUM ('REGISTERED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "TrainingPresenceKind" AS ENUM ('JOIN', 'LEAVE');

-- CreateEnum
CREATE TYPE "TrainingQuestionStatus" AS ENUM ('VISIBLE', 'HIDDEN');

-- CreateEnum
CREATE TYPE "TrainingHandStatus" AS ENUM ('RAISED', 'LOWERED', 'PROMOTED', 'DEMOTED', 'DISMISSED');

-- CreateTable
CREATE TABLE "TrainingSession" (
    "id" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "specialtyCode" TEXT,
    "description" TEXT NOT NULL DEFAULT '',
    "hostInstitutionId" UUID NOT NULL,
    "createdById" UUID NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "capacity" INTEGER,
    "registrationRequired" BOOLEAN NOT NULL DEFAULT true,
    "registeredCount" INTEGER NOT NULL DEFAULT 0,
    "status" "TrainingStatus" NOT NULL DEFAULT 'SCHEDULED',
    "attendanceThreshold" DOUBLE PRECISION NOT NULL DEFAULT 0.8,
    "startedAt" TIMESTAMPTZ(3),
    "endedAt" TIMESTAMPTZ(3),
    "cancelledAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "TrainingSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrainingLecturer" (
    "sessionId" UUID NOT NULL,
    "userId" UUID NOT NULL,

    CONSTRAINT "TrainingLecturer_pkey" PRIMARY KEY ("sessionId","userId")
);

-- CreateTable
CREATE TABLE "TrainingAudienceRule" (
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "kind" "TrainingAudienceKind" NOT NULL,
    "tier" "Tier",
    "targetId" UUID,

    CONSTRAINT "TrainingAudienceRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrainingRegistration" (
    "sessionId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "status" "TrainingRegistrationStatus" NOT NULL DEFAULT 'REGISTERED',
    "registeredAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelledAt" TIMESTAMPTZ(3),

    CONSTRAINT "TrainingRegistration_pkey" PRIMARY KEY ("sessionId","userId")
);

-- CreateTable
CREATE TABLE "TrainingPresenceEvent" (
    "id" BIGSERIAL NOT NULL,
    "sessionId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "kind" "TrainingPresenceKind" NOT NULL,
    "connectionId" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TrainingPresenceEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrainingAttendance" (
    "sessionId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "firstJoinAt" TIMESTAMPTZ(3) NOT NULL,
    "lastLeaveAt" TIMESTAMPTZ(3),
    "minutes" INTEGER NOT NULL DEFAULT 0,
    "presentSeconds" INTEGER NOT NULL DEFAULT 0,
    "intervals" JSONB NOT NULL,
    "joins" INTEGER NOT NULL DEFAULT 1,
    "attended" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "TrainingAttendance_pkey" PRIMARY KEY ("sessionId","userId")
);

-- CreateTable
CREATE TABLE "TrainingQuestion" (
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "authorId" UUID NOT NULL,
    "institutionId" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "status" "TrainingQuestionStatus" NOT NULL DEFAULT 'VISIBLE',
    "pinned" BOOLEAN NOT NULL DEFAULT false,
    "answer" TEXT,
    "answeredById" UUID,
    "answeredAt" TIMESTAMPTZ(3),
    "moderatedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "TrainingQuestion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrainingHandRaise" (
    "id" UUID NOT NULL,
    "sessionId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "status" "TrainingHandStatus" NOT NULL DEFAULT 'RAISED',
    "raisedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "promotedAt" TIMESTAMPTZ(3),
    "promotedById" UUID,
    "endedAt" TIMESTAMPTZ(3),

    CONSTRAINT "TrainingHandRaise_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TrainingSession_number_key" ON "TrainingSession"("number");

-- CreateIndex
CREATE INDEX "TrainingSession_startsAt_idx" ON "TrainingSession"("startsAt");

-- CreateIndex
CREATE INDEX "TrainingSession_hostInstitutionId_startsAt_idx" ON "TrainingSession"("hostInstitutionId", "startsAt");

-- CreateIndex
CREATE INDEX "TrainingSession_status_startsAt_idx" ON "TrainingSession"("status", "startsAt");

-- CreateIndex
CREATE INDEX "TrainingLecturer_userId_idx" ON "TrainingLecturer"("userId");

-- CreateIndex
CREATE INDEX "TrainingAudienceRule_sessionId_idx" ON "TrainingAudienceRule"("sessionId");

-- CreateIndex
CREATE INDEX "TrainingAudienceRule_kind_targetId_idx" ON "TrainingAudienceRule"("kind", "targetId");

-- CreateIndex
CREATE INDEX "TrainingRegistration_userId_idx" ON "TrainingRegistration"("userId");

-- CreateIndex
CREATE INDEX "TrainingRegistration_sessionId_institutionId_idx" ON "TrainingRegistration"("sessionId", "institutionId");

-- CreateIndex
CREATE INDEX "TrainingPresenceEvent_sessionId_userId_at_idx" ON "TrainingPresenceEvent"("sessionId", "userId", "at");

-- CreateIndex
CREATE INDEX "TrainingAttendance_institutionId_idx" ON "TrainingAttendance"("institutionId");

-- CreateIndex
CREATE INDEX "TrainingAttendance_userId_idx" ON "TrainingAttendance"("userId");

-- CreateIndex
CREATE INDEX "TrainingAttendance_firstJoinAt_idx" ON "TrainingAttendance"("firstJoinAt");

-- CreateIndex
CREATE INDEX "TrainingQuestion_sessionId_createdAt_idx" ON "TrainingQuestion"("sessionId", "createdAt");

-- CreateIndex
CREATE INDEX "TrainingHandRaise_sessionId_status_idx" ON "TrainingHandRaise"("sessionId", "status");

-- CreateIndex
CREATE INDEX "TrainingHandRaise_sessionId_userId_idx" ON "TrainingHandRaise"("sessionId", "userId");

-- AddForeignKey
ALTER TABLE "TrainingLecturer" ADD CONSTRAINT "TrainingLecturer_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "TrainingSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingAudienceRule" ADD CONSTRAINT "TrainingAudienceRule_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "TrainingSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingRegistration" ADD CONSTRAINT "TrainingRegistration_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "TrainingSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingPresenceEvent" ADD CONSTRAINT "TrainingPresenceEvent_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "TrainingSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingAttendance" ADD CONSTRAINT "TrainingAttendance_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "TrainingSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingQuestion" ADD CONSTRAINT "TrainingQuestion_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "TrainingSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrainingHandRaise" ADD CONSTRAINT "TrainingHandRaise_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "TrainingSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Invariants PostgreSQL enforces whatever the code path.
ALTER TABLE "TrainingSession"
  ADD CONSTRAINT "TrainingSession_window_check" CHECK ("endsAt" > "startsAt"),
  ADD CONSTRAINT "TrainingSession_capacity_check" CHECK ("capacity" IS NULL OR "capacity" > 0),
  -- Registration takes the session row lock and bumps this counter; it can never exceed capacity.
  ADD CONSTRAINT "TrainingSession_registered_check" CHECK ("registeredCount" >= 0 AND ("capacity" IS NULL OR "registeredCount" <= "capacity")),
  ADD CONSTRAINT "TrainingSession_threshold_check" CHECK ("attendanceThreshold" > 0 AND "attendanceThreshold" <= 1);

ALTER TABLE "TrainingAudienceRule"
  ADD CONSTRAINT "TrainingAudienceRule_shape_check" CHECK (
    ("kind" = 'PROVINCE' AND "tier" IS NULL AND "targetId" IS NULL)
    OR ("kind" = 'TIER' AND "tier" IS NOT NULL AND "targetId" IS NULL)
    OR ("kind" IN ('CONSORTIUM', 'CITY', 'COUNTY', 'INSTITUTION') AND "tier" IS NULL AND "targetId" IS NOT NULL)
  );

-- At most one open hand (raised or speaking) per person and session.
CREATE UNIQUE INDEX "TrainingHandRaise_open_key" ON "TrainingHandRaise" ("sessionId", "userId") WHERE "status" IN ('RAISED', 'PROMOTED');
