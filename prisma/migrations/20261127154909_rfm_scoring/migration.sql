-- CreateTable
CREATE TABLE "RfmStaging" (
    "runId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "r" SMALLINT NOT NULL,
    "f" SMALLINT NOT NULL,
    "m" SMALLINT NOT NULL,
    "segment" TEXT NOT NULL,
    "recencyDays" INTEGER NOT NULL,
    "orders" INTEGER NOT NULL,
    "revenue" DECIMAL(19,4) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RfmStaging_pkey" PRIMARY KEY ("runId","customerId")
);

