-- CreateEnum
CREATE TYPE "CampaignStatus" AS ENUM ('scheduled', 'running', 'paused', 'completed', 'cancelled');

-- CreateTable
CREATE TABLE "Campaign" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "audience" JSONB NOT NULL,
    "template" TEXT,
    "content" JSONB,
    "purpose" "MessagePurpose" NOT NULL,
    "channels" "Channel"[],
    "offer" JSONB,
    "sendAt" TIMESTAMPTZ(3),
    "holdoutPercent" INTEGER NOT NULL,
    "windowDays" INTEGER NOT NULL,
    "ratePerSecond" INTEGER,
    "status" "CampaignStatus" NOT NULL DEFAULT 'scheduled',
    "audienceSize" INTEGER,
    "holdoutSize" INTEGER,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Campaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignRecipient" (
    "campaignId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "holdout" BOOLEAN NOT NULL,

    CONSTRAINT "CampaignRecipient_pkey" PRIMARY KEY ("campaignId","customerId")
);

-- CreateIndex
CREATE UNIQUE INDEX "CampaignRecipient_campaignId_seq_key" ON "CampaignRecipient"("campaignId", "seq");

