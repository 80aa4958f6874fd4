-- CreateEnum
CREATE TYPE "MediaRoomKind" AS ENUM ('CONSULTATION', 'TRAINING');

-- CreateTable
CREATE TABLE "RoomChatMessage" (
    "id" UUID NOT NULL,
    "roomKind" "MediaRoomKind" NOT NULL,
    "roomId" UUID NOT NULL,
    "senderId" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "sentAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RoomChatMessage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RoomChatMessage_roomKind_roomId_sentAt_idx" ON "RoomChatMessage"("roomKind", "roomId", "sentAt");

