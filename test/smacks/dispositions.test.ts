/**
 * Spec §10: what happens to each kind of stanza left in a session's unacked queue when its hibernation
 * expires (handle_unacked_stanzas + delivery/failure), with mod_offline, mod_mam and
 * mod_nooffline_noerror switched on and off.
 *
 * Every scenario: Alice (desk) and Bob's laptop log in with resumable SM; the laptop's path becomes a
 * black hole at 1 s, Alice then sends what the test is about to the laptop's full JID; the server
 * notices at the read timeout (10 s), hibernates the session and destroys it 31 s later.
 */
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/scenario/settings.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { type RunOutput, run } from '../helpers.js';

interface Options {
  server?: Partial<Settings>;
  /** Bob's phone is online too (so the laptop is not the last resource). */
  isPhoneOnline?: boolean;
  /** Fields for the laptop's client spec (e.g. `ack: 'none'`). */
  laptop?: object;
  /** Steps of the laptop while its path is still fine. */
  before?: object[];
  /** Steps after expiry (the settle phase follows). */
  after?: object[];
}

function expiry(xml: string[], options: Options = {}): RunOutput {
  const clients: Record<string, object> = {
    alice: { account: 'alice', resource: 'desk' },
    laptop: { account: 'bob', resource: 'laptop', ...options.laptop },
  };
  if (options.isPhoneOnline) clients.phone = { account: 'bob', resource: 'phone' };
  return run({
    name: 'expiry',
    server: { read_timeout: 10, smacks_hibernation_time: 30, ...options.server },
    accounts: ['alice', 'bob'],
    clients,
    script: [
      { do: 'login', client: 'alice' },
      { do: 'login', client: 'laptop' },
      ...(options.isPhoneOnline ? [{ do: 'login', client: 'phone' }] : []),
      ...(options.before ?? []),
      { at: '1s', do: 'blackhole', client: 'laptop' },
      ...xml.map((stanza) => ({ do: 'send', client: 'alice', xml: stanza })),
      { at: '50s', do: 'wait', for: '1s' },
      ...(options.after ?? []),
    ],
  });
}

const chat = "<message to='bob@localhost/laptop' type='chat' id='m1'><body>hello</body></message>";
const recipientUnavailable = "<error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";

/** Error stanzas that reached Alice. */
function errorsToAlice(result: RunOutput): string[] {
  return (result.wire.alice ?? []).filter((line) => line.includes("type='error'"));
}

function dispositions(events: readonly TraceEvent[]): Array<[string, string]> {
  return events.flatMap((event) => (event.type === 'smacks.dispose' ? [[event.id ?? event.name, event.disposition] as [string, string]] : []));
}

function fate(result: RunOutput, id: string): string | undefined {
  return result.fates.find((entry) => entry.id === id)?.fate;
}

function stores(result: RunOutput): number {
  return result.events_.filter((event) => event.type === 'offline.store').length;
}

/** The laptop heals at 1 min, fails to resume (the session is gone) and binds anew. */
const relogin = [{ at: '1m', do: 'heal', client: 'laptop' }, { do: 'resume', client: 'laptop' }, { do: 'bind', client: 'laptop' }];

describe('expiry dispositions (spec §10), mod_offline on', () => {
  it('expiry: a chat message to the last resource goes to offline storage', () => {
    const result = expiry([chat], { after: relogin });
    expect(dispositions(result.events_)).toEqual([['m1', 'offline']]);
    expect(errorsToAlice(result)).toEqual([]);
    expect(result.wire.laptop).toContain(
      "<message from='alice@localhost/desk' id='m1' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>hello</body><delay from='bob@localhost' xmlns='urn:xmpp:delay'/><delay from='localhost' xmlns='urn:xmpp:delay'/></message>",
    );
    expect(fate(result, 'm1')).toBe('offline');
  });

  it('expiry: a message without a type (normal) goes offline like chat', () => {
    const result = expiry(["<message to='bob@localhost/laptop' id='n1'><body>plain</body></message>"]);
    expect(dispositions(result.events_)).toEqual([['n1', 'offline']]);
    expect(fate(result, 'n1')).toBe('offline');
  });

  it('expiry: a chat message is bounced when another resource is online', () => {
    const result = expiry([chat], { isPhoneOnline: true });
    expect(dispositions(result.events_)).toContainEqual(['m1', 'bounce']);
    expect(errorsToAlice(result)).toEqual([`<message from='bob@localhost/laptop' id='m1' to='alice@localhost/desk' type='error'>${recipientUnavailable}</message>`]);
    expect(fate(result, 'm1')).toBe('bounced');
    expect(stores(result)).toBe(0);
  });

  it('expiry: headline is bounced even for the last resource', () => {
    const result = expiry(["<message to='bob@localhost/laptop' type='headline' id='h1'><body>news</body></message>"]);
    expect(dispositions(result.events_)).toContainEqual(['h1', 'bounce']);
    expect(errorsToAlice(result)).toEqual([`<message from='bob@localhost/laptop' id='h1' to='alice@localhost/desk' type='error'>${recipientUnavailable}</message>`]);
    expect(fate(result, 'h1')).toBe('bounced');
  });

  it('expiry: groupchat is bounced even for the last resource', () => {
    const result = expiry(["<message to='bob@localhost/laptop' type='groupchat' id='g1'><body>room talk</body></message>"]);
    expect(errorsToAlice(result)).toEqual([`<message from='bob@localhost/laptop' id='g1' to='alice@localhost/desk' type='error'>${recipientUnavailable}</message>`]);
    expect(fate(result, 'g1')).toBe('bounced');
  });

  it('expiry: presence gets an error presence back', () => {
    const result = expiry(["<presence to='bob@localhost/laptop'><status>hi</status></presence>"]);
    expect(errorsToAlice(result)).toEqual([`<presence from='bob@localhost/laptop' to='alice@localhost/desk' type='error'>${recipientUnavailable}</presence>`]);
  });

  it('expiry: an iq get gets an error iq back to the requester', () => {
    const result = expiry(["<iq to='bob@localhost/laptop' type='get' id='q1'><ping xmlns='urn:xmpp:ping'/></iq>"]);
    expect(errorsToAlice(result)).toEqual([`<iq from='bob@localhost/laptop' id='q1' to='alice@localhost/desk' type='error'>${recipientUnavailable}</iq>`]);
  });

  it('expiry: an iq result is answered with an error iq back to the responder', () => {
    const result = expiry(["<iq to='bob@localhost/laptop' type='result' id='q2'/>"]);
    expect(errorsToAlice(result)).toEqual([`<iq from='bob@localhost/laptop' id='q2' to='alice@localhost/desk' type='error'>${recipientUnavailable}</iq>`]);
  });

  it('expiry: error-type stanzas are dropped without a reply', () => {
    const error = "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";
    const result = expiry([`<message to='bob@localhost/laptop' type='error' id='e1'>${error}</message>`, `<presence to='bob@localhost/laptop' type='error'>${error}</presence>`]);
    expect(dispositions(result.events_)).toEqual([
      ['e1', 'drop'],
      ['presence', 'drop'],
    ]);
    expect(errorsToAlice(result)).toEqual([]);
  });

  it("expiry: a stanza from the session's own full JID is dropped, not bounced", () => {
    // The laptop never acks, so its own headline to itself is still queued when it hibernates.
    const result = expiry([], {
      laptop: { ack: 'none' },
      before: [{ do: 'send', client: 'laptop', xml: "<message to='bob@localhost/laptop' type='headline' id='self1'><body>note to self</body></message>" }],
    });
    expect(dispositions(result.events_)).toEqual([
      ['presence', 'drop'], // its own initial presence, reflected to it
      ['self1', 'drop'],
    ]);
    expect(result.events_.filter((event) => event.type === 'message.bounced')).toEqual([]);
  });
});

describe('expiry dispositions with mod_mam', () => {
  const mamQuery = { do: 'send', client: 'laptop', xml: "<iq type='set' id='mam1'><query xmlns='urn:xmpp:mam:2'/></iq>" };

  it('expiry: an archived message is dropped silently for a session that queried MAM (no error, not offline)', () => {
    const result = expiry([chat], { server: { mam: true }, before: [mamQuery] });
    expect(result.wire.laptop).toContain(
      "<iq id='mam1' to='bob@localhost/laptop' type='result'><fin complete='true' xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><count>0</count></set></fin></iq>",
    );
    expect(dispositions(result.events_)).toContainEqual(['m1', 'drop']);
    expect(errorsToAlice(result)).toEqual([]);
    expect(stores(result)).toBe(0);
    // No archive replay is modelled: the client would fetch it from MAM; the ledger sees it lost.
    expect(fate(result, 'm1')).toBe('lost');
  });

  it('expiry: without a MAM query the archived message still goes offline, stanza-id and all', () => {
    const result = expiry([chat], { server: { mam: true }, after: relogin });
    expect(dispositions(result.events_)).toContainEqual(['m1', 'offline']);
    expect(result.wire.laptop).toContain(
      "<message from='alice@localhost/desk' id='m1' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>hello</body><stanza-id by='bob@localhost' id='SRV1' xmlns='urn:xmpp:sid:0'/><delay from='bob@localhost' xmlns='urn:xmpp:delay'/><delay from='localhost' xmlns='urn:xmpp:delay'/></message>",
    );
    expect(fate(result, 'm1')).toBe('offline');
  });

  it('expiry: with mod_offline off, mod_mam claims the archived chat message (message/offline/handle at -2): no error, nothing stored', () => {
    const result = expiry([chat], { server: { mam: true, offline: false } });
    expect(errorsToAlice(result)).toEqual([]);
    expect(stores(result)).toBe(0);
    expect(fate(result, 'm1')).toBe('lost');
  });

  it('expiry: with mod_offline off and MAM on, a headline (never archived) is still bounced', () => {
    const result = expiry(["<message to='bob@localhost/laptop' type='headline' id='h1'><body>news</body></message>"], { server: { mam: true, offline: false } });
    expect(fate(result, 'h1')).toBe('bounced');
  });
});

describe('expiry dispositions without mod_offline', () => {
  it('expiry: with mod_offline off, a chat message to the last resource is bounced', () => {
    const result = expiry([chat], { server: { offline: false } });
    expect(dispositions(result.events_)).toContainEqual(['m1', 'bounce']);
    expect(errorsToAlice(result)).toEqual([`<message from='bob@localhost/laptop' id='m1' to='alice@localhost/desk' type='error'>${recipientUnavailable}</message>`]);
    expect(fate(result, 'm1')).toBe('bounced');
  });

  it('expiry: with mod_nooffline_noerror no error goes back and the message is lost', () => {
    const result = expiry([chat], { server: { offline: false, nooffline_noerror: true } });
    expect(errorsToAlice(result)).toEqual([]);
    expect(stores(result)).toBe(0);
    expect(fate(result, 'm1')).toBe('lost');
  });

  it('expiry: mod_nooffline_noerror claims only chat/normal: a headline is still bounced', () => {
    const result = expiry(["<message to='bob@localhost/laptop' type='headline' id='h1'><body>news</body></message>"], { server: { offline: false, nooffline_noerror: true } });
    expect(fate(result, 'h1')).toBe('bounced');
  });
});
