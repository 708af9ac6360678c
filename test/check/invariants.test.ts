/**
 * The invariants catch what they are for: a scenario's own `expect` clause broken by a script, and
 * hand-made traces that over-acknowledge, dispose of a stanza twice, replay the wrong tail or deliver
 * a message twice without a cause. And they stay quiet on runs that are correct.
 */
import { describe, expect, it } from 'vitest';
import { InvariantMonitor, type InvariantContext } from '../../src/check/invariants.js';
import { runSeed } from '../../src/check/seed-run.js';
import type { TraceEvent } from '../../src/trace/events.js';
import type { RunResult } from '../../src/world/world.js';

/** Alice writes two messages to Bob while he hibernates; his queue holds one, so m1 is dropped (C-3). */
const overflowLosesM1 = {
  name: 'overflow-loses-m1',
  server: { smacks_max_queue_size: 1, smacks_hibernation_time: 60 },
  accounts: ['alice', 'bob'],
  clients: { alice: { account: 'alice' }, bob: { account: 'bob' } },
  expect: { lost: 0 },
  script: [
    { do: 'login', client: 'alice' },
    { do: 'login', client: 'bob' },
    { do: 'disconnect', client: 'bob' },
    { at: '1s', do: 'send', client: 'alice', xml: "<message to='bob@localhost' type='chat' id='m1'><body>one</body></message>" },
    { do: 'send', client: 'alice', xml: "<message to='bob@localhost' type='chat' id='m2'><body>two</body></message>" },
    { at: '2s', do: 'resume', client: 'bob' },
    { do: 'bind', client: 'bob' },
  ],
};

function check(document: object, seed = 1) {
  return runSeed({ document: document as Record<string, unknown>, source: '(test)', seed, overrides: {}, swarm: false });
}

describe('expect clauses', () => {
  it('"lost": 0 fails when the queue overflows while Bob hibernates and m1 is dropped', () => {
    const outcome = check(overflowLosesM1);
    expect(outcome.isPassing).toBe(false);
    expect(outcome.violations).toEqual([{ invariant: 'expect:lost', message: 'lost = 1, expected 0' }]);
    // The overflow is a disposition by design (C-3): every queued stanza is accounted for.
    expect(outcome.stats?.overflow).toBe(2);
    expect(outcome.stats?.disposed.offline).toBe(1);
  });

  it('ranges pass when the numbers are inside: {"lost": {"max": 1}, "offline": {"min": 1}}', () => {
    expect(check({ ...overflowLosesM1, expect: { lost: { max: 1 }, offline: { min: 1 }, 'hibernation.started': 1 } }).isPassing).toBe(true);
  });

  it('a range that the run misses names the key, the value and the bounds', () => {
    const outcome = check({ ...overflowLosesM1, expect: { 'hibernation.expired': { min: 1, max: 3 } } });
    expect(outcome.violations).toEqual([{ invariant: 'expect:hibernation.expired', message: 'hibernation.expired = 0, expected 1 … 3' }]);
  });
});

describe('correct runs pass', () => {
  it('a resume after a black hole replays the unacked tail and breaks nothing', () => {
    const outcome = runSeed({ document: JSON.parse(JSON.stringify(blackholeResume)), source: '(test)', seed: 1, overrides: {}, swarm: false });
    expect(outcome.violations).toEqual([]);
    expect(outcome.stats?.replayed).toBeGreaterThan(0);
  });

  it('a small lossy population passes for five seeds, and every queued stanza has its disposition', () => {
    const document = { name: 'phones', duration: '2h', population: { groups: [{ name: 'phone', count: 6, messagesPerHour: 20 }] } };
    for (let seed = 1; seed <= 5; seed++) {
      const outcome = check(document, seed);
      expect(outcome.violations, `seed ${seed}`).toEqual([]);
      const stats = outcome.stats!;
      const left = stats.acked + stats.overflow + stats.pending + Object.values(stats.disposed).reduce((sum, count) => sum + count, 0);
      expect(left, `seed ${seed}`).toBe(stats.queued);
    }
  });
});

const blackholeResume = {
  name: 'blackhole-resume',
  server: { smacks_hibernation_time: 60, read_timeout: 10 },
  accounts: ['alice', 'bob'],
  clients: { alice: { account: 'alice' }, bob: { account: 'bob' } },
  script: [
    { do: 'login', client: 'alice' },
    { do: 'login', client: 'bob' },
    { do: 'blackhole', client: 'bob' },
    { do: 'send', client: 'alice', xml: "<message to='bob@localhost/bob' type='chat' id='m1'><body>one</body></message>" },
    { at: '20s', do: 'heal', client: 'bob' },
    { do: 'resume', client: 'bob' },
  ],
};

// ---- hand-made traces ----

const context: InvariantContext = { variant: 'core-0.12', maxQueueSize: 500, forgingClients: new Set(), expect: [] };

const finished = {
  settled: true,
  virtualTimeMs: 0,
  queue: { peak: 0, peakBytes: 0 },
  messages: { sent: 0, delivered: 0, duplicated: 0, offline: 0, bounced: 0, lost: 0, falseBounces: 0 },
} as unknown as RunResult;

function violations(events: Array<Record<string, unknown>>, ctx: InvariantContext = context) {
  const monitor = new InvariantMonitor(ctx);
  for (const [index, event] of events.entries()) monitor.listener({ t: index, ...event } as TraceEvent);
  return monitor.finish(finished).violations.map((violation) => `${violation.invariant}: ${violation.message}`);
}

/** Bob's connection 1: bound, SM enabled on both sides. */
const bobOnline = [
  { type: 'net.connect', conn: 1, client: 'bob' },
  { type: 'session.bind', jid: 'bob@localhost/phone', conn: 1 },
  { type: 'smacks.enable', jid: 'bob@localhost/phone', resumable: true },
  { type: 'server.send', conn: 1, name: 'enabled', id: 'SMID' },
  { type: 'client.recv', client: 'bob', conn: 1, name: 'enabled', id: 'SMID' },
];

describe('hand-made traces', () => {
  it("a client's <a h='3'/> after receiving one stanza is an over-ack", () => {
    const trace = [
      ...bobOnline,
      { type: 'smacks.queue', jid: 'bob@localhost/phone', id: 'm1', unacked: 1, hibernating: false },
      { type: 'server.send', conn: 1, name: 'message', id: 'm1' },
      { type: 'client.recv', client: 'bob', conn: 1, name: 'message', id: 'm1' },
      { type: 'client.send', client: 'bob', conn: 1, name: 'a', h: 3 },
    ];
    expect(violations(trace)).toEqual(['client-ack-bound: client bob acknowledged h=3 with an <a h>, but received only 1 stanzas on that SM session']);
  });

  it('the same ack from a client whose script forges counters is exempt', () => {
    const trace = [...bobOnline, { type: 'client.send', client: 'bob', conn: 1, name: 'a', h: 3 }];
    expect(violations(trace, { ...context, forgingClients: new Set(['bob']) })).toEqual([]);
  });

  it("the server's <a h='2'/> after receiving one stanza from Bob is an over-ack", () => {
    const trace = [...bobOnline, { type: 'server.recv', conn: 1, name: 'presence' }, { type: 'server.send', conn: 1, name: 'a', h: 2 }];
    expect(violations(trace)).toEqual(["server-ack-bound: the server sent <a h='2'/> to bob@localhost/phone, but received only 1 stanzas from it on that SM session"]);
  });

  it('a stanza disposed of twice has two dispositions', () => {
    const trace = [
      ...bobOnline,
      { type: 'smacks.queue', jid: 'bob@localhost/phone', id: 'm1', unacked: 1, hibernating: false },
      { type: 'smacks.dispose', jid: 'bob@localhost/phone', id: 'm1', name: 'message', disposition: 'offline' },
      { type: 'smacks.dispose', jid: 'bob@localhost/phone', id: 'm1', name: 'message', disposition: 'bounce' },
    ];
    expect(violations(trace)).toEqual(["queue-disposition: a stanza 'm1' was disposed of (bounce) for bob@localhost/phone, but nothing was queued there"]);
  });

  it('a queued stanza that vanishes with its session has no disposition', () => {
    const trace = [
      ...bobOnline,
      { type: 'smacks.queue', jid: 'bob@localhost/phone', id: 'm1', unacked: 1, hibernating: true },
      { type: 'session.destroy', jid: 'bob@localhost/phone', reason: 'gone' },
    ];
    expect(violations(trace)).toEqual(['queue-disposition: 1 stanza(s) queued for bob@localhost/phone vanished with its session, without a disposition (m1), noticed at the end of the run']);
  });

  it('a resume with h=1 over three queued stanzas must replay two, m2 and m3, in order', () => {
    const queued = ['m1', 'm2', 'm3'].map((id, index) => ({ type: 'smacks.queue', jid: 'bob@localhost/phone', id, unacked: index + 1, hibernating: true }));
    const resume = (replayed: string[]) => [
      ...bobOnline,
      ...queued,
      { type: 'client.recv', client: 'bob', conn: 1, name: 'message', id: 'm1' },
      { type: 'net.connect', conn: 2, client: 'bob' },
      { type: 'server.send', conn: 2, name: 'resumed', h: 0 },
      ...replayed.map((id) => ({ type: 'server.send', conn: 2, name: 'message', id })),
      { type: 'smacks.hibernation-end', jid: 'bob@localhost/phone', replayed: replayed.length, conn: 2, resumeH: 1 },
    ];
    expect(violations(resume(['m2', 'm3']))).toEqual([]);
    expect(violations(resume(['m3']))).toEqual(['resume-replay: bob@localhost/phone replayed 1 stanza(s) on resume, but 2 were unacked and queued']);
    expect(violations(resume(['m3', 'm2']))).toEqual(["resume-replay: bob@localhost/phone replayed 'm2' on resume, which is not in its unacked tail (m2, m3)"]);
  });

  it('the same holds when the writes are flushed after the resume event, and a replay queued again is caught', () => {
    const queued = ['m1', 'm2', 'm3'].map((id, index) => ({ type: 'smacks.queue', jid: 'bob@localhost/phone', id, unacked: index + 1, hibernating: true }));
    const flushedLater = (requeue: string[], replayed: string[]) => [
      ...bobOnline,
      ...queued,
      { type: 'client.recv', client: 'bob', conn: 1, name: 'message', id: 'm1' },
      { type: 'net.connect', conn: 2, client: 'bob' },
      { type: 'server.recv', conn: 2, name: 'resume' },
      ...requeue.map((id, index) => ({ type: 'smacks.queue', jid: 'bob@localhost/phone', id, unacked: 4 + index, hibernating: false })),
      { type: 'smacks.hibernation-end', jid: 'bob@localhost/phone', replayed: 2, conn: 2, resumeH: 1 },
      { type: 'server.send', conn: 2, name: 'resumed', h: 0 },
      ...replayed.map((id) => ({ type: 'server.send', conn: 2, name: 'message', id })),
    ];
    expect(violations(flushedLater([], ['m2', 'm3']))).toEqual([]);
    expect(violations(flushedLater([], ['m3', 'm1']))).toEqual(["resume-replay: bob@localhost/phone replayed 'm1' on resume, which is not in its unacked tail (m2, m3)"]);
    expect(violations(flushedLater(['m2', 'm3'], ['m2', 'm3']))).toEqual([
      'resume-replay: bob@localhost/phone queued 2 of the 2 stanza(s) it replayed on resume again, so they go out once more at the next resume',
    ]);
  });

  it('a message delivered twice is a duplicate, unless mod_smacks stored it offline first (§16 "Duplicates" 1)', () => {
    const twice = [
      { type: 'message.delivered', client: 'bob', id: 'm1', offline: false, resent: false },
      { type: 'message.delivered', client: 'bob', id: 'm1', offline: true, resent: false },
    ];
    expect(violations(twice)).toEqual(["duplicates: client bob received message 'm1' 2 times, with no replay, offline disposal or re-send to explain it"]);
    const explained = [twice[0]!, ...bobOnline, { type: 'smacks.queue', jid: 'bob@localhost/phone', id: 'm1', unacked: 1, hibernating: false }, { type: 'smacks.dispose', jid: 'bob@localhost/phone', id: 'm1', name: 'message', disposition: 'offline' }, twice[1]!];
    expect(violations(explained)).toEqual([]);
  });

  it('more than smacks_max_queue_size buffered stanzas break the queue limit', () => {
    const trace = [...bobOnline, ...[1, 2, 3].map((n) => ({ type: 'smacks.queue', jid: 'bob@localhost/phone', id: `m${n}`, unacked: n, hibernating: true }))];
    expect(violations(trace, { ...context, maxQueueSize: 2 })).toEqual(['queue-limit: bob@localhost/phone buffers 3 stanzas, more than smacks_max_queue_size=2']);
  });
});
