-- Hand-added: staging rows are transient. A run in flight when this applies carries a customer
-- id as its batch cursor, finds nothing left to apply and finishes; the next run scores again.
DELETE FROM "RfmStaging";

-- DropForeignKey
ALTER TABLE "CustomerRfm" DROP CONSTRAINT "CustomerRfm_customerId_fkey";

-- AlterTable
ALTER TABLE "RfmStaging" DROP CONSTRAINT "RfmStaging_pkey",
ADD COLUMN     "id" BIGSERIAL NOT NULL,
ADD CONSTRAINT "RfmStaging_pkey" PRIMARY KEY ("id");

-- Hand-added: no WAL for a run's million transient rows. A crash of PostgreSQL empties the
-- table; the next batch finds its run's rows gone and scores again (src/rfm/score.ts).
ALTER TABLE "RfmStaging" SET UNLOGGED;
