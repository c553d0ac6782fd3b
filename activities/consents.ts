// What the consent re-confirmation journey reads: the customer's marketing consents as they
// stand, with what its notice says about each (when it was given, the signed opt-out link).
import { DateTime } from 'luxon';
import type { ActivityDeps } from '.';
import type { Channel } from '../src/config';
import { currentConsents } from '../src/consent';
import { unsubscribeToken, unsubscribeUrl } from '../src/messaging/unsubscribe';

/** A marketing consent that stands, as the re-confirmation notice lists it. */
export interface MarketingConsent {
  channel: Channel;
  purpose: 'marketing';
  /** Its latest grant (ISO-8601): the re-confirmation clock counts from here. */
  grantedAt: string;
  /** The grant's date in the customer's time zone (YYYY-MM-DD), as the notice shows it. */
  grantedOn: string;
  /** Consent to marketing between 21:00 and 08:00 too. */
  nightTime: boolean;
  /** The free opt-out for this channel: `<PUBLIC_URL>/unsubscribe/<signed token>`. */
  optOutUrl: string;
}

export interface MarketingConsents {
  /** SENDER_NAME: who the customer gave the consents to. */
  sender: string;
  /** The granted marketing consents, by channel; empty when none stands (or no such customer). */
  consents: MarketingConsent[];
}

export function createConsentActivities({ db, messaging }: ActivityDeps) {
  return {
    /** The customer's marketing consents that stand now. Reads only: safe to retry. */
    async marketingConsents({ customerId }: { customerId: string }): Promise<MarketingConsents> {
      const customer = await db.customer.findUnique({ where: { id: customerId }, select: { timezone: true } });
      if (!customer) return { sender: messaging.senderName, consents: [] };
      const zone = customer.timezone ?? messaging.defaultTimezone;
      const consents = (await currentConsents(db, customerId))
        .filter((c) => c.purpose === 'marketing' && c.granted && c.grantedAt !== null)
        .map((c) => ({
          channel: c.channel,
          purpose: 'marketing' as const,
          grantedAt: c.grantedAt!.toISOString(),
          grantedOn: DateTime.fromJSDate(c.grantedAt!, { zone }).toISODate()!,
          nightTime: c.nightTime,
          optOutUrl: unsubscribeUrl(messaging.publicUrl, unsubscribeToken(messaging.unsubscribeSecret, customerId, c.channel)),
        }));
      return { sender: messaging.senderName, consents };
    },
  };
}
