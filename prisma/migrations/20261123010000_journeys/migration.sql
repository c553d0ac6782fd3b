-- AlterTable
ALTER TABLE "Customer" ADD COLUMN "dormantAt" DATETIME;

-- CreateTable
CREATE TABLE "VisitorLink" (
    "anonymousId" TEXT NOT NULL PRIMARY KEY,
    "customerId" TEXT NOT NULL,
    "linkedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "JourneyCancellation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workflowId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "journey" TEXT,
    "reason" TEXT,
    "cancelledAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Message" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "idempotencyKey" TEXT NOT NULL,
    "customerId" TEXT,
    "visitorId" TEXT,
    "journey" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "channel" TEXT,
    "recipient" TEXT,
    "purpose" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "provider" TEXT,
    "providerMessageId" TEXT,
    "cost" REAL NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" DATETIME,
    "shownAt" DATETIME,
    "expiresAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Message_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Message" ("channel", "content", "cost", "createdAt", "customerId", "id", "idempotencyKey", "journey", "provider", "providerMessageId", "purpose", "reason", "recipient", "sentAt", "status", "step", "updatedAt", "workflowId") SELECT "channel", "content", "cost", "createdAt", "customerId", "id", "idempotencyKey", "journey", "provider", "providerMessageId", "purpose", "reason", "recipient", "sentAt", "status", "step", "updatedAt", "workflowId" FROM "Message";
DROP TABLE "Message";
ALTER TABLE "new_Message" RENAME TO "Message";
CREATE UNIQUE INDEX "Message_idempotencyKey_key" ON "Message"("idempotencyKey");
CREATE INDEX "Message_customerId_createdAt_idx" ON "Message"("customerId", "createdAt");
CREATE INDEX "Message_visitorId_channel_status_idx" ON "Message"("visitorId", "channel", "status");
CREATE INDEX "Message_journey_status_idx" ON "Message"("journey", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "VisitorLink_customerId_idx" ON "VisitorLink"("customerId");

-- CreateIndex
CREATE INDEX "JourneyCancellation_customerId_idx" ON "JourneyCancellation"("customerId");

