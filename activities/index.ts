// Every side effect a journey performs. Workflows import this module by type only.
import type { ChannelProviders } from '../src/channels/provider';
import type { MessagingSettings } from './messages';
import type { Db } from '../src/db';
import { createConversionActivities } from './conversions';
import { createCustomerActivities } from './customers';
import { createMessageActivities } from './messages';
import { createOrderActivities } from './orders';
import { createRecommendationActivities } from './recommendations';

export interface ActivityDeps {
  db: Db;
  providers: ChannelProviders;
  messaging: MessagingSettings;
  /** The time rules are judged at (tests set it; quiet hours depend on it). */
  clock?: () => Date;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createOrderActivities(deps),
    ...createMessageActivities(deps),
    ...createConversionActivities(deps),
    ...createRecommendationActivities(deps),
    ...createCustomerActivities(deps),
  };
}
