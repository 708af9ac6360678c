/**
 * Historic bugs as switches (smacks/bugs.ts, spec §15). Every switch has a scenario in sims/bugs/<id>.json
 * that turns it on in its `server` block; each test runs that file twice with seed 1, as written and
 * with `bugs: []`, and asserts the concrete difference: a lost or duplicated message in the ledger,
 * an <r/> missing on the wire, a session destroyed early.
 */
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/scenario/errors.js';
import { readScenario } from '../../src/scenario/schema.js';
import { checkCombinedSettings, parseBugArgument, parseSetArgument, parseSetting, settingsDefault } from '../../src/scenario/settings.js';
import { BugSet, bugCatalogue, bugIds } from '../../src/smacks/bugs.js';
import { World } from '../../src/world/world.js';
import { type RunOutput, loadSim, run } from '../helpers.js';
import { a, eventsOf, failedNotFound, r, streamClose, streamError } from './sm-scenario.js';

const on = (id: string): RunOutput => run(`bugs/${id}.json`);
const off = (id: string): RunOutput => run(`bugs/${id}.json`, 1, { bugs: [] });
const fates = (result: RunOutput): string[][] => result.fates.map(({ id, fate }) => [id, fate]);
const bugNotes = (result: RunOutput): Array<[number, string]> => eventsOf(result.events_, 'smacks.bug').map((event) => [event.t, event.id]);
const destroyed = (result: RunOutput): Array<[number, string]> => eventsOf(result.events_, 'session.destroy').map((event) => [event.t, event.reason]);
const expiredAt = (result: RunOutput): number[] => eventsOf(result.events_, 'smacks.expire').map((event) => event.t);

const enabled = (max = 600): string => `<enabled id='SMID1' max='${max}' resume='true' xmlns='urn:xmpp:sm:3'/>`;
const resumed = (h: number): string => `<resumed h='${h}' previd='SMID1' xmlns='urn:xmpp:sm:3'/>`;
const ownPresence = (jid: string): string => `<presence from='${jid}' xml:lang='en'/>`;
const toLaptop = (id: string, body: string, delayed = false): string =>
  `<message from='alice@localhost/phone' id='${id}' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>${body}</body>${delayed ? "<delay from='bob@localhost' xmlns='urn:xmpp:delay'/>" : ''}</message>`;
/** The last step of sims/bugs/C-2.json (a fresh login) replaced by a resume that gives up after 5 s. */
const resumeStep = readScenario('(test)', {
  name: 'step',
  accounts: ['bob'],
  clients: { bob: { account: 'bob' } },
  script: [{ do: 'resume', client: 'bob', timeout: '5s' }],
}).script[0]!;
const pingError = (condition: string): string =>
  `<iq from='bob@localhost/laptop' id='ping1' to='alice@localhost/desk' type='error'><error type='cancel'><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`;

describe('the catalogue', () => {
  it('lists every switch once, with its variant, a one-line summary and a spec reference', () => {
    expect(bugCatalogue.map((info) => info.id)).toEqual([...bugIds]);
    for (const info of bugCatalogue) {
      expect(info.summary).not.toContain('\n');
      expect(info.spec).toMatch(/^spec §15 /);
    }
    expect(bugCatalogue.filter((info) => info.variant === 'core-0.12').map((info) => info.id)).toEqual(['B9', 'B15', 'B16', 'B18', 'B19', 'B20', 'B22', 'B23', 'B28', 'B30', 'C-2', 'M-1', 'M-2']);
    expect(bugCatalogue.filter((info) => info.variant === 'community').map((info) => info.id)).toEqual(['B1', 'B2', 'B6', 'B8', 'B11', 'B12', 'C-3']);
  });

  it('has a scenario for every switch that turns it on, and nothing else', () => {
    for (const id of bugIds) {
      const scenario = loadSim(`bugs/${id}.json`);
      expect(scenario.server.bugs).toEqual([id]);
      expect(scenario.description.length).toBeGreaterThan(200);
      expect(scenario.server.variant ?? 'core-0.12').toBe(bugCatalogue.find((info) => info.id === id)!.variant);
    }
  });

  it('a BugSet refuses to be asked about a bug of the other variant (a programming error)', () => {
    expect(() => new BugSet(['B19'], 'core-0.12').has('B8')).toThrow('B8 is a bug of variant community, asked by core-0.12');
    expect(new BugSet(['B19'], 'core-0.12').has('B19')).toBe(true);
    expect(new BugSet([], 'core-0.12').has('B19')).toBe(false);
  });
});

describe('the `bugs` setting', () => {
  it('reads a JSON list or a comma-separated --set value, in catalogue order, without repeats', () => {
    expect(parseSetting('test', 'server.bugs', 'bugs', ['B19', 'B9', 'B19'])).toEqual(['B9', 'B19']);
    expect(parseSetArgument('bugs=C-2, B16')).toEqual({ bugs: ['B16', 'C-2'] });
    expect(parseSetArgument('bugs=')).toEqual({ bugs: [] });
    expect(settingsDefault.bugs).toEqual([]);
  });

  it('refuses an unknown id, listing every id with its variant', () => {
    expect(() => parseSetting('f.json', 'server.bugs', 'bugs', ['B99'])).toThrow(
      'f.json: server.bugs: unknown bug "B99" (got ["B99"]); allowed: B1 (community), B2 (community), B6 (community), B8 (community), B9 (core-0.12)',
    );
    expect(() => parseSetting('f.json', 'server.bugs', 'bugs', 'B9')).not.toThrow();
    expect(() => parseSetting('f.json', 'server.bugs', 'bugs', { B9: true })).toThrow('f.json: server.bugs: expected a list of bug ids');
    expect(() => parseBugArgument('b19')).toThrow('--bug: b19: unknown bug "b19"; allowed: B1 (community)');
    expect(parseBugArgument('B19')).toBe('B19');
  });

  it('refuses a bug of the other variant, naming the variant it needs', () => {
    const refusal = (): void => checkCombinedSettings('f.json', { ...settingsDefault, bugs: ['B8', 'B19'] });
    expect(refusal).toThrow(ScenarioError);
    expect(refusal).toThrow(
      'f.json: server.bugs: B8 is a bug of variant community, and this run uses variant core-0.12 (got ["B8","B19"]); allowed: for core-0.12: B9, B15, B16, B18, B19, B20, B22, B23, B28, B30, C-2, M-1, M-2 (or set variant to the one the bug needs)',
    );
  });

  it('a run of a scenario whose bug belongs to the other variant is refused before it starts', () => {
    const scenario = readScenario('B8.json', { name: 'wrong-variant', server: { bugs: ['B8'] }, accounts: ['a'], clients: { a: { account: 'a' } }, script: [{ do: 'login', client: 'a' }] });
    expect(() => new World(scenario, { seed: 1 })).toThrow('wrong-variant: server.bugs: B8 is a bug of variant community, and this run uses variant core-0.12');
    expect(() => new World(scenario, { seed: 1, overrides: { variant: 'community' } })).not.toThrow();
  });

  it('is part of the run’s settings (so the replay command and --json carry it)', () => {
    expect(on('B19').settings.bugs).toEqual(['B19']);
    expect(off('B19').settings.bugs).toEqual([]);
  });
});

describe('community switches', () => {
  it('B1: the old hibernation timer destroys the new session that took over the resource; m1 goes offline instead of live', () => {
    const bug = on('B1');
    expect(bugNotes(bug)).toEqual([[31_000, 'B1']]);
    expect(destroyed(bug)).toEqual([
      [5000, 'Replaced by new connection'],
      [31_000, 'destroyed'],
    ]);
    expect(fates(bug)).toEqual([['m1', 'offline']]);
    const fixed = off('B1');
    expect(destroyed(fixed)).toEqual([[5000, 'Replaced by new connection']]);
    expect(fates(fixed)).toEqual([['m1', 'delivered']]);
  });

  it('B2: a clean logout leaves a ghost: presence until expiry, an iq swallowed without an answer', () => {
    const bug = on('B2');
    expect(bug.hibernation).toMatchObject({ started: 1, expired: 1 });
    expect(expiredAt(bug)).toEqual([31_000]);
    expect(bug.wire.alice).not.toContain(pingError('service-unavailable'));
    const fixed = off('B2');
    expect(fixed.hibernation).toMatchObject({ started: 0, expired: 0 });
    expect(fixed.wire.alice).toContain(pingError('service-unavailable'));
    // The laptop's session (and with it its presence) ends at expiry with the bug, at the logout with the fix.
    expect(destroyed(bug)).toEqual([[31_000, 'destroyed']]);
    expect(destroyed(fixed)).toEqual([[1000, 'destroyed']]);
  });

  it('B6: an <r/> is skipped when the queue is as long as at the last one; m2 stays unacked and comes back from offline storage', () => {
    const bug = on('B6');
    expect(bug.wire.bob).toEqual([enabled(), toLaptop('m1', 'one'), r, toLaptop('m2', 'two'), a(0), streamClose]);
    expect(fates(bug)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'duplicated'],
    ]);
    const fixed = off('B6');
    expect(fixed.wire.bob).toEqual([enabled(), toLaptop('m1', 'one'), r, toLaptop('m2', 'two'), r, a(0), streamClose]);
    expect(fates(fixed)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
    ]);
  });

  it('B8: the replay is queued again, so the next resumption sends m1 a second time', () => {
    const bug = on('B8');
    expect(bug.wire.bob).toEqual([enabled(), ownPresence('bob@localhost/laptop'), r, resumed(1), toLaptop('m1', 'one', true), r, resumed(1), toLaptop('m1', 'one', true), r]);
    expect(fates(bug)).toEqual([['m1', 'duplicated']]);
    expect(bug.queue.peak).toBe(2);
    const fixed = off('B8');
    expect(fixed.wire.bob).toEqual([enabled(), ownPresence('bob@localhost/laptop'), r, resumed(1), toLaptop('m1', 'one', true), r, resumed(1), r]);
    expect(fates(fixed)).toEqual([['m1', 'delivered']]);
    expect(fixed.queue.peak).toBe(1);
  });

  it('B11: an over-ack on resume empties the queue silently; m1 and m2 are lost instead of stored offline', () => {
    const bug = on('B11');
    expect(bug.wire.bob).toEqual([enabled(), resumed(0), r]);
    expect(fates(bug)).toEqual([
      ['m1', 'lost'],
      ['m2', 'lost'],
    ]);
    const fixed = off('B11');
    expect(fixed.wire.bob).toEqual([enabled(), resumed(0), a(0), streamError('undefined-condition', 'Client acknowledged more stanzas than sent by server'), streamClose]);
    expect(fates(fixed)).toEqual([
      ['m1', 'offline'],
      ['m2', 'offline'],
    ]);
  });

  it('B12: the push-deferred timeout re-arms with the elapsed time; the session expires at 3018 s instead of 2422 s', () => {
    const bug = on('B12');
    expect(eventsOf(bug.events_, 'push.sent').map((event) => event.t)).toEqual([1_822_000]);
    expect(bugNotes(bug)).toEqual([[2_420_000, 'B12']]);
    expect(expiredAt(bug)).toEqual([3_018_000]);
    const fixed = off('B12');
    expect(expiredAt(fixed)).toEqual([2_422_000]);
    expect(fates(bug)).toEqual(fates(fixed));
  });

  it('C-3: the queue is a ring of 5; m1 and m2 fall out of it while Bob hibernates and are lost instead of replayed', () => {
    const ids = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'];
    const bodies = ['one', 'two', 'three', 'four', 'five', 'six', 'seven'];
    const replay = (from: number): string[] => ids.slice(from).map((id, index) => toLaptop(id, bodies[from + index]!, true));
    const overflows = (result: RunOutput): Array<[number, string | undefined]> => eventsOf(result.events_, 'smacks.overflow').map((event) => [event.t, event.id]);
    const bug = on('C-3');
    expect(bugNotes(bug)).toEqual([
      [2000, 'C-3'],
      [2000, 'C-3'],
    ]);
    expect(overflows(bug)).toEqual([
      [2000, 'm1'],
      [2000, 'm2'],
    ]);
    expect(bug.wire.bob).toEqual([enabled(), resumed(0), ...replay(2), r]);
    expect(bug.queue.peak).toBe(5);
    expect(fates(bug)).toEqual(ids.map((id, index) => [id, index < 2 ? 'lost' : 'delivered']));
    const fixed = off('C-3');
    expect(overflows(fixed)).toEqual([]);
    expect(fixed.wire.bob).toEqual([enabled(), resumed(0), ...replay(0), r]);
    expect(fixed.queue.peak).toBe(7);
    expect(fates(fixed)).toEqual(ids.map((id) => [id, 'delivered']));
  });
});

describe('core switches', () => {
  it('B9: the replay is queued again, so the next resumption sends m1 a second time', () => {
    const bug = on('B9');
    expect(bug.wire.bob).toEqual([enabled(), ownPresence('bob@localhost/laptop'), r, resumed(1), toLaptop('m1', 'one', true), r, resumed(1), toLaptop('m1', 'one', true), r]);
    expect(fates(bug)).toEqual([['m1', 'duplicated']]);
    expect(bug.queue.peak).toBe(2);
    const fixed = off('B9');
    expect(fixed.wire.bob).toEqual([enabled(), ownPresence('bob@localhost/laptop'), r, resumed(1), toLaptop('m1', 'one', true), r, resumed(1), r]);
    expect(fates(fixed)).toEqual([['m1', 'delivered']]);
  });

  it('B15: a double destroy arms a second watchdog; the first destroys the resumed session at 71 s', () => {
    const bug = on('B15');
    expect(bugNotes(bug)).toEqual([[10_000, 'B15']]);
    expect(bug.hibernation).toMatchObject({ started: 2, resumed: 1, expired: 1 });
    expect(destroyed(bug)).toEqual([[71_000, 'Hibernating too long']]);
    expect(fates(bug)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'offline'],
    ]);
    const fixed = off('B15');
    expect(fixed.hibernation).toMatchObject({ started: 1, resumed: 1, expired: 0 });
    expect(destroyed(fixed)).toEqual([]);
    expect(fates(fixed)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
    ]);
  });

  it('B16: after the resumption no <r/> is ever sent; the next read timeout kicks the live session and m1–m3 come back from offline storage', () => {
    const bug = on('B16');
    expect(bug.wire.bob).toEqual([enabled(60), ownPresence('bob@localhost/laptop'), r, resumed(1), toLaptop('m1', 'one', true), toLaptop('m2', 'two'), toLaptop('m3', 'three')]);
    expect(bug.queue.peak).toBe(3);
    const bobsReadTimeouts = (result: RunOutput): Array<[number, boolean]> =>
      eventsOf(result.events_, 'session.read-timeout').filter((event) => event.jid === 'bob@localhost/laptop').map((event) => [event.t, event.kept]);
    expect(bobsReadTimeouts(bug)).toEqual([[65_000, false]]);
    expect(fates(bug)).toEqual([
      ['m1', 'duplicated'],
      ['m2', 'duplicated'],
      ['m3', 'duplicated'],
    ]);
    const fixed = off('B16');
    expect(fixed.wire.bob!.slice(0, 9)).toEqual([enabled(60), ownPresence('bob@localhost/laptop'), r, resumed(1), toLaptop('m1', 'one', true), r, toLaptop('m2', 'two'), r, toLaptop('m3', 'three')]);
    expect(fixed.queue.peak).toBe(1);
    expect(bobsReadTimeouts(fixed)).toEqual([
      [67_000, true],
      [127_000, true],
    ]);
    expect(fates(fixed)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
      ['m3', 'delivered'],
    ]);
  });

  it('B18: with expected h = unacked an <r/> is skipped when the count repeats; m2 stays unacked and comes back from offline storage', () => {
    const bug = on('B18');
    expect(bug.wire.bob).toEqual([enabled(), toLaptop('m1', 'one'), r, toLaptop('m2', 'two'), a(0), streamClose]);
    expect(eventsOf(bug.events_, 'smacks.r').map((event) => event.lastRequestedH)).toEqual([1, 1]);
    expect(fates(bug)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'duplicated'],
    ]);
    const fixed = off('B18');
    expect(fixed.wire.bob).toEqual([enabled(), toLaptop('m1', 'one'), r, toLaptop('m2', 'two'), r, a(0), streamClose]);
    expect(fates(fixed)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
    ]);
  });

  it('B19: stanzas to the expiring session are dropped instead of bounced; m1 is lost and Alice hears nothing', () => {
    const bug = on('B19');
    const dispositions = (result: RunOutput): string[][] => eventsOf(result.events_, 'smacks.dispose').map((event) => [event.id!, event.disposition]);
    expect(dispositions(bug)).toEqual([
      ['m1', 'drop'],
      ['ping1', 'drop'],
    ]);
    expect(fates(bug)).toEqual([['m1', 'lost']]);
    expect(bug.wire.alice!.filter((line) => line.includes("type='error'"))).toEqual([]);
    const fixed = off('B19');
    expect(dispositions(fixed)).toEqual([
      ['m1', 'bounce'],
      ['ping1', 'bounce'],
    ]);
    expect(fates(fixed)).toEqual([['m1', 'bounced']]);
    expect(fixed.wire.alice!.filter((line) => line.includes("type='error'"))).toEqual([
      "<message from='bob@localhost/laptop' id='m1' to='alice@localhost/desk' type='error'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
      pingError('recipient-unavailable'),
    ]);
  });

  it('B20: the s2s bounces are refused by the router; m2 and m3 are lost instead of bounced', () => {
    const bug = on('B20');
    expect(bugNotes(bug)).toEqual([
      [10_000, 'B20'],
      [10_000, 'B20'],
    ]);
    expect(fates(bug)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'lost'],
      ['m3', 'lost'],
    ]);
    expect(fates(off('B20'))).toEqual([
      ['m1', 'delivered'],
      ['m2', 'bounced'],
      ['m3', 'bounced'],
    ]);
  });

  it('B22: a clean logout hibernates; the laptop stays available until expiry and Alice’s iq gets no answer', () => {
    const bug = on('B22');
    expect(bug.hibernation).toMatchObject({ started: 1, expired: 1 });
    expect(destroyed(bug)).toEqual([[32_000, 'Hibernating too long']]);
    const laptopLogin = [enabled(30), ownPresence('bob@localhost/laptop'), r, "<presence from='bob@localhost/phone' to='bob@localhost/laptop' xml:lang='en'/>", r];
    // No final <a/>, and no </stream:stream> either: the hibernation closes the connection, then
    // mod_c2s closes it again, which drops what was still buffered.
    expect(bug.wire.laptop).toEqual(laptopLogin);
    expect(bug.wire.phone).toContain("<presence from='bob@localhost/laptop' to='bob@localhost/phone' type='unavailable'><status>Disconnected: Hibernating too long</status></presence>");
    expect(bug.wire.alice).not.toContain(pingError('service-unavailable'));
    const fixed = off('B22');
    expect(fixed.hibernation).toMatchObject({ started: 0, expired: 0 });
    expect(destroyed(fixed)).toEqual([[1000, 'destroyed']]);
    expect(fixed.wire.laptop).toEqual([...laptopLogin, a(1), streamClose]);
    expect(fixed.wire.phone).toContain("<presence from='bob@localhost/laptop' to='bob@localhost/phone' type='unavailable'/>");
    expect(fixed.wire.alice).toContain(pingError('service-unavailable'));
  });

  it('B23: the watchdog left running destroys the resumed session at 32 s; m2 goes offline instead of live', () => {
    const bug = on('B23');
    expect(bugNotes(bug)).toEqual([[5000, 'B23']]);
    expect(destroyed(bug)).toEqual([[32_000, 'Hibernating too long']]);
    expect(fates(bug)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'offline'],
    ]);
    const fixed = off('B23');
    expect(destroyed(fixed)).toEqual([]);
    expect(fates(fixed)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
    ]);
  });

  it('B28: closing the replaced connection hibernates the resuming session; its watchdog destroys it at 33 s', () => {
    const bug = on('B28');
    expect(bug.hibernation).toMatchObject({ started: 1, expired: 1, resumedLive: 1 });
    expect(destroyed(bug)).toEqual([[33_000, 'Hibernating too long']]);
    expect(fates(bug)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'offline'],
    ]);
    const fixed = off('B28');
    expect(fixed.hibernation).toMatchObject({ started: 0, expired: 0, resumedLive: 1 });
    expect(fates(fixed)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
    ]);
  });

  it('B30: a restart drops the hibernating session with its queue and its h; m1 is lost and the resume gets <failed> without h', () => {
    const failed = (h?: number): string =>
      `<failed${h === undefined ? '' : ` h='${h}'`} xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`;
    const bug = on('B30');
    expect(bug.wire.bob).toContain(failed());
    expect(fates(bug)).toEqual([['m1', 'lost']]);
    const fixed = off('B30');
    expect(fixed.wire.bob).toContain(failed(1));
    expect(fates(fixed)).toEqual([['m1', 'offline']]);
  });

  it('C-2: the second destroy of the hibernating session loses m1 instead of storing it offline', () => {
    const bug = on('C-2');
    expect(bugNotes(bug)).toEqual([[10_000, 'C-2']]);
    expect(destroyed(bug)).toEqual([[10_000, 'read timeout']]);
    expect(eventsOf(bug.events_, 'smacks.dispose')).toEqual([]);
    expect(fates(bug)).toEqual([['m1', 'lost']]);
    const fixed = off('C-2');
    expect(destroyed(fixed)).toEqual([[25_000, 'Replaced by new connection']]);
    expect(fates(fixed)).toEqual([['m1', 'offline']]);
  });

  it('M-1: a stale <a h> moves the counter back; the next ack removes m3, which Bob never got, and the resume replays nothing', () => {
    const bobsAcks = (result: RunOutput): Array<[number, number, number]> =>
      eventsOf(result.events_, 'smacks.a')
        .filter((event) => event.jid === 'bob@localhost/laptop')
        .map((event) => [event.t, event.h, event.unacked]);
    const bug = on('M-1');
    expect(bugNotes(bug)).toEqual([[2000, 'M-1']]);
    // h='1' after h='2' is accepted; Bob's true h='2' at 3 s then counts m3 (held in the frozen path) as handled.
    expect(bobsAcks(bug)).toEqual([
      [0, 1, 0],
      [1000, 2, 0],
      [2000, 1, 0],
      [3000, 2, 0],
      [5000, 2, 0],
    ]);
    expect(bug.wire.bob).toEqual([enabled(), toLaptop('m1', 'one'), r, toLaptop('m2', 'two'), r, resumed(0), r]);
    expect(eventsOf(bug.events_, 'smacks.hibernation-end').map((event) => event.replayed)).toEqual([0]);
    expect(fates(bug)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
      ['m3', 'lost'],
    ]);
    const fixed = off('M-1');
    expect(fixed.wire.bob).toEqual([
      enabled(),
      toLaptop('m1', 'one'),
      r,
      toLaptop('m2', 'two'),
      r,
      a(0),
      streamError('undefined-condition', 'Client acknowledged less stanzas than already acknowledged'),
      streamClose,
      failedNotFound(),
    ]);
    expect(destroyed(fixed)).toEqual([[2000, 'Client acknowledged less stanzas than already acknowledged']]);
    expect(fates(fixed)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
      ['m3', 'offline'],
    ]);
  });

  it('M-2: the tablet’s <enable> evicts the laptop; its resume gets <failed h=0> frozen at eviction, and m2 comes again from offline storage', () => {
    const toLaptopM2 = toLaptop('m2', 'to the laptop');
    const bug = on('M-2');
    expect(bugNotes(bug)).toEqual([[0, 'M-2']]);
    expect(eventsOf(bug.events_, 'smacks.evict').map((event) => [event.t, event.jid, event.h])).toEqual([[0, 'bob@localhost/laptop', 0]]);
    // The evicted session keeps working (m1 out, m2 in) and still hibernates, but cannot be resumed.
    expect(bug.wire.laptop).toEqual([enabled(60), toLaptopM2, r, failedNotFound(0)]);
    // It had handled m1 by then: the h it reaches at expiry is 1.
    expect(eventsOf(bug.events_, 'smacks.expire').map((event) => [event.t, event.jid, event.h])).toEqual([[64_000, 'bob@localhost/laptop', 1]]);
    expect(bug.hibernation).toMatchObject({ started: 1, resumed: 0, expired: 1, evicted: 1 });
    expect(fates(bug)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'duplicated'],
    ]);
    const fixed = off('M-2');
    expect(eventsOf(fixed.events_, 'smacks.evict')).toEqual([]);
    expect(fixed.wire.laptop).toEqual([enabled(60), toLaptopM2, r, "<resumed h='1' previd='SMID1' xmlns='urn:xmpp:sm:3'/>", r]);
    expect(fixed.hibernation).toMatchObject({ started: 1, resumed: 1, expired: 0, evicted: 0 });
    expect(fates(fixed)).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
    ]);
  });

  it('C-2 then B25: a <resume> finds the dead session still registered and gets no answer at all', () => {
    const scenario = loadSim('bugs/C-2.json');
    const script = [...scenario.script.slice(0, -1), resumeStep];
    const bug = run({ ...scenario, script }, 1);
    expect(bugNotes(bug)).toEqual([
      [10_000, 'C-2'],
      [25_000, 'C-2'],
    ]);
    expect(bug.scriptTimeouts).toEqual([5]);
    expect(bug.wire.bob).toEqual([enabled(60), ownPresence('bob@localhost/laptop'), r]);
    const fixed = run({ ...scenario, script }, 1, { bugs: [] });
    expect(fixed.scriptTimeouts).toEqual([]);
    expect(fixed.wire.bob).toEqual([enabled(60), ownPresence('bob@localhost/laptop'), r, resumed(1), toLaptop('m1', 'one', true), r]);
  });
});
