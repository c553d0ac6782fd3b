-- Hand-written (the datamodel cannot say "partial"): undelivered events by journey, for a
-- dispatcher that delivers only some journeys (DispatcherOptions.routes; the demo shop's). Its
-- queries otherwise read every undelivered event of the other journeys, each time.
CREATE INDEX "EventDelivery_pending_journey_idx" ON "EventDelivery"("journey", "notBefore") WHERE "deliveredAt" IS NULL;
