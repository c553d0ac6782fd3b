// Every side effect a journey performs. Workflows import this module by type only.
import type { ChannelProviders } from '../src/channels/provider';
import type { MessagingSettings } from './messages';
import type { Config } from '../src/config';
import type pg from 'pg';
import type { Db } from '../src/db';
import { createCampaignActivities } from './campaigns';
import { createConsentActivities } from './consents';
import { createConversionActivities } from './conversions';
import { createCustomerActivities } from './customers';
import { createMessageActivities } from './messages';
import { createOrderActivities } from './orders';
import { createRecommendationActivities } from './recommendations';
import { createRfmActivities } from './rfm';
import { createSettingsActivities } from './settings';

export interface ActivityDeps {
  db: Db;
  /** The same database through pg: the guarded send's hot path (activities/messages.ts). */
  pool: pg.Pool;
  providers: ChannelProviders;
  messaging: MessagingSettings;
  /** The time rules are judged at (tests set it; quiet hours depend on it). */
  clock?: () => Date;
  /** Journey settings (`config.journeys`): long-lived journeys read them at continue-as-new. */
  journeys?: object;
  /** The whole configuration: RFM scoring stores events (their routing needs it). */
  config?: Config;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createOrderActivities(deps),
    ...createMessageActivities(deps),
    ...createConversionActivities(deps),
    ...createRecommendationActivities(deps),
    ...createCustomerActivities(deps),
    ...createConsentActivities(deps),
    ...createSettingsActivities(deps),
    ...createRfmActivities(deps),
    ...createCampaignActivities(deps),
  };
}
