-- AlterTable
ALTER TABLE "Message" ADD COLUMN "heldUntil" DATETIME;
ALTER TABLE "Message" ADD COLUMN "template" TEXT;
ALTER TABLE "Message" ADD COLUMN "variant" TEXT;

-- CreateIndex
CREATE INDEX "Message_customerId_purpose_status_sentAt_idx" ON "Message"("customerId", "purpose", "status", "sentAt");

-- CreateIndex
CREATE UNIQUE INDEX "Conversion_journey_orderId_key" ON "Conversion"("journey", "orderId");

