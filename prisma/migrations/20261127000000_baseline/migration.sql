-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Channel" AS ENUM ('email', 'sms', 'push', 'kakao', 'onsite');

-- CreateEnum
CREATE TYPE "MessagePurpose" AS ENUM ('marketing', 'informational');

-- CreateEnum
CREATE TYPE "MessageStatus" AS ENUM ('pending', 'sent', 'held', 'suppressed', 'failed', 'cancelled', 'holdout');

-- CreateEnum
CREATE TYPE "DeliveryMode" AS ENUM ('start', 'signal');

-- CreateEnum
CREATE TYPE "ConsentSource" AS ENUM ('api', 'unsubscribe', 'import');

-- CreateTable
CREATE TABLE "Customer" (
    "id" TEXT NOT NULL,
    "email" TEXT,
    "phone" TEXT,
    "name" TEXT,
    "locale" TEXT,
    "timezone" TEXT,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "lastSeenAt" TIMESTAMPTZ(3),
    "dormantAt" TIMESTAMPTZ(3),
    "dormancyWatchedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Customer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsentChange" (
    "id" BIGSERIAL NOT NULL,
    "customerId" TEXT NOT NULL,
    "channel" "Channel" NOT NULL,
    "purpose" "MessagePurpose" NOT NULL,
    "granted" BOOLEAN NOT NULL,
    "nightTime" BOOLEAN NOT NULL DEFAULT false,
    "source" "ConsentSource" NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsentChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Event" (
    "id" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "customerId" TEXT,
    "anonymousId" TEXT,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "properties" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EventDelivery" (
    "id" BIGSERIAL NOT NULL,
    "eventId" TEXT NOT NULL,
    "journey" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "mode" "DeliveryMode" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMPTZ(3),
    "outcome" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "notBefore" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EventDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Order" (
    "id" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "total" DECIMAL(19,4) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "coupon" TEXT,
    "discount" DECIMAL(19,4),
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrderItem" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "productId" TEXT NOT NULL,
    "name" TEXT,
    "category" TEXT,
    "quantity" INTEGER NOT NULL DEFAULT 1,
    "price" DECIMAL(19,4) NOT NULL DEFAULT 0,
    "currency" VARCHAR(3) NOT NULL,

    CONSTRAINT "OrderItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "customerId" TEXT,
    "visitorId" TEXT,
    "journey" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "template" TEXT,
    "channel" "Channel",
    "variant" TEXT,
    "recipient" TEXT,
    "purpose" "MessagePurpose" NOT NULL,
    "content" TEXT NOT NULL,
    "status" "MessageStatus" NOT NULL,
    "reason" TEXT,
    "provider" TEXT,
    "providerMessageId" TEXT,
    "cost" DECIMAL(19,4) NOT NULL DEFAULT 0,
    "costCurrency" VARCHAR(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),
    "heldUntil" TIMESTAMPTZ(3),
    "shownAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OutboxEntry" (
    "id" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "channel" "Channel" NOT NULL,
    "recipient" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OutboxEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Conversion" (
    "id" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "journey" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "orderId" TEXT,
    "messageId" TEXT,
    "revenue" DECIMAL(19,4),
    "currency" VARCHAR(3),
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Conversion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AcquisitionSpend" (
    "id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "from" DATE NOT NULL,
    "to" DATE NOT NULL,
    "amount" DECIMAL(19,4) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AcquisitionSpend_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VisitorLink" (
    "anonymousId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "linkedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VisitorLink_pkey" PRIMARY KEY ("anonymousId")
);

-- CreateTable
CREATE TABLE "JourneyCancellation" (
    "id" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "journey" TEXT,
    "reason" TEXT,
    "cancelledAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "JourneyCancellation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Customer_attributes_idx" ON "Customer" USING GIN ("attributes" jsonb_path_ops);

-- CreateIndex
CREATE INDEX "Customer_lastSeenAt_idx" ON "Customer"("lastSeenAt");

-- CreateIndex
CREATE INDEX "ConsentChange_customerId_channel_purpose_at_idx" ON "ConsentChange"("customerId", "channel", "purpose", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Event_idempotencyKey_key" ON "Event"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Event_customerId_occurredAt_idx" ON "Event"("customerId", "occurredAt");

-- CreateIndex
CREATE INDEX "Event_anonymousId_occurredAt_idx" ON "Event"("anonymousId", "occurredAt");

-- CreateIndex
CREATE INDEX "Event_type_occurredAt_idx" ON "Event"("type", "occurredAt");

-- CreateIndex
CREATE UNIQUE INDEX "EventDelivery_eventId_journey_key" ON "EventDelivery"("eventId", "journey");

-- CreateIndex
CREATE INDEX "Order_customerId_occurredAt_idx" ON "Order"("customerId", "occurredAt");

-- CreateIndex
CREATE INDEX "Order_occurredAt_idx" ON "Order"("occurredAt");

-- CreateIndex
CREATE INDEX "OrderItem_orderId_idx" ON "OrderItem"("orderId");

-- CreateIndex
CREATE INDEX "OrderItem_productId_idx" ON "OrderItem"("productId");

-- CreateIndex
CREATE INDEX "OrderItem_category_idx" ON "OrderItem"("category");

-- CreateIndex
CREATE UNIQUE INDEX "Message_idempotencyKey_key" ON "Message"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Message_customerId_sentAt_idx" ON "Message"("customerId", "sentAt");

-- CreateIndex
CREATE INDEX "Message_customerId_createdAt_idx" ON "Message"("customerId", "createdAt");

-- CreateIndex
CREATE INDEX "Message_customerId_purpose_status_sentAt_idx" ON "Message"("customerId", "purpose", "status", "sentAt");

-- CreateIndex
CREATE INDEX "Message_workflowId_idx" ON "Message"("workflowId");

-- CreateIndex
CREATE INDEX "Message_visitorId_channel_status_idx" ON "Message"("visitorId", "channel", "status");

-- CreateIndex
CREATE INDEX "Message_journey_status_idx" ON "Message"("journey", "status");

-- CreateIndex
CREATE UNIQUE INDEX "OutboxEntry_idempotencyKey_key" ON "OutboxEntry"("idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "Conversion_idempotencyKey_key" ON "Conversion"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Conversion_customerId_idx" ON "Conversion"("customerId");

-- CreateIndex
CREATE INDEX "Conversion_orderId_idx" ON "Conversion"("orderId");

-- CreateIndex
CREATE INDEX "Conversion_messageId_idx" ON "Conversion"("messageId");

-- CreateIndex
CREATE INDEX "Conversion_journey_occurredAt_idx" ON "Conversion"("journey", "occurredAt");

-- CreateIndex
CREATE UNIQUE INDEX "Conversion_journey_orderId_key" ON "Conversion"("journey", "orderId");

-- CreateIndex
CREATE INDEX "AcquisitionSpend_from_to_idx" ON "AcquisitionSpend"("from", "to");

-- CreateIndex
CREATE INDEX "VisitorLink_customerId_idx" ON "VisitorLink"("customerId");

-- CreateIndex
CREATE INDEX "JourneyCancellation_customerId_idx" ON "JourneyCancellation"("customerId");

-- AddForeignKey
ALTER TABLE "ConsentChange" ADD CONSTRAINT "ConsentChange_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EventDelivery" ADD CONSTRAINT "EventDelivery_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrderItem" ADD CONSTRAINT "OrderItem_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Conversion" ADD CONSTRAINT "Conversion_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Conversion" ADD CONSTRAINT "Conversion_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Conversion" ADD CONSTRAINT "Conversion_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: what the Prisma datamodel cannot express. Keep these when generating later
-- migrations from the datamodel (README, "Changing the schema").

-- Undelivered events (the outbox): the dispatcher's queries touch only what is pending,
-- however many events are stored.
CREATE INDEX "EventDelivery_pending_idx" ON "EventDelivery"("notBefore", "id") WHERE "deliveredAt" IS NULL;
CREATE INDEX "EventDelivery_pending_workflow_idx" ON "EventDelivery"("workflowId", "id") WHERE "deliveredAt" IS NULL;

-- Money is never negative, and an amount always has its currency (ISO 4217: three capitals).
ALTER TABLE "Order" ADD CONSTRAINT "Order_money_check" CHECK ("total" >= 0 AND "currency" ~ '^[A-Z]{3}$' AND ("discount" IS NULL OR "discount" >= 0));
ALTER TABLE "OrderItem" ADD CONSTRAINT "OrderItem_money_check" CHECK ("price" >= 0 AND "currency" ~ '^[A-Z]{3}$');
ALTER TABLE "Message" ADD CONSTRAINT "Message_money_check" CHECK ("cost" >= 0 AND "costCurrency" ~ '^[A-Z]{3}$');
ALTER TABLE "Conversion" ADD CONSTRAINT "Conversion_money_check" CHECK (("revenue" IS NULL) = ("currency" IS NULL) AND ("currency" IS NULL OR "currency" ~ '^[A-Z]{3}$'));
ALTER TABLE "AcquisitionSpend" ADD CONSTRAINT "AcquisitionSpend_money_check" CHECK ("amount" >= 0 AND "currency" ~ '^[A-Z]{3}$' AND "from" <= "to");

-- The current consent per (customer, channel, purpose): the latest change in the history.
-- grantedAt is the latest grant; revokedAt is set while the consent stands revoked.
CREATE VIEW "CurrentConsent" AS
SELECT DISTINCT ON (c."customerId", c."channel", c."purpose")
  c."customerId",
  c."channel",
  c."purpose",
  c."granted",
  c."nightTime",
  c."source",
  c."at" AS "changedAt",
  (SELECT max(g."at") FROM "ConsentChange" g
    WHERE g."customerId" = c."customerId" AND g."channel" = c."channel" AND g."purpose" = c."purpose" AND g."granted") AS "grantedAt",
  CASE WHEN c."granted" THEN NULL ELSE c."at" END AS "revokedAt"
FROM "ConsentChange" c
ORDER BY c."customerId", c."channel", c."purpose", c."at" DESC, c."id" DESC;
