-- DropIndex
DROP INDEX "Conversion_orderId_idx";

-- DropIndex
DROP INDEX "Conversion_journey_orderId_key";

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "attempts" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "clickedAt" TIMESTAMPTZ(3),
ADD COLUMN     "convertsUntil" TIMESTAMPTZ(3);

-- One attribution per order (last touch, across journeys). A goal conversion (a review of
-- an order) no longer names the order; orders that earlier versions credited to several
-- journeys keep the conversion of the message sent last.
UPDATE "Conversion" SET "orderId" = NULL WHERE revenue IS NULL;

DELETE FROM "Conversion" WHERE id IN (
  SELECT id FROM (
    SELECT c.id, row_number() OVER (PARTITION BY c."orderId" ORDER BY m."sentAt" DESC NULLS LAST, c."createdAt", c.id) AS n
    FROM "Conversion" c LEFT JOIN "Message" m ON m.id = c."messageId"
    WHERE c."orderId" IS NOT NULL
  ) ranked WHERE n > 1
);

-- CreateIndex
CREATE UNIQUE INDEX "Conversion_orderId_key" ON "Conversion"("orderId");

