/**
 * Every scenario shipped in sims/ loads and runs to rest with seed 1, and every option scenario in
 * sims/options/ (plus the older sims the README's settings table points at) changes its outcome the
 * way its description says: each is run with the option's default and with the value the description
 * names, and the difference is asserted as a wire line, a count or the time of a trace event.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readScenario, type Scenario } from '../../src/scenario/schema.js';
import { type Settings, settingNames, settingsDefault } from '../../src/scenario/settings.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { type RunOutput, repoRoot, run, runAsync, simsPath } from '../helpers.js';

/** sims/ paths (relative to sims/) of every JSON file, recursively, sorted. */
function simFiles(folder = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(simsPath(folder), { withFileTypes: true })) {
    const relative = folder === '' ? entry.name : `${folder}/${entry.name}`;
    if (entry.isDirectory()) files.push(...simFiles(relative));
    else if (entry.name.endsWith('.json')) files.push(relative);
  }
  return files.sort();
}

/**
 * Population scenarios cost wall time in proportion to client-hours: the default mobile day (20
 * phones × 24 h) takes about 0.3 s. Anything larger is run with a shorter safety phase.
 */
const clientHoursMax = 20 * 24;

function loadShortened(relative: string): Scenario {
  const scenario = readScenario(simsPath(relative), JSON.parse(readFileSync(simsPath(relative), 'utf8')));
  const clients = scenario.groups.reduce((sum, group) => sum + group.count, 0);
  if (clients === 0) return scenario;
  const durationMsMax = Math.floor(clientHoursMax / clients) * 3_600_000;
  return scenario.durationMs > durationMsMax ? { ...scenario, durationMs: Math.max(3_600_000, durationMsMax) } : scenario;
}

describe('every scenario in sims/', () => {
  const files = simFiles();

  it('includes one sims/options/<setting>.json per setting that no older sim shows', () => {
    // bugs: one scenario per switch in sims/bugs/ (test/smacks/bugs.test.ts).
    const shownElsewhere = ['smacks_hibernation_time', 'smacks_s2s_resend', 'cloud_notify', 'read_timeout', 'bugs'];
    const unshowable: string[] = [];
    const expected = settingNames.filter((name) => !shownElsewhere.includes(name) && !unshowable.includes(name)).map((name) => `options/${name}.json`);
    expect(files.filter((file) => file.startsWith('options/'))).toEqual(expected.sort());
  });

  it.each(files)('%s loads and settles with seed 1', async (file) => {
    const result = await runAsync(loadShortened(file), 1);
    expect(result.settled).toBe(true);
    expect(result.scriptTimeouts).toEqual([]);
  });

  it.each(files.filter((file) => file.startsWith('options/')))('%s is named after its setting and says how to change it', (file) => {
    const doc = JSON.parse(readFileSync(`${repoRoot}sims/${file}`, 'utf8')) as { name: string; description: string };
    expect(`options/${doc.name}.json`).toBe(file);
    expect(settingNames).toContain(doc.name);
    expect(doc.description).toContain(`--set ${doc.name}=`);
  });
});

// ---- helpers for the option tests ----

const r = "<r xmlns='urn:xmpp:sm:3'/>";

/** A wire in short: `<r/>`, a message's id (with `+delay` when it carries a <delay>), or the element's name. */
function shape(wire: readonly string[] | undefined): string[] {
  return (wire ?? []).map((line) => {
    if (line === r) return '<r/>';
    const name = /^<\/?([\w:-]+)/.exec(line)?.[1] ?? line;
    const id = / id='([^']*)'/.exec(line)?.[1];
    if (name === 'message' && id !== undefined) return line.includes("xmlns='urn:xmpp:delay'") ? `${id}+delay` : id;
    return line === '</stream:stream>' ? line : name;
  });
}

function timesOf(events: readonly TraceEvent[], type: TraceEvent['type']): number[] {
  return events.filter((event) => event.type === type).map((event) => event.t);
}

function fates(result: RunOutput): Record<string, string> {
  return Object.fromEntries(result.fates.map(({ id, fate }) => [id, fate]));
}

function errorsTo(result: RunOutput, client: string): string[] {
  return (result.wire[client] ?? []).filter((line) => line.includes("type='error'"));
}

function option(name: string, seed = 1, overrides: Partial<Settings> = {}): RunOutput {
  return run(`options/${name}.json`, seed, overrides);
}

const failed = (h?: number): string =>
  `<failed${h === undefined ? '' : ` h='${h}'`} xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`;

// ---- smacks_* ----

describe('smacks_max_unacked_stanzas (sims/options/smacks_max_unacked_stanzas.json)', () => {
  const messages = Array.from({ length: 12 }, (_, index) => `m${index + 1}`);

  it('smacks_max_unacked_stanzas: 0 (default) means an <r/> after every stanza', () => {
    const result = option('smacks_max_unacked_stanzas');
    expect(settingsDefault.smacks_max_unacked_stanzas).toBe(0);
    expect(shape(result.wire.bob)).toEqual(['enabled', 'presence', '<r/>', ...messages.flatMap((id) => [id, '<r/>'])]);
    expect(result.acks.requested).toBe(14);
  });

  it('smacks_max_unacked_stanzas: 5 means one <r/> per six stanzas', () => {
    const result = option('smacks_max_unacked_stanzas', 1, { smacks_max_unacked_stanzas: 5 });
    expect(shape(result.wire.bob)).toEqual(['enabled', 'presence', 'm1', 'm2', 'm3', 'm4', 'm5', '<r/>', 'm6', 'm7', 'm8', 'm9', 'm10', 'm11', '<r/>', 'm12']);
    expect(result.acks.requested).toBe(2);
    expect(result.messages).toMatchObject({ sent: 12, delivered: 12 });
  });
});

describe('smacks_max_inactive_unacked_stanzas (sims/options/smacks_max_inactive_unacked_stanzas.json)', () => {
  it('smacks_max_inactive_unacked_stanzas: 256 (default) asks nothing of a resumed inactive client until <active/>', () => {
    const result = option('smacks_max_inactive_unacked_stanzas');
    expect(shape(result.wire.bob).slice(3)).toEqual(['resumed', '<r/>', 'm1', 'm2', 'm3', 'm4', 'm5', '<r/>']);
    expect(timesOf(result.events_, 'smacks.r').filter((t) => t >= 3000)).toEqual([6000]);
  });

  it('smacks_max_inactive_unacked_stanzas: 2 asks once more than two stanzas are unacked', () => {
    const result = option('smacks_max_inactive_unacked_stanzas', 1, { smacks_max_inactive_unacked_stanzas: 2 });
    expect(shape(result.wire.bob).slice(3)).toEqual(['resumed', '<r/>', 'm1', 'm2', 'm3', '<r/>', 'm4', 'm5', '<r/>']);
    expect(timesOf(result.events_, 'smacks.r').filter((t) => t >= 3000)).toEqual([4000, 6000]);
  });
});

describe('smacks_max_ack_delay (sims/options/smacks_max_ack_delay.json)', () => {
  it('smacks_max_ack_delay: 30 (default) fires smacks-ack-delayed 30 s after the unanswered <r/>', () => {
    const result = option('smacks_max_ack_delay');
    expect(result.events_.filter((event) => event.type === 'smacks.r' && event.jid === 'bob@localhost/phone').map((event) => event.t)).toEqual([0, 10_000]);
    expect(result.events_.filter((event) => event.type === 'smacks.ack-delayed')).toEqual([{ t: 40_000, type: 'smacks.ack-delayed', jid: 'bob@localhost/phone', unacked: 1 }]);
    expect(result.acks.delayed).toBe(1);
  });

  it('smacks_max_ack_delay: 5 fires it at 15 s; 0 never', () => {
    expect(timesOf(option('smacks_max_ack_delay', 1, { smacks_max_ack_delay: 5 }).events_, 'smacks.ack-delayed')).toEqual([15_000]);
    const never = option('smacks_max_ack_delay', 1, { smacks_max_ack_delay: 0 });
    expect(timesOf(never.events_, 'smacks.ack-delayed')).toEqual([]);
    expect(never.acks.delayed).toBe(0);
  });

  it('smacks_max_ack_delay: a late ack changes nothing on the wire', () => {
    expect(option('smacks_max_ack_delay', 1, { smacks_max_ack_delay: 5 }).wire).toEqual(option('smacks_max_ack_delay').wire);
  });
});

describe('smacks_max_queue_size (sims/options/smacks_max_queue_size.json)', () => {
  it('smacks_max_queue_size: 500 (default) keeps all three messages for the resume', () => {
    const result = option('smacks_max_queue_size');
    expect(shape(result.wire.bob).slice(3)).toEqual(['resumed', 'm1+delay', 'm2+delay', 'm3+delay', '<r/>']);
    expect(result.hibernation).toMatchObject({ started: 1, resumed: 1 });
    expect(fates(result)).toEqual({ m1: 'delivered', m2: 'delivered', m3: 'delivered' });
  });

  it("smacks_max_queue_size: 2 drops m1 from the ring, and the resume fails with resource-constraint", () => {
    const result = option('smacks_max_queue_size', 1, { smacks_max_queue_size: 2 });
    // The <failed h previd/>, <a/> and stream error are written but lost to the second close() of the
    // connection (server_epoll): Bob sees nothing after his <resume/> (conformance: queue-overflow-resume).
    expect((result.wire.bob ?? []).slice(3)).toEqual([]);
    expect(result.events_.find((event) => event.type === 'smacks.resume-failed')).toMatchObject({ condition: 'resource-constraint', h: 1 });
    expect(result.events_.filter((event) => event.type === 'smacks.overflow')).toEqual([{ t: 1000, type: 'smacks.overflow', jid: 'bob@localhost/laptop', id: 'm1' }]);
    expect(fates(result)).toEqual({ m1: 'lost', m2: 'offline', m3: 'offline' });
  });

  it('smacks_max_queue_size: the community variant ignores it (unbounded queue)', () => {
    const result = option('smacks_max_queue_size', 1, { smacks_max_queue_size: 2, variant: 'community' });
    expect(result.hibernation).toMatchObject({ started: 1, resumed: 1 });
    expect(fates(result)).toEqual({ m1: 'delivered', m2: 'delivered', m3: 'delivered' });
  });
});

describe('smacks_max_hibernated_sessions (sims/options/smacks_max_hibernated_sessions.json, community)', () => {
  it('smacks_max_hibernated_sessions: 10 (default) keeps the laptop resumable next to the phone', () => {
    const result = option('smacks_max_hibernated_sessions');
    expect(result.variant).toBe('community');
    expect(shape(result.wire.laptop).slice(3, 5)).toEqual(['resumed', 'm1+delay']);
    expect(result.hibernation).toMatchObject({ resumed: 1, evicted: 0 });
    expect(fates(result)).toEqual({ m1: 'delivered' });
  });

  it("smacks_max_hibernated_sessions: 1 evicts the laptop when the phone enables SM: <failed h='1'>, m1 bounced at expiry", () => {
    const result = option('smacks_max_hibernated_sessions', 1, { smacks_max_hibernated_sessions: 1 });
    expect(result.events_.filter((event) => event.type === 'smacks.evict')).toEqual([{ t: 20_000, type: 'smacks.evict', jid: 'bob@localhost/laptop', h: 1 }]);
    expect(result.wire.laptop).toContain(failed(1));
    expect(timesOf(result.events_, 'smacks.hibernation-start')).toEqual([10_000]);
    expect(timesOf(result.events_, 'smacks.expire')).toEqual([70_000]);
    expect(errorsTo(result, 'alice')).toEqual([
      "<message from='bob@localhost/laptop' id='m1' to='alice@localhost/desk' type='error'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ]);
    expect(fates(result)).toEqual({ m1: 'bounced' });
  });

  it('smacks_max_hibernated_sessions: core 0.12 ignores it', () => {
    const result = option('smacks_max_hibernated_sessions', 1, { smacks_max_hibernated_sessions: 1, variant: 'core-0.12' });
    expect(result.hibernation).toMatchObject({ resumed: 1, evicted: 0 });
  });
});

describe('smacks_max_old_sessions (sims/options/smacks_max_old_sessions.json)', () => {
  it("smacks_max_old_sessions: 10 (default) keeps the expired laptop's h: <failed h='1'>", () => {
    const result = option('smacks_max_old_sessions');
    expect(timesOf(result.events_, 'smacks.expire')).toEqual([7000]);
    expect((result.wire.laptop ?? []).slice(3)).toEqual([failed(1)]);
  });

  it("smacks_max_old_sessions: 0 prunes it at the phone's <enable/>: <failed> without h", () => {
    const result = option('smacks_max_old_sessions', 1, { smacks_max_old_sessions: 0 });
    expect((result.wire.laptop ?? []).slice(3)).toEqual([failed()]);
  });
});

describe('push_max_hibernation_timeout (sims/options/push_max_hibernation_timeout.json)', () => {
  it('push_max_hibernation_timeout: 72 h (default) keeps a silent push session for two hours', () => {
    const result = option('push_max_hibernation_timeout');
    expect(timesOf(result.events_, 'smacks.hibernation-start')).toEqual([20_000]);
    expect(timesOf(result.events_, 'smacks.expire')).toEqual([]);
    expect(result.wire.bob).toContain("<resumed h='2' previd='SMID1' xmlns='urn:xmpp:sm:3'/>");
  });

  it('push_max_hibernation_timeout: 3600 expires it an hour and a second after hibernation began', () => {
    const result = option('push_max_hibernation_timeout', 1, { push_max_hibernation_timeout: 3600 });
    expect(timesOf(result.events_, 'smacks.expire')).toEqual([20_000 + 3_601_000]);
    expect(result.wire.bob).toContain(failed(2));
  });

  it('push_max_hibernation_timeout: the community variant ignores it (it re-arms smacks_hibernation_time until a push)', () => {
    const result = option('push_max_hibernation_timeout', 1, { push_max_hibernation_timeout: 3600, variant: 'community' });
    expect(timesOf(result.events_, 'smacks.expire')).toEqual([]);
    expect(result.hibernation).toMatchObject({ started: 1, resumed: 1 });
  });

  it('push_max_hibernation_timeout: without mod_cloud_notify smacks_hibernation_time rules', () => {
    expect(timesOf(option('push_max_hibernation_timeout', 1, { cloud_notify: false }).events_, 'smacks.expire')).toEqual([20_000 + 601_000]);
  });
});

// ---- core settings and modules ----

describe('conflict_resolve (sims/options/conflict_resolve.json)', () => {
  const binds = (result: RunOutput): string[] => result.events_.flatMap((event) => (event.type === 'session.bind' ? [event.jid] : []));

  it('conflict_resolve: kick_old (default) closes the old session with conflict; the new one gets m1', () => {
    const result = option('conflict_resolve');
    expect((result.wire.old ?? []).slice(3)).toEqual([
      "<a h='1' xmlns='urn:xmpp:sm:3'/>",
      "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Replaced by new connection</text></stream:error>",
      '</stream:stream>',
    ]);
    expect(shape(result.wire.new)).toContain('m1');
  });

  it('conflict_resolve: kick_new refuses the new bind with <conflict/>; the old laptop gets m1', () => {
    const result = option('conflict_resolve', 1, { conflict_resolve: 'kick_new' });
    expect(result.wire.new).toEqual(["<iq id='SRV1' type='error'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"]);
    expect(shape(result.wire.old)).toContain('m1');
  });

  it('conflict_resolve: increment binds laptop#1, random a random resource; both stay online', () => {
    const increment = option('conflict_resolve', 1, { conflict_resolve: 'increment' });
    expect(binds(increment)).toEqual(['alice@localhost/desk', 'bob@localhost/laptop', 'bob@localhost/laptop#1']);
    expect(shape(increment.wire.old)).toContain('m1');
    expect(shape(increment.wire.new)).not.toContain('m1');
    const random = binds(option('conflict_resolve', 1, { conflict_resolve: 'random' }));
    expect(random[2]).toMatch(/^bob@localhost\/[\w-]{8}$/);
  });
});

describe('offline (sims/options/offline.json)', () => {
  it('offline: true (default) stores the message and hands it over at login', () => {
    const result = option('offline');
    expect(result.wire.bob).toContain(
      "<message from='alice@localhost/desk' id='m1' to='bob@localhost' type='chat' xml:lang='en'><body>call me when you are back</body><delay from='localhost' xmlns='urn:xmpp:delay'/></message>",
    );
    expect(fates(result)).toEqual({ m1: 'offline' });
  });

  it('offline: false bounces it with service-unavailable', () => {
    const result = option('offline', 1, { offline: false });
    expect(errorsTo(result, 'alice')).toEqual([
      "<message from='bob@localhost' id='m1' to='alice@localhost/desk' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ]);
    expect(shape(result.wire.bob)).not.toContain('m1');
    expect(fates(result)).toEqual({ m1: 'bounced' });
  });
});

describe('nooffline_noerror (sims/options/nooffline_noerror.json)', () => {
  it('nooffline_noerror: false (default) lets the service-unavailable error through', () => {
    const result = option('nooffline_noerror');
    expect(errorsTo(result, 'alice')).toHaveLength(1);
    expect(fates(result)).toEqual({ m1: 'bounced' });
  });

  it('nooffline_noerror: true swallows it, and the message is lost', () => {
    const result = option('nooffline_noerror', 1, { nooffline_noerror: true });
    expect(errorsTo(result, 'alice')).toEqual([]);
    expect(fates(result)).toEqual({ m1: 'lost' });
  });
});

describe('csi (sims/options/csi.json)', () => {
  it('csi: true (default) holds the presence update until the chat message flushes it', () => {
    const result = option('csi');
    expect((result.wire.bob ?? []).slice(3)).toEqual([
      "<presence from='alice@localhost/desk' to='bob@localhost/phone' xml:lang='en'><status>in a meeting</status><delay from='bob@localhost' xmlns='urn:xmpp:delay'/></presence>",
      r,
      "<message from='alice@localhost/desk' id='m1' to='bob@localhost/phone' type='chat' xml:lang='en'><body>lunch?</body></message>",
      r,
    ]);
    expect(result.events_.filter((event) => event.type === 'csi.flush')).toEqual([{ t: 10_000, type: 'csi.flush', jid: 'bob@localhost/phone', reason: 'body', held: 1 }]);
  });

  it('csi: false closes the stream at <inactive/> with unsupported-stanza-type', () => {
    const result = option('csi', 1, { csi: false });
    expect((result.wire.bob ?? []).slice(3)).toEqual([
      "<a h='1' xmlns='urn:xmpp:sm:3'/>",
      "<stream:error><unsupported-stanza-type xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
      '</stream:stream>',
    ]);
    expect(fates(result)).toEqual({ m1: 'offline' });
  });
});

describe('csi_queue_size (sims/options/csi_queue_size.json)', () => {
  it('csi_queue_size: 256 (default) holds all four updates until <active/>', () => {
    const result = option('csi_queue_size');
    expect(shape(result.wire.bob).slice(3)).toEqual(['presence', 'presence', 'presence', 'presence', '<r/>']);
    expect((result.wire.bob ?? []).slice(3, 7).every((line) => line.includes("<delay from='bob@localhost'"))).toBe(true);
    // the bytes of <active/> flush the four as client activity
    expect(result.events_.filter((event) => event.type === 'csi.flush')).toEqual([{ t: 10_000, type: 'csi.flush', jid: 'bob@localhost/phone', reason: 'client activity', held: 4 }]);
  });

  it('csi_queue_size: 2 flushes at the third update; the third and fourth go out live', () => {
    const result = option('csi_queue_size', 1, { csi_queue_size: 2 });
    const held = (result.wire.bob ?? []).slice(3).map((line) => (line === r ? '<r/>' : `${/<status>(\w+)/.exec(line)?.[1]}${line.includes('urn:xmpp:delay') ? '+delay' : ''}`));
    expect(held).toEqual(['one+delay', 'two+delay', '<r/>', 'three', '<r/>', 'four', '<r/>', '<r/>']);
    expect(result.events_.find((event) => event.type === 'csi.flush')).toMatchObject({ t: 3000, reason: 'queue size limit reached', held: 2 });
  });
});

describe('csi_resume_inactive_delay (sims/options/csi_resume_inactive_delay.json)', () => {
  const update = (status: string, isHeld: boolean): string =>
    `<presence from='alice@localhost/desk' to='bob@localhost/phone' xml:lang='en'><status>${status}</status>${isHeld ? "<delay from='bob@localhost' xmlns='urn:xmpp:delay'/>" : ''}</presence>`;

  const states = (result: RunOutput): Array<[number, string]> => result.events_.flatMap((event) => (event.type === 'csi.state' ? [[event.t, event.state] as [number, string]] : []));

  it('csi_resume_inactive_delay: 5 (default) holds the update that comes 8 s after the flush', () => {
    const result = option('csi_resume_inactive_delay');
    expect(result.wire.bob).toContain(update('at lunch', false));
    expect(result.wire.bob).toContain(update('back at my desk', true));
    expect(states(result)).toEqual([[0, 'inactive'], [7000, 'inactive'], [20_000, 'active']]);
  });

  it('csi_resume_inactive_delay: 10 lets it through live', () => {
    const result = option('csi_resume_inactive_delay', 1, { csi_resume_inactive_delay: 10 });
    expect(result.wire.bob).toContain(update('back at my desk', false));
    expect(states(result)).toEqual([[0, 'inactive'], [12_000, 'inactive'], [20_000, 'active']]);
  });
});

describe('mam (sims/options/mam.json)', () => {
  const dispositions = (result: RunOutput): Array<[string, string]> =>
    result.events_.flatMap((event) => (event.type === 'smacks.dispose' && event.id !== undefined ? [[event.id, event.disposition] as [string, string]] : []));

  it('mam: false (default) refuses the query, and m2 goes to offline storage at expiry', () => {
    const result = option('mam');
    expect(result.wire.bob).toContain("<iq id='mam1' to='bob@localhost/laptop' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
    expect(result.wire.bob).toContain("<message from='alice@localhost/desk' id='m1' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>seen live</body></message>");
    expect(dispositions(result)).toEqual([['m2', 'offline']]);
    expect(fates(result)).toEqual({ m1: 'delivered', m2: 'offline' });
  });

  it('mam: true stamps <stanza-id> and drops m2 at expiry for the session that queried the archive', () => {
    const result = option('mam', 1, { mam: true });
    expect(result.wire.bob).toContain(
      "<message from='alice@localhost/desk' id='m1' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>seen live</body><stanza-id by='bob@localhost' id='SRV1' xmlns='urn:xmpp:sid:0'/></message>",
    );
    expect(dispositions(result)).toEqual([['m2', 'drop']]);
    expect(fates(result)).toEqual({ m1: 'delivered', m2: 'lost' });
  });
});

describe('smacks_enabled_s2s (sims/options/smacks_enabled_s2s.json)', () => {
  it('smacks_enabled_s2s: true (default) bounces the message lost on the s2s link', () => {
    const result = option('smacks_enabled_s2s');
    expect(result.events_.filter((event) => event.type === 'smacks.enable' && event.jid.startsWith('s2s'))).toHaveLength(2);
    expect(errorsTo(result, 'alice')).toEqual([
      "<message from='bob@remote.example/laptop' id='m2' to='alice@localhost/desk' type='error'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ]);
    expect(fates(result)).toMatchObject({ m1: 'delivered', m2: 'bounced' });
  });

  it('smacks_enabled_s2s: false negotiates no SM, and the message is lost without an error', () => {
    const result = option('smacks_enabled_s2s', 1, { smacks_enabled_s2s: false });
    expect(result.events_.filter((event) => event.type === 'smacks.enable' && event.jid.startsWith('s2s'))).toEqual([]);
    expect(errorsTo(result, 'alice')).toEqual([]);
    expect(fates(result)).toMatchObject({ m1: 'delivered', m2: 'lost' });
  });
});

describe('variant (sims/options/variant.json)', () => {
  const hibernationMs = (result: RunOutput): number => timesOf(result.events_, 'smacks.expire')[0]! - timesOf(result.events_, 'smacks.hibernation-start')[0]!;

  it("variant: core-0.12 (default): <enabled/> without max, expiry after 31 s, <failed h='1'> after the restart", () => {
    const result = option('variant');
    expect(result.wire.alice?.[0]).toBe("<enabled xmlns='urn:xmpp:sm:3'/>");
    expect(hibernationMs(result)).toBe(31_000);
    expect((result.wire.bob ?? []).slice(3)).toEqual([failed(1)]);
  });

  it("variant: community: <enabled max='30'/>, expiry after exactly 30 s, <failed> without h", () => {
    const result = option('variant', 1, { variant: 'community' });
    expect(result.wire.alice?.[0]).toBe("<enabled max='30' xmlns='urn:xmpp:sm:3'/>");
    expect(hibernationMs(result)).toBe(30_000);
    expect((result.wire.bob ?? []).slice(3)).toEqual([failed()]);
  });
});

// ---- settings shown by older sims ----

describe('settings shown by the skeleton, s2s and push sims', () => {
  it('smacks_hibernation_time: 30 (skeleton/expiry-to-offline.json) expires before the resume at 2 min; 600 resumes', () => {
    const short = run('skeleton/expiry-to-offline.json');
    expect(short.wire.bob).toContain(failed(1));
    expect(short.messages).toMatchObject({ offline: 2, delivered: 0 });
    const long = run('skeleton/expiry-to-offline.json', 1, { smacks_hibernation_time: 600 });
    expect(long.wire.bob).toContain("<resumed h='1' previd='SMID1' xmlns='urn:xmpp:sm:3'/>");
    expect(long.messages).toMatchObject({ offline: 0, delivered: 2 });
  });

  it('smacks_s2s_resend: true (s2s/resend-duplicates.json) delivers m2 twice; false bounces it to Alice although Bob had it', () => {
    const resend = run('s2s/resend-duplicates.json');
    expect(resend.settings.smacks_s2s_resend).toBe(true);
    expect(shape(resend.wire.bob).filter((id) => id.startsWith('m2'))).toEqual(['m2', 'm2+delay']);
    expect(fates(resend)).toMatchObject({ m2: 'duplicated' });
    const bounce = run('s2s/resend-duplicates.json', 1, { smacks_s2s_resend: false });
    expect(shape(bounce.wire.bob).filter((id) => id.startsWith('m2'))).toEqual(['m2']);
    expect(errorsTo(bounce, 'alice')).toHaveLength(1);
    expect(bounce.messages).toMatchObject({ duplicated: 0, falseBounces: 1 });
  });

  it('cloud_notify: true (push/push-extends-hibernation.json) starts the 601 s at the first push; false at hibernation start', () => {
    expect(timesOf(run('push/push-extends-hibernation.json').events_, 'smacks.expire')).toEqual([2_401_000 + 601_000]);
    expect(timesOf(run('push/push-extends-hibernation.json', 1, { cloud_notify: false }).events_, 'smacks.expire')).toEqual([20_000 + 601_000]);
  });

  it('read_timeout: 10 (skeleton/resume-after-blackhole.json) hibernates at 10 s; 840 (default) still thinks the dead link alive at the resume', () => {
    const short = run('skeleton/resume-after-blackhole.json');
    expect(timesOf(short.events_, 'smacks.hibernation-start')).toEqual([10_000]);
    expect(short.hibernation).toMatchObject({ started: 1, resumed: 1, resumedLive: 0 });
    const long = run('skeleton/resume-after-blackhole.json', 1, { read_timeout: 840 });
    expect(timesOf(long.events_, 'smacks.hibernation-start')).toEqual([]);
    expect(long.hibernation).toMatchObject({ started: 0, resumedLive: 1 });
  });
});

describe('send_timeout (sims/options/send_timeout.json)', () => {
  it('send_timeout: 180 s (default) drops a connection whose peer stopped reading, once the socket buffers are full', () => {
    const result = option('send_timeout');
    expect(result.events_.find((event) => event.type === 'net.close' && event.reason === 'write timeout')?.t).toBe(181_000);
    expect(result.events_.find((event) => event.type === 'smacks.hibernation-start')?.t).toBe(181_000);
    expect(result.messages).toMatchObject({ sent: 400, duplicated: 233, offline: 167, lost: 0 });
  });

  it('send_timeout: 1000 s outlasts the freeze, so nothing hibernates and every message arrives once', () => {
    const result = option('send_timeout', 1, { send_timeout: 1000 });
    expect(result.hibernation.started).toBe(0);
    expect(result.messages).toMatchObject({ sent: 400, delivered: 400, duplicated: 0 });
  });
});

describe('c2s_close_timeout (sims/options/c2s_close_timeout.json)', () => {
  const destroyedAt = (result: RunOutput): number | undefined => result.events_.find((event) => event.type === 'session.destroy' && event.jid === 'alice@localhost/phone')?.t;

  it('c2s_close_timeout: 5 s (default) keeps the cleanly closed session until the client closes or 5 s pass', () => {
    const result = option('c2s_close_timeout');
    expect(destroyedAt(result)).toBe(6000);
    expect(result.wire.desk).toContain("<presence from='alice@localhost/phone' to='alice@localhost/desk' type='unavailable'/>");
  });

  it('c2s_close_timeout: 1 s ends it four seconds earlier', () => {
    expect(destroyedAt(option('c2s_close_timeout', 1, { c2s_close_timeout: 1 }))).toBe(2000);
  });
});
