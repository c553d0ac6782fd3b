// Signals, queries and search attributes shared by every journey and by the client side
// (API, event router, tests). Defined once, here.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** An event as the API stored it, forwarded to a journey. */
export interface JourneyEvent {
  id: string;
  type: string;
  customerId?: string;
  anonymousId?: string;
  occurredAt: string;
  properties: Record<string, unknown>;
  /**
   * The dispatcher's delivery number for this event and journey: increases with every event a
   * journey run is sent, so a journey drops a re-delivered event by comparing one number,
   * which it carries across continue-as-new. Absent on events signalled by hand.
   */
  seq?: number;
  /** The API request that stored the event (X-Request-Id): carried into the log lines of the activities it leads to. */
  requestId?: string;
}

/** What every journey answers to the `state` query. */
export interface JourneyState {
  journey: string;
  customerId?: string;
  stage: string;
  /** When the journey next wakes up on its own (ISO-8601), or null while it waits for nothing. */
  nextWakeAt: string | null;
  messagesSent: number;
  /** Null while running; how it ended otherwise (e.g. `converted`, `suppressed: …`). */
  outcome: string | null;
}

/** The dispatcher's signal: every pending event of one journey run, in order. */
export const journeyEventsSignal = defineSignal<[JourneyEvent[]]>('journeyEvents');

/** One event: what the API sent before the dispatcher existed (and tests send by hand). */
export const journeyEventSignal = defineSignal<[JourneyEvent]>('journeyEvent');

export const stateQuery = defineQuery<JourneyState>('state');

/** RFM scoring's progress (workflows/rfm-scoring.ts), answered to its `state` query. */
export interface RfmScoringState {
  stage: 'scoring' | 'applying' | 'finishing' | 'done';
  /** Customers in the base (an order within RFM_LOOKBACK); null until scored. */
  customers: number | null;
  /** Customers whose new scores the batches have gone through (compared with the current ones); all are in place once `done`. */
  applied: number;
  /** Customers whose segment changed (each got an `rfm_segment_changed` event). */
  changed: number;
  /** Customers who left the base (unscored). */
  removed: number;
  startedAt: string;
  finishedAt: string | null;
}

export const rfmStateQuery = defineQuery<RfmScoringState>('state');


// Registered on the embedded dev server at start-up; operators filter on them in the Web UI.
export const customerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const journeyKey = defineSearchAttributeKey('Journey', SearchAttributeType.KEYWORD);
export const journeyStageKey = defineSearchAttributeKey('JourneyStage', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [customerIdKey, journeyKey, journeyStageKey] as const;

/** A campaign's controls (POST /v1/campaigns/:id/{pause,resume,cancel}). */
export type CampaignControl = 'pause' | 'resume' | 'cancel';
export const campaignControlSignal = defineSignal<[CampaignControl]>('campaignControl');

/** What a campaign workflow answers to its `state` query. */
export interface CampaignState {
  status: 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';
  audience: number | null;
  holdout: number | null;
  /** Recipients whose page has been sent (held-out ones included). */
  processed: number;
  /** Sends by outcome so far (a held message counts as held, then again as what it became). */
  counts: Record<string, number>;
  /** While held messages wait for the end of quiet hours: when they go. */
  heldUntil: string | null;
}
export const campaignStateQuery = defineQuery<CampaignState>('state');
