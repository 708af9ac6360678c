/** The wait-for step in the simulator: what it waits on, when it finishes, what a timeout records. */
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/scenario/errors.js';
import { readScenario } from '../../src/scenario/schema.js';
import { run } from '../helpers.js';

const blackholed = {
  name: 'wait-for',
  server: { read_timeout: 10, smacks_hibernation_time: 5 },
  accounts: ['alice', 'bob'],
  clients: { alice: { account: 'alice', resource: 'phone' }, bob: { account: 'bob', resource: 'laptop' } },
  script: [
    { do: 'login', client: 'alice' },
    { do: 'login', client: 'bob' },
    { do: 'wait-for', client: 'bob', element: 'presence' },
    { do: 'blackhole', client: 'bob' },
    { do: 'send', client: 'alice', xml: "<message to='bob@localhost/laptop' type='chat' id='m1'><body>one</body></message>" },
    { do: 'wait-for', server: 'hibernation-start' },
    { do: 'heal', client: 'bob' },
    { do: 'resume', client: 'bob' },
    { do: 'wait-for', client: 'bob', element: 'message#m1', count: 1, timeout: '1s' },
    { do: 'wait-for', client: 'bob', element: 'r', count: 9, timeout: '2s' },
  ],
};

describe('wait-for', () => {
  const result = run(blackholed);

  it('lets Bob resume right after the server hibernated his session (at the read timeout)', () => {
    const start = result.events_.find((event) => event.type === 'smacks.hibernation-start')!;
    const resume = result.events_.find((event) => event.type === 'client.send' && event.name === 'resume')!;
    expect(start.t).toBe(10_000);
    expect(resume.t).toBe(10_000);
    expect(result.wire.bob).toContain("<resumed h='1' previd='SMID1' xmlns='urn:xmpp:sm:3'/>");
  });

  it('finishes at once when the element is already there, and records a timeout when the count is never reached', () => {
    expect(result.scriptTimeouts).toEqual([9]);
    const timeout = result.events_.find((event) => event.type === 'client.state' && event.state === 'step-timeout')!;
    expect(timeout.t).toBe(12_000);
  });
});

describe('wait-for in scenario files', () => {
  const refusal = (step: object): string => {
    try {
      readScenario('sims/x.json', { ...blackholed, script: [step] });
    } catch (error) {
      if (error instanceof ScenarioError) return error.message;
      throw error;
    }
    throw new Error('accepted');
  };

  it('names the field of a bad pattern, a missing target, an unknown signal and an unknown previdOf', () => {
    expect(refusal({ do: 'wait-for', client: 'bob', element: 'a b' })).toMatch(/^sims\/x\.json: script\[0\]\.element: not an element pattern/);
    expect(refusal({ do: 'wait-for', element: 'r' })).toMatch(/script\[0\]\.server: give either `client` and `element`, or `server`/);
    expect(refusal({ do: 'wait-for', server: 'lunch' })).toMatch(/script\[0\]\.server: not one of the allowed values.*hibernation-start/);
    expect(refusal({ do: 'wait-for', server: 'offline-store', count: 0 })).toMatch(/script\[0\]\.count: out of range/);
    expect(refusal({ do: 'resume', client: 'alice', previdOf: 'carol' })).toMatch(/script\[0\]\.previdOf: no such client/);
  });
});
