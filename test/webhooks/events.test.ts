import { describe, expect, it } from 'vitest';
import { afterAttempt } from '../../server/src/webhooks/deliver.js';
import { webhookEventId, webhookEventsOf } from '../../server/src/webhooks/webhook-events.js';

/** Which outbox events are which webhook events (SPEC §9's names), and the retry schedule. */
describe('outbox events as webhook events', () => {
  it.each([
    [
      'order.created',
      { orderId: 'ord_1', type: 'new_purchase', clusterId: 'cls_1', by: 'usr_1' },
      ['order.created'],
    ],
    ['order.paid', { orderId: 'ord_1', type: 'new_purchase', amount: 90_000 }, ['order.paid']],
    [
      'order.paid',
      { orderId: 'ord_2', type: 'renewal', clusterId: 'cls_1', amount: 90_000 },
      ['order.paid', 'cluster.renewed'],
    ],
    ['order.cancelled', { orderId: 'ord_1' }, ['order.cancelled']],
    ['order.timed_out', { orderId: 'ord_1' }, ['order.timed_out']],
    ['topup.credited', { topupId: 'top_1', amount: 5 }, ['topup.credited']],
    ['bill.issued', { month: '2026-11', amountDue: 100 }, ['bill.issued']],
    ['bill.overdue', { month: '2026-11' }, ['bill.overdue']],
    ['cluster.state_changed', { clusterId: 'cls_1', from: 'expiring', to: 'expired' }, ['cluster.expired']],
    ['cluster.state_changed', { clusterId: 'cls_1', from: 'creating', to: 'running' }, []],
    ['renewal.attempted', { clusterId: 'cls_1', outcome: 'failed', shortfall: 10 }, ['auto_renew.failed']],
    ['renewal.attempted', { clusterId: 'cls_1', outcome: 'paid' }, []],
    ['alert.cluster_expiring', { clusterId: 'cls_1', daysLeft: 7 }, ['cluster.expiring']],
    ['alert.balance_low', { cash: 9_999, threshold: 10_000, currency: 'CNY' }, ['balance.low']],
    ['alert.balance_recovered', { cash: 10_000 }, []],
    ['bill.paid', { month: '2026-11' }, []],
    ['org.auto_renew_changed', { enabled: true }, []],
  ])('%s %j → %j', (type, payload, expected) => {
    expect(webhookEventsOf(type, payload, 'CNY').map((e) => e.type)).toEqual(expected);
  });

  it('tells the currency beside amounts, and what a renewal renewed', () => {
    const [paid, renewed] = webhookEventsOf(
      'order.paid',
      { orderId: 'ord_2', type: 'renewal', clusterId: 'cls_1', amount: 90_000, config: { cuSize: 1 } },
      'CNY',
    );
    expect(paid!.data).toEqual({
      orderId: 'ord_2',
      type: 'renewal',
      clusterId: 'cls_1',
      amount: 90_000,
      config: { cuSize: 1 },
      currency: 'CNY',
    });
    expect(renewed!.data).toEqual({ clusterId: 'cls_1', orderId: 'ord_2', amount: 90_000, currency: 'CNY' });
  });

  it('one id per event and type, the same every time, another for another org', () => {
    const id = webhookEventId('org_A', 42, 'order.paid');
    expect(webhookEventId('org_A', 42, 'order.paid')).toBe(id);
    expect(webhookEventId('org_A', 42, 'cluster.renewed')).not.toBe(id);
    expect(webhookEventId('org_B', 42, 'order.paid')).not.toBe(id);
    expect(webhookEventId('org_A', 43, 'order.paid')).not.toBe(id);
  });
});

describe('the retry schedule', () => {
  const first = new Date('2026-11-02T08:00:00Z');
  const at = (minutes: number) => new Date(first.getTime() + minutes * 60_000);

  it('grows from 1 minute to a day, ends with an attempt at 3 days, then fails', () => {
    expect(afterAttempt(false, first, first).nextAttemptAt).toEqual(at(1));
    expect(afterAttempt(false, at(1), first).nextAttemptAt).toEqual(at(6));
    expect(afterAttempt(false, at(6), first).nextAttemptAt).toEqual(at(36));
    expect(afterAttempt(false, at(2676), first).nextAttemptAt).toEqual(at(4116));
    expect(afterAttempt(false, at(4116), first).nextAttemptAt).toEqual(at(72 * 60));
    expect(afterAttempt(false, at(72 * 60), first)).toEqual({ status: 'failed', nextAttemptAt: null });
    expect(afterAttempt(true, at(72 * 60), first)).toEqual({ status: 'succeeded', nextAttemptAt: null });
  });

  it('keeps to its instants when a run is late', () => {
    // A run 10 minutes late for the 1-minute retry: the next is still at 36 min from the first attempt.
    expect(afterAttempt(false, at(11), first).nextAttemptAt).toEqual(at(36));
  });
});
