/**
 * mod_csi + mod_csi_simple (switch `csi`, on by default as in Debian's prosody.cfg.lua): Bob's phone
 * says `<inactive xmlns='urn:xmpp:csi:0'/>`, Alice writes to it, and what reaches the phone (and when)
 * shows the write hold, what flushes it, and how mod_smacks' `<r/>` follows (spec §5.6).
 */
import { parse } from 'ltx';
import { describe, expect, it } from 'vitest';
import { readScenario } from '../../src/scenario/schema.js';
import type { Settings } from '../../src/scenario/settings.js';
import { Session } from '../../src/server/session.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { type Element, el } from '../../src/xmpp/stanza.js';
import { World } from '../../src/world/world.js';
import { run } from '../helpers.js';

const inactive = "<inactive xmlns='urn:xmpp:csi:0'/>";
const active = "<active xmlns='urn:xmpp:csi:0'/>";
const r = "<r xmlns='urn:xmpp:sm:3'/>";

/** Alice (desk) and Bob (phone), both logged in with resumable SM and presence; then `steps`. */
function csiScenario(steps: object[], server: Partial<Settings> = {}, bob: object = {}): object {
  return {
    name: 'csi',
    server: { read_timeout: 600, ...server },
    accounts: ['alice', 'bob'],
    clients: { alice: { account: 'alice', resource: 'desk' }, bob: { account: 'bob', resource: 'phone', ...bob } },
    script: [{ do: 'login', client: 'alice' }, { do: 'login', client: 'bob' }, ...steps, { at: '1m', do: 'wait', for: '1s' }],
  };
}

/** Alice sends Bob's phone a directed presence with a status (unimportant to mod_csi_simple). */
function presence(at: string, status: string): object {
  return { at, do: 'send', client: 'alice', xml: `<presence to='bob@localhost/phone'><status>${status}</status></presence>` };
}

function chat(at: string, id: string): object {
  return { at, do: 'send', client: 'alice', xml: `<message to='bob@localhost/phone' type='chat' id='${id}'><body>${id}</body></message>` };
}

/** What the phone shows for Alice's presence: live, or held by mod_csi_simple (its delay, Bob's bare JID). */
function presenceOnWire(status: string, isHeld: boolean): string {
  const delay = isHeld ? "<delay from='bob@localhost' xmlns='urn:xmpp:delay'/>" : '';
  return `<presence from='alice@localhost/desk' to='bob@localhost/phone' xml:lang='en'><status>${status}</status>${delay}</presence>`;
}

function chatOnWire(id: string): string {
  return `<message from='alice@localhost/desk' id='${id}' to='bob@localhost/phone' type='chat' xml:lang='en'><body>${id}</body></message>`;
}

/** The phone's wire from its inactive step on (login lines dropped). */
function afterLogin(wire: readonly string[] | undefined): string[] {
  return (wire ?? []).slice(3);
}

/** When the server wrote each element of a kind to Bob's phone (any of its connections). */
function sendTimes(events: readonly TraceEvent[], name: string): number[] {
  const conns = new Set(events.flatMap((event) => (event.type === 'net.connect' && event.client === 'bob' ? [event.conn] : [])));
  return events.filter((event) => event.type === 'server.send' && conns.has(event.conn) && event.name === name).map((event) => event.t);
}

describe('mod_csi', () => {
  function worldWith(overrides: Partial<Settings> = {}): { world: World; events: TraceEvent[] } {
    const events: TraceEvent[] = [];
    const doc = { name: 'csi-unit', accounts: ['bob'], clients: { bob: { account: 'bob' } }, script: [{ do: 'wait', for: '1s' }] };
    const world = new World(readScenario('(test)', doc), { seed: 1, overrides, listeners: [(event) => events.push(event)] });
    return { world, events };
  }

  function features(world: World, username: string | undefined): string[] {
    const session = new Session('test', 'localhost');
    session.username = username;
    const stanza = el('stream:features');
    world.server.fire('stream-features', { origin: session, features: stanza });
    return stanza.children.map((child) => `${(child as Element).name} ${String((child as Element).attrs.xmlns)}`);
  }

  it("offers <csi xmlns='urn:xmpp:csi:0'/> to authenticated streams (mod_smacks alone would make a handler available)", () => {
    const csi = 'csi urn:xmpp:csi:0';
    expect(features(worldWith().world, 'bob')).toContain(csi);
    expect(features(worldWith().world, undefined)).not.toContain(csi);
    expect(features(worldWith({ csi: false }).world, 'bob')).not.toContain(csi);
  });

  it('sets the state of an authenticated session that has not bound yet, and fires csi-client-inactive', () => {
    const { world } = worldWith();
    const session = new Session('test', 'localhost');
    session.username = 'bob';
    session.type = 'c2s_unbound';
    const fired: string[] = [];
    world.server.hooks.hook<{ origin: Session }>('csi-client-inactive', (event) => void fired.push(event.origin.id));
    world.server.dispatch(session, parse(inactive) as Element);
    expect(session.state).toBe('inactive');
    expect(fired).toEqual(['test']);
  });

  it('declines before authentication: the nonza is unhandled and the stream closes with unsupported-stanza-type', () => {
    const { world, events } = worldWith();
    const session = new Session('test', 'localhost');
    world.server.dispatch(session, parse(inactive) as Element);
    expect(session.state).toBeUndefined();
    expect(events.filter((event) => event.type === 'session.close').map((event) => event.type === 'session.close' && event.reason)).toEqual(['unsupported-stanza-type']);
  });

  it('with csi off, <inactive/> is an unsupported stream element', () => {
    const result = run(csiScenario([{ do: 'send', client: 'bob', xml: inactive }], { csi: false }));
    expect(afterLogin(result.wire.bob)).toEqual([
      "<a h='1' xmlns='urn:xmpp:sm:3'/>",
      "<stream:error><unsupported-stanza-type xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
      '</stream:stream>',
    ]);
  });
});

describe('mod_csi_simple', () => {
  it('holds presence (with its own <delay>, so smacks adds none) until a chat message with a body flushes it after an <r/>', () => {
    const result = run(csiScenario([{ do: 'send', client: 'bob', xml: inactive }, presence('1s', 'one'), presence('2s', 'two'), chat('10s', 'm1')]));
    expect(afterLogin(result.wire.bob)).toEqual([
      presenceOnWire('one', true),
      presenceOnWire('two', true),
      // csi-flushing: mod_smacks asks with the active threshold, before the flushing stanza is queued
      r,
      chatOnWire('m1'),
      r,
    ]);
    expect(sendTimes(result.events_, 'presence').slice(-2)).toEqual([10_000, 10_000]);
    expect(result.events_.filter((event) => event.type === 'csi.flush')).toEqual([{ t: 10_000, type: 'csi.flush', jid: 'bob@localhost/phone', reason: 'body', held: 2 }]);
  });

  it('flushes at the stanza that finds csi_queue_size stanzas held', () => {
    const result = run(csiScenario([{ do: 'send', client: 'bob', xml: inactive }, presence('1s', 'one'), presence('2s', 'two'), presence('3s', 'three')], { csi_queue_size: 2 }));
    expect(afterLogin(result.wire.bob)).toEqual([presenceOnWire('one', true), presenceOnWire('two', true), r, presenceOnWire('three', false), r]);
    expect(sendTimes(result.events_, 'presence').slice(-3)).toEqual([3000, 3000, 3000]);
    expect(result.events_.find((event) => event.type === 'csi.flush')).toMatchObject({ reason: 'queue size limit reached', held: 2 });
  });

  it('flushes on client activity: an <r/> from the phone releases what was held', () => {
    const result = run(csiScenario([{ do: 'send', client: 'bob', xml: inactive }, presence('1s', 'one'), { at: '5s', do: 'request-ack', client: 'bob' }]));
    // bytes/in runs before the <r/> is parsed: flush (and smacks' own <r/>), then the <a/> answer.
    expect(afterLogin(result.wire.bob)).toEqual([presenceOnWire('one', true), r, "<a h='1' xmlns='urn:xmpp:sm:3'/>"]);
    expect(result.events_.find((event) => event.type === 'csi.flush')).toMatchObject({ t: 5000, reason: 'client activity', held: 1 });
  });

  it('releases held stanzas on <active/>, and mod_smacks forces an <r/>', () => {
    const result = run(csiScenario([{ do: 'send', client: 'bob', xml: inactive }, presence('1s', 'one'), { at: '4s', do: 'send', client: 'bob', xml: active }]));
    expect(afterLogin(result.wire.bob)).toEqual([presenceOnWire('one', true), r]);
    expect(sendTimes(result.events_, 'presence').slice(-1)).toEqual([4000]);
  });

  it('after a flush, lets stanzas through for csi_resume_inactive_delay, then holds them again', () => {
    const steps = [{ do: 'send', client: 'bob', xml: inactive }, chat('2s', 'm1'), presence('3s', 'soon'), presence('9s', 'later'), { at: '20s', do: 'send', client: 'bob', xml: active }];
    const result = run(csiScenario(steps));
    // nothing was unacked when m1 flushed, so csi-flushing asked for nothing; m1's own <r/> follows it
    expect(afterLogin(result.wire.bob)).toEqual([chatOnWire('m1'), r, presenceOnWire('soon', false), r, presenceOnWire('later', true), r]);
    // the flush at 2 s drains; 5 s later (7 s) writes are paused again, so 'later' waits for <active/>
    expect(sendTimes(result.events_, 'presence').slice(-2)).toEqual([3000, 20_000]);
  });

  it('holds and flushes without Stream Management too (no <r/>)', () => {
    const doc = csiScenario([{ do: 'send', client: 'bob', xml: inactive }, presence('1s', 'one'), chat('3s', 'm1')]) as { script: Array<Record<string, unknown>> };
    doc.script[1] = { do: 'login', client: 'bob', sm: 'none' };
    const result = run(doc);
    expect((result.wire.bob ?? []).slice(1)).toEqual([presenceOnWire('one', true), chatOnWire('m1')]);
    expect(sendTimes(result.events_, 'presence').slice(-1)).toEqual([3000]);
  });
});

describe('CSI and mod_smacks', () => {
  const resumeInactive = [
    { do: 'send', client: 'bob', xml: inactive },
    { at: '1s', do: 'disconnect', client: 'bob' },
    { at: '2s', do: 'resume', client: 'bob' },
  ];

  it('keeps the inactive threshold after a resume: no <r/> until smacks_max_inactive_unacked_stanzas are exceeded; <active/> forces one', () => {
    const steps = [...resumeInactive, presence('3s', '1'), presence('4s', '2'), presence('5s', '3'), presence('6s', '4'), presence('7s', '5'), { at: '8s', do: 'send', client: 'bob', xml: active }];
    // csi_resume_inactive_delay is raised so that only mod_smacks' threshold is at work (see the next test)
    const result = run(csiScenario(steps, { smacks_max_inactive_unacked_stanzas: 3, csi_resume_inactive_delay: 60 }));
    expect(afterLogin(result.wire.bob)).toEqual([
      "<resumed h='1' previd='SMID1' xmlns='urn:xmpp:sm:3'/>",
      r,
      presenceOnWire('1', false),
      presenceOnWire('2', false),
      presenceOnWire('3', false),
      presenceOnWire('4', false),
      r,
      presenceOnWire('5', false),
      r,
    ]);
    const bobRs = result.events_.filter((event) => event.type === 'smacks.r' && event.jid === 'bob@localhost/phone');
    expect(bobRs.map((event) => event.t)).toEqual([0, 2000, 6000, 8000]);
  });

  it('COMPAT: after resuming an inactive session, writes stall csi_resume_inactive_delay later, with no filter left to flush them, until a CSI nonza', () => {
    // pre-resource-unbind removed mod_csi_simple's filters, resume kept state "inactive"; the first drain
    // on the new connection arms resume_optimizations, which pauses writes 5 s later.
    const steps = [...resumeInactive, presence('3s', 'live'), chat('8s', 'm1'), { at: '9s', do: 'request-ack', client: 'bob' }, { at: '20s', do: 'send', client: 'bob', xml: active }];
    const result = run(csiScenario(steps));
    expect(afterLogin(result.wire.bob)).toEqual([
      "<resumed h='1' previd='SMID1' xmlns='urn:xmpp:sm:3'/>",
      r,
      presenceOnWire('live', false),
      chatOnWire('m1'),
      "<a h='1' xmlns='urn:xmpp:sm:3'/>",
      r,
    ]);
    expect(sendTimes(result.events_, 'message')).toEqual([20_000]);
    expect(sendTimes(result.events_, 'a')).toEqual([20_000]);
  });
});
