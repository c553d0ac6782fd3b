// Every journey the worker runs. Adding a journey: a file here, an export, and a route
// entry in src/routing/routes.ts.
export { browseAbandonment } from './browse-abandonment';
export { cartReminder } from './cart-reminder';
export { consentReconfirmation } from './consent-reconfirmation';
export { dormancy } from './dormancy';
export { reviewRequest } from './review-request';
export { signupNudge } from './signup-nudge';
export { upsell } from './upsell';
// Not a journey: RFM scoring, on a schedule and on demand.
export { rfmScoring } from './rfm-scoring';
// Not a journey: a broadcast campaign, `campaign:<id>`.
export { campaign } from './campaign';
