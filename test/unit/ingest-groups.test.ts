import { describe, expect, it } from 'vitest';
import { eventSchema } from '../../src/api/events/schema';
import { sameSubjectGroups } from '../../src/api/events/service';

const event = (id: string, fields: { customerId?: string; anonymousId?: string; type?: string }) =>
  eventSchema.parse({ id, type: fields.type ?? 'page_viewed', customerId: fields.customerId, anonymousId: fields.anonymousId });

const idsOf = (groups: ReturnType<typeof sameSubjectGroups>) => groups.map((group) => group.map((e) => e.id));

describe('batch grouping', () => {
  it('keeps each customer’s events together and in order, apart from other customers', () => {
    const groups = sameSubjectGroups([
      event('1', { customerId: 'a' }),
      event('2', { customerId: 'b' }),
      event('3', { customerId: 'a' }),
      event('4', { anonymousId: 'v' }),
      event('5', { customerId: 'b' }),
    ]);
    expect(idsOf(groups)).toEqual([['1', '3'], ['2', '5'], ['4']]);
  });

  it('joins a visitor’s events with the customer they sign up as, in batch order', () => {
    const groups = sameSubjectGroups([
      event('view-1', { anonymousId: 'v-1' }),
      event('cart', { customerId: 'c-1' }),
      event('view-2', { anonymousId: 'v-1' }),
      event('signup', { type: 'signed_up', customerId: 'c-1', anonymousId: 'v-1' }),
      event('other', { customerId: 'c-2' }),
      event('view-3', { anonymousId: 'v-1' }),
    ]);
    expect(idsOf(groups)).toEqual([['view-1', 'cart', 'view-2', 'signup', 'view-3'], ['other']]);
  });
});
