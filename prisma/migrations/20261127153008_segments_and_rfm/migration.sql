-- CreateTable
CREATE TABLE "Segment" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "rules" JSONB NOT NULL,
    "references" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Segment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CustomerRfm" (
    "customerId" TEXT NOT NULL,
    "r" SMALLINT NOT NULL,
    "f" SMALLINT NOT NULL,
    "m" SMALLINT NOT NULL,
    "segment" TEXT NOT NULL,
    "previousSegment" TEXT,
    "recencyDays" INTEGER NOT NULL,
    "orders" INTEGER NOT NULL,
    "revenue" DECIMAL(19,4) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "scoredAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CustomerRfm_pkey" PRIMARY KEY ("customerId")
);

-- CreateIndex
CREATE INDEX "Segment_references_idx" ON "Segment" USING GIN ("references");

-- CreateIndex
CREATE INDEX "CustomerRfm_segment_idx" ON "CustomerRfm"("segment");

-- AddForeignKey
ALTER TABLE "CustomerRfm" ADD CONSTRAINT "CustomerRfm_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

