-- CreateTable
CREATE TABLE "Backfill" (
    "name" TEXT NOT NULL,
    "affected" INTEGER NOT NULL,
    "completedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Backfill_pkey" PRIMARY KEY ("name")
);

