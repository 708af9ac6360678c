/**
 * Shrinking: ddmin finds a 1-minimal failing subset; a large failing population and a cluttered script
 * shrink to a few clients, faults and steps that still break the same invariant.
 */
import { describe, expect, it } from 'vitest';
import { ddmin } from '../../src/check/ddmin.js';
import { invariantOracle, runSeed } from '../../src/check/seed-run.js';
import { scenarioSize, shrinkScenario } from '../../src/check/shrink.js';

describe('ddmin', () => {
  it('finds the two items that together make the test fail', () => {
    const items = Array.from({ length: 40 }, (_, index) => index);
    const budget = { tests: 500 };
    const found = ddmin(items, (subset) => subset.includes(7) && subset.includes(31), budget);
    expect(found).toEqual([7, 31]);
    expect(budget.tests).toBeGreaterThan(400);
  });

  it('stops at the budget with the smallest failing subset found so far', () => {
    const budget = { tests: 3 };
    const found = ddmin([1, 2, 3, 4, 5, 6, 7, 8], (subset) => subset.includes(8), budget);
    expect(found).toContain(8);
    expect(budget.tests).toBe(0);
  });
});

/** Twenty phones for two hours on the lossy mobile network, and no message may end in offline storage. */
const twentyPhones = {
  name: 'offline-two-hours',
  duration: '2h',
  expect: { offline: 0 },
  population: { groups: [{ name: 'phone', count: 20, messagesPerHour: 6 }] },
};

function firstFailingSeed(document: Record<string, unknown>) {
  for (let seed = 1; ; seed++) {
    const outcome = runSeed({ document, source: '(test)', seed, overrides: {}, swarm: false });
    if (!outcome.isPassing) return outcome;
  }
}

describe('shrinking', () => {
  it('20 phones × 2 h failing "offline": 0 shrink to a couple of phones, a message or two and few faults', () => {
    const failing = firstFailingSeed(twentyPhones);
    expect(failing.violations[0]!.invariant).toBe('expect:offline');
    const oracle = invariantOracle({ source: '(test)', seed: failing.seed, overrides: {} }, 'expect:offline');
    const result = shrinkScenario(twentyPhones, oracle);
    expect(result.isScheduled).toBe(true);
    const before = scenarioSize(twentyPhones, failing.schedule);
    const shrunk = runSeed({ document: result.document, source: '(test)', seed: failing.seed, overrides: {}, swarm: false });
    const after = scenarioSize(result.document, shrunk.schedule);
    expect(before.clients).toBe(20);
    expect(after.clients).toBeLessThanOrEqual(3);
    expect(after.messages).toBeLessThanOrEqual(2);
    expect(after.faults).toBeLessThan(before.faults / 10);
    expect(shrunk.violations.map((violation) => violation.invariant)).toContain('expect:offline');
  });

  it('a script with idle clients and extra steps shrinks to the steps that lose m1', () => {
    const script = {
      name: 'overflow-loses-m1',
      server: { smacks_max_queue_size: 1, smacks_hibernation_time: 60 },
      accounts: ['alice', 'bob', 'carol', 'dave'],
      clients: { alice: { account: 'alice' }, bob: { account: 'bob' }, carol: { account: 'carol' }, dave: { account: 'dave' } },
      expect: { lost: 0 },
      script: [
        { do: 'login', client: 'alice' },
        { do: 'login', client: 'carol' },
        { do: 'login', client: 'bob' },
        { do: 'login', client: 'dave' },
        { at: '500ms', do: 'send', client: 'carol', xml: "<message to='dave@localhost' type='chat' id='c1'><body>hi</body></message>" },
        { do: 'disconnect', client: 'bob' },
        { at: '1s', do: 'send', client: 'alice', xml: "<message to='bob@localhost' type='chat' id='m1'><body>one</body></message>" },
        { do: 'send', client: 'alice', xml: "<message to='bob@localhost' type='chat' id='m2'><body>two</body></message>" },
        { do: 'request-ack', client: 'dave' },
        { at: '10s', do: 'wait', for: '30s' },
        { do: 'resume', client: 'bob' },
        { do: 'bind', client: 'bob' },
        { do: 'close', client: 'carol' },
      ],
    };
    const failing = runSeed({ document: script, source: '(test)', seed: 1, overrides: {}, swarm: false });
    expect(failing.violations.map((violation) => violation.invariant)).toEqual(['expect:lost']);
    const result = shrinkScenario(script, invariantOracle({ source: '(test)', seed: 1, overrides: {} }, 'expect:lost'));
    const steps = result.document.script as Array<Record<string, unknown>>;
    expect(steps.length).toBeLessThanOrEqual(5);
    expect(Object.keys(result.document.clients as object).sort()).toEqual(['alice', 'bob']);
    expect(steps.some((step) => step.do === 'wait')).toBe(false);
    expect(runSeed({ document: result.document, source: '(test)', seed: 1, overrides: {}, swarm: false }).violations.map((violation) => violation.invariant)).toEqual(['expect:lost']);
  });
});
