/**
 * Where core 0.12.3 (C) and the community module (M) differ, the same scenario runs under both
 * variants and each outcome is asserted (spec tags C and M); where they agree, one test runs both.
 * Every scenario is an inline document in the sims/ format; what Bob's laptop received is literal XML.
 */
import { describe, expect, it } from 'vitest';
import {
  a,
  aliceSends,
  community,
  core,
  enabledResumable,
  eventsOf,
  failedNotFound,
  live,
  loginBoth,
  r,
  replayed,
  runWith,
  smIdOf,
  streamClose,
  streamError,
  twoUsers,
  worldOf,
} from './sm-scenario.js';

describe('<enabled> (spec §4.2)', () => {
  const resumable = twoUsers([{ do: 'login', client: 'bob', presence: false }]);
  const plain = twoUsers([{ do: 'login', client: 'bob', presence: false, sm: 'enable' }]);

  it('both: <enable resume="true"/> gets an id, max and the echoed resume', () => {
    expect(runWith(core, resumable).wire.bob).toEqual([enabledResumable()]);
    expect(runWith(community, resumable).wire.bob).toEqual([enabledResumable()]);
  });

  it('core: a non-resumable <enabled/> carries no max', () => {
    expect(runWith(core, plain).wire.bob).toEqual(["<enabled xmlns='urn:xmpp:sm:3'/>"]);
  });

  it('community: <enabled/> always carries max, resumable or not', () => {
    expect(runWith(community, plain).wire.bob).toEqual(["<enabled max='600' xmlns='urn:xmpp:sm:3'/>"]);
  });
});

describe('<a h> from the client (spec §3.3)', () => {
  it('both: h above what was sent closes with undefined-condition', () => {
    const doc = twoUsers([...loginBoth, aliceSends('m1'), { at: '1s', do: 'ack', client: 'bob', h: 5 }]);
    const expected = [
      enabledResumable(),
      live('m1'),
      r,
      a(0),
      streamError('undefined-condition', 'Client acknowledged more stanzas than sent by server'),
      streamClose,
    ];
    expect(runWith(core, doc).wire.bob).toEqual(expected);
    expect(runWith(community, doc).wire.bob).toEqual(expected);
  });

  it('both: <a/> without h closes with invalid-xml', () => {
    const doc = twoUsers([{ do: 'login', client: 'bob', presence: false }, { do: 'send-raw', client: 'bob', xml: "<a xmlns='urn:xmpp:sm:3'/>" }]);
    const expected = [enabledResumable(), a(0), streamError('invalid-xml', "Missing or invalid 'h' attribute"), streamClose];
    expect(runWith(core, doc).wire.bob).toEqual(expected);
    expect(runWith(community, doc).wire.bob).toEqual(expected);
  });

  // Bob acknowledges m1 and m2 (h=2), then claims h=1. Alice goes on writing.
  const backwards = twoUsers([
    ...loginBoth,
    aliceSends('m1'),
    aliceSends('m2', undefined, '1s'),
    { at: '2s', do: 'ack', client: 'bob', h: 1 },
    aliceSends('m3', undefined, '3s'),
    aliceSends('m4', undefined, '4s'),
  ]);

  it('core: <a h> below last ack closes with undefined-condition', () => {
    expect(runWith(core, backwards).wire.bob).toEqual([
      enabledResumable(),
      live('m1'),
      r,
      live('m2'),
      r,
      a(0),
      streamError('undefined-condition', 'Client acknowledged less stanzas than already acknowledged'),
      streamClose,
    ]);
  });

  it('community: ack with h below last ack is accepted and corrupts the counter (M-1)', () => {
    // last_acknowledged_stanza goes 2 → 1. m3 then makes expected_h = 2 = last_requested_h, so no <r/>
    // follows it; m4 gets one, Bob honestly answers h=4, and 4 − 1 = 3 "new" stanzas exceed the two queued.
    expect(runWith(community, backwards).wire.bob).toEqual([
      enabledResumable(),
      live('m1'),
      r,
      live('m2'),
      r,
      live('m3'),
      live('m4'),
      r,
      a(0),
      streamError('undefined-condition', 'Client acknowledged more stanzas than sent by server'),
      streamClose,
    ]);
  });
});

describe('<resume> with a bad h (spec §8.2–8.4)', () => {
  const withH = (h: number | string): object =>
    twoUsers([...loginBoth, { do: 'reset', client: 'bob' }, aliceSends('m1', undefined, '1s'), { at: '2s', do: 'resume', client: 'bob', timeout: '5s', h }]);
  const tooHigh = withH(3);

  it('core: h above what was sent gets <failed h previd/>, then the stream closes', () => {
    const result = runWith(core, tooHigh);
    // Written, then lost to the second close() of the connection (server_epoll): the client sees only
    // the TCP close, as against a real Prosody 0.12.3 (conformance: resume-h-too-high).
    expect(result.wire.bob).toEqual([enabledResumable()]);
    expect(eventsOf(result.events_, 'smacks.resume-failed').map((event) => event.condition)).toEqual(['undefined-condition']);
    expect(result.messages).toMatchObject({ offline: 1, lost: 0 });
  });

  it('community: h above what was sent gets <resumed/> first, then the stream closes (M-3)', () => {
    const result = runWith(community, tooHigh);
    expect(result.wire.bob).toEqual([
      enabledResumable(),
      "<resumed h='0' previd='SMID1' xmlns='urn:xmpp:sm:3'/>",
      a(0),
      streamError('undefined-condition', 'Client acknowledged more stanzas than sent by server'),
      streamClose,
    ]);
    expect(result.messages).toMatchObject({ offline: 1, lost: 0 });
    expect(result.hibernation).toMatchObject({ started: 1, resumed: 0 });
  });

  it("core: <resume h='x'/> gets no answer at all (C-1)", () => {
    // queue:ack(nil) raises a Lua error after the transplant: no reply, the session stays attached.
    const result = runWith(core, withH('x'));
    expect(result.wire.bob).toEqual([enabledResumable()]);
    expect(result.scriptTimeouts).toEqual([4]); // the resume step (index 4) waited in vain
  });

  it("community: <resume h='x'/> gets <resumed/>, then invalid-xml (M-3)", () => {
    expect(runWith(community, withH('x')).wire.bob).toEqual([
      enabledResumable(),
      "<resumed h='0' previd='SMID1' xmlns='urn:xmpp:sm:3'/>",
      a(0),
      streamError('invalid-xml', "Missing or invalid 'h' attribute"),
      streamClose,
    ]);
  });
});

describe('hibernation timeout (spec §7.4, §7.5)', () => {
  const expiry = twoUsers([{ do: 'login', client: 'bob', presence: false }, { do: 'reset', client: 'bob' }, { do: 'wait', for: '40s' }], {
    smacks_hibernation_time: 30,
  });

  function expiryDelayMs(variant: typeof core): number {
    const events = runWith(variant, expiry).events_;
    return eventsOf(events, 'smacks.expire')[0]!.t - eventsOf(events, 'smacks.hibernation-start')[0]!.t;
  }

  it('core: expiry comes at smacks_hibernation_time + 1 s (util.watchdog)', () => {
    expect(expiryDelayMs(core)).toBe(31_000);
  });

  it('community: expiry comes at exactly smacks_hibernation_time (util.timer)', () => {
    expect(expiryDelayMs(community)).toBe(30_000);
  });

  // Hibernate at 0 s, resume at 10 s, hibernate again at 20 s.
  const again = twoUsers(
    [
      { do: 'login', client: 'bob', presence: false },
      { do: 'reset', client: 'bob' },
      { at: '10s', do: 'resume', client: 'bob' },
      { at: '20s', do: 'reset', client: 'bob' },
      { do: 'wait', for: '40s' },
    ],
    { smacks_hibernation_time: 30 },
  );

  it('core: a resume cancels the watchdog; the second hibernation expires 31 s after it began', () => {
    expect(eventsOf(runWith(core, again).events_, 'smacks.expire').map((event) => event.t)).toEqual([51_000]);
  });

  it('community: the first timer fires after the resume and does nothing; the second expires at 20 s + 30 s', () => {
    expect(eventsOf(runWith(community, again).events_, 'smacks.expire').map((event) => event.t)).toEqual([50_000]);
  });
});

describe('more resumable sessions than smacks_max_hibernated_sessions (spec §9.1)', () => {
  // c1..c11 are eleven devices of Bob. c1 sends one stanza (h=1), ten more devices enable resumable SM
  // (the 11th pushes c1 out of M's cache), c1 sends two more (h=3), loses its link, and tries to resume.
  const clients: Record<string, object> = { alice: { account: 'alice', resource: 'phone' } };
  for (let index = 1; index <= 11; index++) clients[`c${index}`] = { account: 'bob', resource: `r${index}` };
  const toAlice = (id: string): object => ({ do: 'send', client: 'c1', xml: `<message to='alice@localhost/phone' type='chat' id='${id}'><body>${id}</body></message>` });
  const script: object[] = [{ do: 'login', client: 'alice', presence: false }, { do: 'login', client: 'c1', presence: false }, toAlice('b1')];
  for (let index = 2; index <= 11; index++) script.push({ do: 'login', client: `c${index}`, presence: false });
  script.push(toAlice('b2'), toAlice('b3'), aliceSends('m1', 'bob@localhost/r1'), { at: '1s', do: 'reset', client: 'c1' }, { at: '2s', do: 'resume', client: 'c1' });
  const doc = { name: 'eleven-devices', accounts: ['alice', 'bob'], clients, script };
  const liveToR1 = live('m1', 'bob@localhost/r1');

  it('core: every session stays resumable; the eleventh login changes nothing', () => {
    const result = runWith(core, doc);
    expect(result.wire.c1).toEqual([enabledResumable(), liveToR1, r, "<resumed h='3' previd='SMID1' xmlns='urn:xmpp:sm:3'/>", r]);
    expect(result.hibernation).toMatchObject({ resumed: 1, evicted: 0 });
  });

  it('community: the first session is evicted, keeps working, and its resume gets <failed> with the h saved at eviction (M-2)', () => {
    const result = runWith(community, doc);
    // The evicted session still received m1 and answered the <r/>; the stale h is 1, not 3.
    expect(result.wire.c1).toEqual([enabledResumable(), liveToR1, r, failedNotFound(1)]);
    expect(result.hibernation).toMatchObject({ started: 1, resumed: 0, evicted: 1 });
    const evict = eventsOf(result.events_, 'smacks.evict');
    expect(evict.map(({ jid, h }) => [jid, h])).toEqual([['bob@localhost/r1', 1]]);
    // The zombie still hibernates for the full time (with its real h) before it is destroyed.
    const expire = eventsOf(result.events_, 'smacks.expire');
    expect(expire.map(({ t, jid, h }) => [t, jid, h])).toEqual([[601_000, 'bob@localhost/r1', 3]]);
  });
});

describe('the old-session record after a failed resume (spec §8.1, §9.2)', () => {
  const prefix = [{ do: 'login', client: 'bob', presence: false }, { do: 'send', client: 'bob', xml: '<presence/>' }];
  const resumeTwice = (variant: typeof core): string[] => {
    const smId = smIdOf(variant, twoUsers(prefix), 'bob');
    const doc = twoUsers(
      [...prefix, { do: 'reset', client: 'bob' }, { at: '40s', do: 'resume', client: 'bob', previd: smId }, { do: 'resume', client: 'bob', previd: smId }],
      { smacks_hibernation_time: 30 },
    );
    return runWith(variant, doc).wire.bob!;
  };

  it('core: the record answers once, then it is gone', () => {
    expect(resumeTwice(core)).toEqual([enabledResumable(30), failedNotFound(1), failedNotFound()]);
  });

  it('community: the record stays after it answered', () => {
    expect(resumeTwice(community)).toEqual([enabledResumable(30), failedNotFound(1), failedNotFound(1)]);
  });

  it('both: a clean close revokes the token, so a resume gets <failed> without h', () => {
    const presence = "<presence from='bob@localhost/laptop' xml:lang='en'/>";
    for (const variant of [core, community]) {
      const smId = smIdOf(variant, twoUsers(prefix), 'bob');
      const doc = twoUsers([...prefix, { at: '1s', do: 'close', client: 'bob' }, { at: '2s', do: 'resume', client: 'bob', previd: smId }]);
      // The last <a h> before </stream:stream> is XEP-0198 1.5.2 (C: pre-session-close; M: the close wrapper).
      expect(runWith(variant, doc).wire.bob).toEqual([enabledResumable(), presence, r, a(1), streamClose, failedNotFound()]);
    }
  });
});

describe('more than 500 stanzas queued while hibernating (spec §3.2, §9.3, C-3)', () => {
  const flood = Array.from({ length: 501 }, (_, index) => aliceSends(`m${index + 1}`));
  const doc = twoUsers([...loginBoth, { do: 'reset', client: 'bob' }, { at: '1s', do: 'wait', for: '0s' }, ...flood, { at: '10s', do: 'resume', client: 'bob' }, { do: 'wait', for: '1s' }]);

  it('core: the ring overflows, so the resume fails with resource-constraint and m1 is silently lost', () => {
    const result = runWith(core, doc);
    // The <failed/> and the stream error are lost to the second close() (see above).
    expect(result.wire.bob).toEqual([enabledResumable()]);
    expect(eventsOf(result.events_, 'smacks.resume-failed').map((event) => event.condition)).toEqual(['resource-constraint']);
    expect(result.messages).toMatchObject({ sent: 501, delivered: 0, offline: 500, lost: 1 });
    expect(eventsOf(result.events_, 'smacks.overflow').map((event) => event.id)).toEqual(['m1']);
  });

  it('community: the queue is unbounded, so the resume succeeds and replays all 501', () => {
    const result = runWith(community, doc);
    const wire = result.wire.bob!;
    expect(wire.length).toBe(504);
    expect(wire.slice(0, 3)).toEqual([enabledResumable(), "<resumed h='0' previd='SMID1' xmlns='urn:xmpp:sm:3'/>", replayed('m1')]);
    expect(wire.slice(-2)).toEqual([replayed('m501'), r]);
    expect(result.messages).toMatchObject({ sent: 501, delivered: 501, lost: 0 });
    expect(result.queue.peak).toBe(501);
  });
});

describe('when <r/> is sent (spec §3.4, §5)', () => {
  it('core: a client <r/> below the threshold is answered with <a/> only', () => {
    const doc = twoUsers([...loginBoth, aliceSends('m1'), aliceSends('m2'), { at: '1s', do: 'request-ack', client: 'bob' }, { do: 'wait', for: '1s' }], {
      smacks_max_unacked_stanzas: 5,
    });
    expect(runWith(core, doc).wire.bob).toEqual([enabledResumable(), live('m1'), live('m2'), a(0)]);
  });

  it('community: a client <r/> forces a piggybacked <r/> when stanzas went out since the last one', () => {
    const doc = twoUsers([...loginBoth, aliceSends('m1'), aliceSends('m2'), { at: '1s', do: 'request-ack', client: 'bob' }, { do: 'wait', for: '1s' }], {
      smacks_max_unacked_stanzas: 5,
    });
    expect(runWith(community, doc).wire.bob).toEqual([enabledResumable(), live('m1'), live('m2'), a(0), r]);
  });

  // Bob never answers <r/>: m1 at 0 s, m2 and m3 at 31 s, after the first smacks-ack-delayed.
  const silent = twoUsers([...loginBoth, aliceSends('m1'), aliceSends('m2', undefined, '31s'), aliceSends('m3'), { do: 'wait', for: '1s' }], {}, { ack: 'none' });
  const silentWire = [enabledResumable(), live('m1'), r, live('m2'), live('m3')];

  it('core: smacks-ack-delayed fires once per unanswered <r/>', () => {
    const result = runWith(core, silent);
    expect(result.wire.bob).toEqual(silentWire);
    expect(eventsOf(result.events_, 'smacks.ack-delayed').map((event) => [event.t, event.unacked])).toEqual([[30_000, 1]]);
  });

  it('community: after the first smacks-ack-delayed, every newly queued stanza fires it again', () => {
    const result = runWith(community, silent);
    expect(result.wire.bob).toEqual(silentWire);
    expect(eventsOf(result.events_, 'smacks.ack-delayed').map((event) => [event.t, event.unacked])).toEqual([
      [30_000, 1],
      [31_000, 2],
      [31_000, 3],
    ]);
  });
});

describe('bouncing the queue at expiry (spec §10)', () => {
  // Bob's only resource hibernates; a message to his bare JID waits in the queue; no mod_offline.
  const doc = twoUsers(
    [
      { do: 'login', client: 'alice', presence: false },
      { do: 'login', client: 'bob' },
      { at: '1s', do: 'reset', client: 'bob' },
      aliceSends('m1', 'bob@localhost', '2s'),
      { do: 'wait', for: '40s' },
    ],
    { smacks_hibernation_time: 30, offline: false },
  );
  const bounce = (from: string): string =>
    `<message from='${from}' id='m1' to='alice@localhost/phone' type='error'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`;

  it('core: the error comes from the host with from = the original to (bare JID)', () => {
    expect(runWith(core, doc).wire.alice).toEqual([enabledResumable(30), bounce('bob@localhost'), r]);
  });

  it("community: the error is injected with the dying session as origin, so from = Bob's full JID", () => {
    expect(runWith(community, doc).wire.alice).toEqual([enabledResumable(30), bounce('bob@localhost/laptop'), r]);
  });

  // sims/skeleton/expiry-bounce.json: Bob's laptop expires while his phone is online.
  const unavailable = (status: string | undefined): string =>
    status === undefined
      ? "<presence from='bob@localhost/laptop' to='bob@localhost/phone' type='unavailable'/>"
      : `<presence from='bob@localhost/laptop' to='bob@localhost/phone' type='unavailable'><status>${status}</status></presence>`;

  it("core: the other resource sees the expired one go unavailable 'Disconnected: Hibernating too long'", () => {
    const wire = runWith(core, 'skeleton/expiry-bounce.json').wire.phone!;
    expect(wire.filter((line) => line.includes("type='unavailable'"))).toEqual([unavailable('Disconnected: Hibernating too long')]);
  });

  it('community: the expired session is destroyed without an error, so its unavailable presence has no status', () => {
    const wire = runWith(community, 'skeleton/expiry-bounce.json').wire.phone!;
    expect(wire.filter((line) => line.includes("type='unavailable'"))).toEqual([unavailable(undefined)]);
  });
});

describe('a server restart while a session hibernates (spec §12 #19, B30)', () => {
  // Bob's laptop sends presence (h=1), loses its link at 1 s; m1 is queued at 2 s; the server restarts
  // at 5 s; Bob resumes at 10 s.
  const doc = twoUsers([
    ...loginBoth,
    { do: 'send', client: 'bob', xml: '<presence/>' },
    { at: '1s', do: 'reset', client: 'bob' },
    aliceSends('m1', undefined, '2s'),
    { at: '10s', do: 'resume', client: 'bob' },
    { do: 'wait', for: '1s' },
  ]);

  function restartAt5s(variant: typeof core): ReturnType<typeof worldOf> & { wire: string[]; lost: number; offline: number } {
    const run = worldOf(variant, doc);
    run.world.engine.at(5000, () => {
      run.world.server.stop();
      run.world.server.start();
    });
    const result = run.world.run();
    return { ...run, wire: result.wire.bob!, lost: result.messages.lost, offline: result.messages.offline };
  }
  const presence = "<presence from='bob@localhost/laptop' xml:lang='en'/>";

  it('core: server-stopping keeps h and offlines the queue, so the resume gets <failed h>', () => {
    const { wire, events, lost, offline } = restartAt5s(core);
    expect(wire).toEqual([enabledResumable(), presence, r, failedNotFound(1)]);
    expect({ lost, offline }).toEqual({ lost: 0, offline: 1 });
    expect(eventsOf(events, 'smacks.dispose').map((event) => [event.id, event.disposition])).toEqual([['m1', 'offline']]);
  });

  it('community: no server-stopping handler; the queue and the h are gone with the process (B30)', () => {
    const { wire, events, lost, offline } = restartAt5s(community);
    expect(wire).toEqual([enabledResumable(), presence, r, failedNotFound()]);
    expect({ lost, offline }).toEqual({ lost: 1, offline: 0 });
    expect(eventsOf(events, 'smacks.dispose')).toEqual([]);
  });
});
