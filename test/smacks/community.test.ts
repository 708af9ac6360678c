/**
 * Rules of the community mod_smacks (spec tag M) that have no core counterpart worth a side-by-side
 * run: tokens, the registries' limits and order, the hibernation timer and its push deferral, the
 * delivery/success event, replay without re-queueing. Side-by-side rules are in variants.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Session } from '../../src/server/session.js';
import { attr, type Element } from '../../src/xmpp/stanza.js';
import {
  aliceSends,
  community,
  enabledResumable,
  eventsOf,
  failedNotFound,
  live,
  loginBoth,
  r,
  replayed,
  runWith,
  smIdOf,
  twoUsers,
  worldOf,
} from './sm-scenario.js';

describe('community: the resumption token (spec §4.2)', () => {
  const doc = twoUsers([{ do: 'login', client: 'bob', presence: false }]);

  it('community: the resumption id is a UUID v4 drawn from the server’s seeded RNG', () => {
    const first = smIdOf(community, doc, 'bob');
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(smIdOf(community, doc, 'bob')).toBe(first);
    const { world } = worldOf(community, doc, {}, 2);
    world.run();
    const other = world.scripted.get('bob')!.xmpp.received.find((element) => element.name === 'enabled')!;
    expect(other.attrs.id).not.toBe(first);
  });
});

describe('community: counters that go backwards (M-1)', () => {
  it('community: a resume after a backwards ack silently drops a stanza the client never got (M-1)', () => {
    // Bob acks m1, m2 (h=2), then claims h=1: last_acknowledged_stanza = 1. m3 goes into a black hole
    // without an <r/> (expected_h = 2 = last_requested_h). Bob resumes with his true h=2: the server
    // takes 2 − 1 = 1 as "m3 received" and has nothing left to replay.
    const doc = twoUsers([
      ...loginBoth,
      aliceSends('m1'),
      aliceSends('m2', undefined, '1s'),
      { at: '2s', do: 'ack', client: 'bob', h: 1 },
      { at: '3s', do: 'blackhole', client: 'bob' },
      aliceSends('m3', undefined, '4s'),
      { at: '5s', do: 'heal', client: 'bob' },
      { do: 'resume', client: 'bob' },
      { do: 'wait', for: '1s' },
    ]);
    const result = runWith(community, doc);
    expect(result.wire.bob).toEqual([enabledResumable(), live('m1'), r, live('m2'), r, "<resumed h='0' previd='SMID1' xmlns='urn:xmpp:sm:3'/>", r]);
    expect(result.fates.map(({ id, fate }) => [id, fate])).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
      ['m3', 'lost'],
    ]);
    expect(result.hibernation).toMatchObject({ resumedLive: 1 });
  });
});

describe('community: the registries (spec §9.1, §9.2)', () => {
  it('community: eviction takes the oldest <enable>; a resume does not refresh it', () => {
    // With room for two: c1 and c2 enable, c1 loses its link and resumes, then c3 enables and still
    // pushes out c1 (util.cache.get does not bump).
    const clients: Record<string, object> = {};
    for (const name of ['c1', 'c2', 'c3']) clients[name] = { account: 'bob', resource: name };
    const doc = {
      name: 'eviction-order',
      server: { smacks_max_hibernated_sessions: 2 },
      accounts: ['bob'],
      clients,
      script: [
        { do: 'login', client: 'c1', presence: false },
        { do: 'login', client: 'c2', presence: false },
        { do: 'reset', client: 'c1' },
        { at: '1s', do: 'resume', client: 'c1' },
        { do: 'login', client: 'c3', presence: false },
        { at: '2s', do: 'reset', client: 'c1' },
        { at: '3s', do: 'resume', client: 'c1' },
      ],
    };
    const result = runWith(community, doc);
    expect(result.wire.c1).toEqual([enabledResumable(), "<resumed h='0' previd='SMID1' xmlns='urn:xmpp:sm:3'/>", r, failedNotFound(0)]);
    expect(eventsOf(result.events_, 'smacks.evict').map((event) => event.jid)).toEqual(['bob@localhost/c1']);
  });

  it('community: smacks_max_old_sessions keeps the newest expired records only', () => {
    // Two of Bob's devices expire one after the other; with room for one record, the first is gone.
    const doc = {
      name: 'old-sessions',
      server: { smacks_hibernation_time: 10, smacks_max_old_sessions: 1 },
      accounts: ['bob'],
      clients: { c1: { account: 'bob', resource: 'c1' }, c2: { account: 'bob', resource: 'c2' } },
      script: [
        { do: 'login', client: 'c1', presence: false },
        { do: 'login', client: 'c2', presence: false },
        { do: 'send', client: 'c2', xml: '<presence/>' },
        { do: 'reset', client: 'c1' },
        { at: '1s', do: 'reset', client: 'c2' },
        { at: '20s', do: 'resume', client: 'c1' },
        { do: 'resume', client: 'c2' },
      ],
    };
    const result = runWith(community, doc);
    expect(result.wire.c1).toEqual([enabledResumable(10), failedNotFound()]);
    expect(result.wire.c2).toEqual([enabledResumable(10), "<presence from='bob@localhost/c2' xml:lang='en'/>", r, failedNotFound(1)]);
  });
});

describe('community: the hibernation timer (spec §7.5)', () => {
  it('community: re-hibernating within the same second lets the first timer expire the session early', () => {
    // Lost at 0.1 s, resumed at 0.3 s, lost again at 0.6 s: both hibernations carry os.time() = the same
    // second, so the first (never cancelled) timer matches and expires the session at 30.1 s.
    const doc = twoUsers(
      [
        { do: 'login', client: 'bob', presence: false },
        { at: '100ms', do: 'reset', client: 'bob' },
        { at: '300ms', do: 'resume', client: 'bob' },
        { at: '600ms', do: 'reset', client: 'bob' },
        { do: 'wait', for: '40s' },
      ],
      { smacks_hibernation_time: 30 },
    );
    const events = runWith(community, doc).events_;
    expect(eventsOf(events, 'smacks.hibernation-start').map((event) => event.t)).toEqual([100, 600]);
    expect(eventsOf(events, 'smacks.expire').map((event) => event.t)).toEqual([30_100]);
  });

  const lost = twoUsers([{ do: 'login', client: 'bob', presence: false }, { do: 'reset', client: 'bob' }, { do: 'wait', for: '100s' }], {
    smacks_hibernation_time: 30,
  });

  /** Runs `lost` with a stand-in for mod_cloud_notify registering a push at hibernation start. */
  function withPush(pushAfterMs: number | undefined): ReturnType<typeof worldOf>['events'] {
    const { world, events } = worldOf(community, { ...lost, settleMax: '2m' });
    world.server.hooks.hook<{ origin: Session }>('smacks-hibernation-start', (event) => {
      const session = event.origin;
      session.pushIdentifier = 'push-1';
      if (pushAfterMs !== undefined) world.engine.after(pushAfterMs, () => (session.firstHibernatedPush = world.server.osTime()));
      return undefined;
    });
    world.run();
    return events;
  }

  it('community: a push session with no push yet is kept for another full period, again and again (M-4)', () => {
    const events = withPush(undefined);
    expect(eventsOf(events, 'smacks.expire')).toEqual([]);
  });

  it('community: a push session expires smacks_hibernation_time after its first push', () => {
    const events = withPush(10_000);
    expect(eventsOf(events, 'smacks.expire').map((event) => event.t)).toEqual([40_000]);
  });
});

describe('community: acknowledgements and replay (spec §3.3, §8.3)', () => {
  it('community: every acknowledged stanza fires delivery/success', () => {
    const doc = twoUsers([...loginBoth, aliceSends('m1'), aliceSends('m2'), aliceSends('m3', undefined, '1s')]);
    const { world } = worldOf(community, doc);
    const acked: Array<[string, string | undefined]> = [];
    world.server.hooks.hook<{ session: Session; stanza: Element }>('delivery/success', (event) => {
      acked.push([event.session.fullJid!, attr(event.stanza, 'id')]);
      return undefined;
    });
    world.run();
    expect(acked).toEqual([
      ['bob@localhost/laptop', 'm1'],
      ['bob@localhost/laptop', 'm2'],
      ['bob@localhost/laptop', 'm3'],
    ]);
  });

  it('community: replayed stanzas carry the _cached mark and are not queued again (B8)', () => {
    // Bob never acks. m1 is replayed at each of two resumptions, once each time, not doubled.
    const doc = twoUsers(
      [
        ...loginBoth,
        aliceSends('m1'),
        { at: '1s', do: 'reset', client: 'bob' },
        { at: '2s', do: 'resume', client: 'bob', h: 0 },
        { at: '3s', do: 'reset', client: 'bob' },
        { at: '4s', do: 'resume', client: 'bob', h: 0 },
      ],
      {},
      { ack: 'none' },
    );
    const result = runWith(community, doc);
    const resumed = "<resumed h='0' previd='SMID1' xmlns='urn:xmpp:sm:3'/>";
    expect(result.wire.bob).toEqual([enabledResumable(), live('m1'), r, resumed, replayed('m1'), r, resumed, replayed('m1'), r]);
    expect(result.hibernation).toMatchObject({ started: 2, resumed: 2 });
    expect(eventsOf(result.events_, 'smacks.hibernation-end').map((event) => event.replayed)).toEqual([1, 1]);
    // The <a> that handle_resume fakes from <resume h> goes through handle_a but is no ack from the wire.
    expect(result.acks.received).toBe(0);
  });
});
