-- Hand-added note: RFM runs now write their scores into "CustomerRfm_next", which takes
-- CustomerRfm's place when the run finishes (src/rfm/score.ts). A run in flight that staged
-- its rows here scores again, with its own time, at its next batch.

-- DropTable
DROP TABLE "RfmStaging";
