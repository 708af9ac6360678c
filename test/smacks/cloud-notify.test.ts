/**
 * mod_cloud_notify with core mod_smacks 0.12 (spec §7.6): a push-enabled session hibernates until its
 * first important push, then for smacks_hibernation_time. Method: sims/push/push-extends-hibernation.json
 * with the module on and off; the times of hibernation start, push and expiry.
 */
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../src/trace/events.js';
import { run } from '../helpers.js';

const timeOf = (events: readonly TraceEvent[], type: TraceEvent['type']): number | undefined => events.find((event) => event.type === type)?.t;

describe('core + mod_cloud_notify: push-extended hibernation', () => {
  it('answers the push enable iq with a result', () => {
    const result = run('push/push-extends-hibernation.json');
    // The request had no `to`, so the reply (util.stanza reply) has no `from`.
    expect(result.wire.bob).toContain("<iq id='push1' to='bob@localhost/phone' type='result'/>");
  });

  it('keeps the session until 601 s after the first important push, not 601 s after hibernation began', () => {
    const result = run('push/push-extends-hibernation.json');
    expect(timeOf(result.events_, 'smacks.hibernation-start')).toBe(20_000);
    // m1 is queued at 40 min; pushes are batched for 1 s.
    const push = result.events_.find((event) => event.type === 'push.sent');
    expect(push).toEqual({ t: 2_401_000, type: 'push.sent', user: 'bob', service: 'push.example.net<bob-phone', important: true, id: 'm1' });
    expect(timeOf(result.events_, 'smacks.expire')).toBe(2_401_000 + 601_000);
    expect(result.fates.map(({ id, fate }) => [id, fate])).toEqual([['m1', 'offline']]);
  });

  it('without mod_cloud_notify the session expires 601 s after it began hibernating and m1 goes straight to offline storage', () => {
    const result = run('push/push-extends-hibernation.json', 1, { cloud_notify: false });
    expect(timeOf(result.events_, 'smacks.expire')).toBe(20_000 + 601_000);
    expect(result.events_.some((event) => event.type === 'push.sent')).toBe(false);
    expect(result.fates.map(({ id, fate }) => [id, fate])).toEqual([['m1', 'offline']]);
  });

  it('pushes nothing for a session that did not enable push', () => {
    const result = run({
      name: 'no-push',
      server: { read_timeout: 10, cloud_notify: true },
      accounts: ['alice', 'bob'],
      clients: { alice: { account: 'alice' }, bob: { account: 'bob' } },
      script: [
        { do: 'login', client: 'alice' },
        { do: 'login', client: 'bob' },
        { at: '1s', do: 'blackhole', client: 'bob' },
        { at: '30s', do: 'send', client: 'alice', xml: "<message to='bob@localhost' type='chat' id='m1'><body>hi</body></message>" },
      ],
    });
    expect(result.events_.some((event) => event.type === 'push.sent')).toBe(false);
    expect(timeOf(result.events_, 'smacks.expire')).toBe(20_000 + 601_000);
  });

  it('community: the timer re-arms in 600 s steps until the first important push, then expires 600 s after it (spec §7.5)', () => {
    const result = run('push/push-extends-hibernation.json', 1, { variant: 'community' });
    // Hibernating at 20 s; the timer fires at 620, 1220, 1820 s and re-arms (no push yet); at 2420 s
    // the push of 2401 s is 19 s old, so it re-arms for the remaining 581 s.
    expect(timeOf(result.events_, 'push.sent')).toBe(2_401_000);
    expect(timeOf(result.events_, 'smacks.expire')).toBe(2_401_000 + 600_000);
  });
});
