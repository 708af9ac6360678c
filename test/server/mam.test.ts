/**
 * The mod_mam stand-in (switch `mam`): <stanza-id> on archived messages, the MAM query that sets
 * mam_requested, offline broadcast suppression and the message/offline/handle claim at −2. The
 * dispositions at hibernation expiry are in test/smacks/dispositions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Settings } from '../../src/scenario/settings.js';
import { type RunOutput, run } from '../helpers.js';

/** Alice (desk) and Bob (phone) log in (Bob with `bobLogin`'s fields, or not at first if false), then `steps`. */
function mamScenario(steps: object[], server: Partial<Settings> = {}, bobLogin: object | false = {}): RunOutput {
  return run({
    name: 'mam',
    server: { read_timeout: 600, mam: true, ...server },
    accounts: ['alice', 'bob'],
    clients: { alice: { account: 'alice', resource: 'desk' }, bob: { account: 'bob', resource: 'phone' } },
    script: [
      { do: 'login', client: 'alice' },
      ...(bobLogin === false ? [] : [{ do: 'login', client: 'bob', ...bobLogin }]),
      ...steps,
      { at: '30s', do: 'wait', for: '1s' },
    ],
  });
}

function aliceSends(xml: string, at?: string): object {
  return at === undefined ? { do: 'send', client: 'alice', xml } : { at, do: 'send', client: 'alice', xml };
}

/** Bob's wire without SM noise. */
function stanzas(wire: readonly string[] | undefined): string[] {
  return (wire ?? []).filter((line) => !line.includes("xmlns='urn:xmpp:sm:3'"));
}

const mamQuery = "<iq type='set' id='q1'><query xmlns='urn:xmpp:mam:2' queryid='f27'/></iq>";
const emptyFin = "<iq id='q1' to='bob@localhost/phone' type='result'><fin complete='true' xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><count>0</count></set></fin></iq>";

describe('mod_mam: archiving', () => {
  it("adds <stanza-id by='bob@localhost'> to a chat message for Bob (Alice's own archive id is stripped before delivery)", () => {
    const result = mamScenario([aliceSends("<message to='bob@localhost/phone' type='chat' id='m1'><body>hi</body></message>")]);
    expect(stanzas(result.wire.bob)).toContain(
      "<message from='alice@localhost/desk' id='m1' to='bob@localhost/phone' type='chat' xml:lang='en'><body>hi</body><stanza-id by='bob@localhost' id='SRV1' xmlns='urn:xmpp:sid:0'/></message>",
    );
    expect(result.events_.filter((event) => event.type === 'mam.archive').map((event) => event.type === 'mam.archive' && event.user)).toEqual(['alice', 'bob']);
  });

  it('archives a receipt but not a headline, a groupchat message or a bare chat state', () => {
    const result = mamScenario([
      aliceSends("<message to='bob@localhost/phone' type='headline' id='h1'><body>news</body></message>"),
      aliceSends("<message to='bob@localhost/phone' type='groupchat' id='g1'><body>room</body></message>"),
      aliceSends("<message to='bob@localhost/phone' type='chat' id='c1'><active xmlns='http://jabber.org/protocol/chatstates'/></message>"),
      aliceSends("<message to='bob@localhost/phone' type='chat' id='r1'><received xmlns='urn:xmpp:receipts' id='m0'/></message>"),
    ]);
    expect(stanzas(result.wire.bob).slice(-4)).toEqual([
      "<message from='alice@localhost/desk' id='h1' to='bob@localhost/phone' type='headline' xml:lang='en'><body>news</body></message>",
      "<message from='alice@localhost/desk' id='g1' to='bob@localhost/phone' type='groupchat' xml:lang='en'><body>room</body></message>",
      "<message from='alice@localhost/desk' id='c1' to='bob@localhost/phone' type='chat' xml:lang='en'><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
      "<message from='alice@localhost/desk' id='r1' to='bob@localhost/phone' type='chat' xml:lang='en'><received id='SRV1' xmlns='urn:xmpp:receipts'/><stanza-id by='bob@localhost' id='SRV2' xmlns='urn:xmpp:sid:0'/></message>",
    ]);
  });

  it("COMPAT: a stanza-id forged in Bob's name is stripped from an unarchived message, but survives beside the real one when the message is archived", () => {
    const forged = "<stanza-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='forged'/>";
    const result = mamScenario([
      aliceSends(`<message to='bob@localhost/phone' type='headline' id='h1'><body>news</body>${forged}</message>`),
      aliceSends(`<message to='bob@localhost/phone' type='chat' id='m1'><body>hi</body>${forged}</message>`),
    ]);
    // message_handler strips into event.stanza but clones the archived copy from the original.
    expect(stanzas(result.wire.bob).slice(-2)).toEqual([
      "<message from='alice@localhost/desk' id='h1' to='bob@localhost/phone' type='headline' xml:lang='en'><body>news</body></message>",
      "<message from='alice@localhost/desk' id='m1' to='bob@localhost/phone' type='chat' xml:lang='en'><body>hi</body><stanza-id by='bob@localhost' id='SRV1' xmlns='urn:xmpp:sid:0'/><stanza-id by='bob@localhost' id='SRV2' xmlns='urn:xmpp:sid:0'/></message>",
    ]);
  });

  it('adds nothing with mam off', () => {
    const result = mamScenario([aliceSends("<message to='bob@localhost/phone' type='chat' id='m1'><body>hi</body></message>")], { mam: false });
    expect(stanzas(result.wire.bob)).toContain("<message from='alice@localhost/desk' id='m1' to='bob@localhost/phone' type='chat' xml:lang='en'><body>hi</body></message>");
  });
});

describe('mod_mam: queries', () => {
  it('answers a query (iq set) with an empty page and marks the session mam_requested', () => {
    const result = mamScenario([{ do: 'send', client: 'bob', xml: mamQuery }]);
    expect(stanzas(result.wire.bob)).toContain(emptyFin);
    expect(result.events_.filter((event) => event.type === 'mam.query')).toEqual([{ t: 0, type: 'mam.query', jid: 'bob@localhost/phone' }]);
  });

  it('serves the query form on iq get, which does not mark the session', () => {
    const result = mamScenario([{ do: 'send', client: 'bob', xml: "<iq type='get' id='f1'><query xmlns='urn:xmpp:mam:2'/></iq>" }]);
    const reply = stanzas(result.wire.bob).find((line) => line.includes("id='f1'"));
    expect(reply).toMatch(/^<iq id='f1' to='bob@localhost\/phone' type='result'><query xmlns='urn:xmpp:mam:2'><x type='form' xmlns='jabber:x:data'><field type='hidden' var='FORM_TYPE'><value>urn:xmpp:mam:2<\/value><\/field>/);
    expect(result.events_.filter((event) => event.type === 'mam.query')).toEqual([]);
  });

  it('with mam off a MAM query is service-unavailable', () => {
    const result = mamScenario([{ do: 'send', client: 'bob', xml: mamQuery }], { mam: false });
    expect(stanzas(result.wire.bob)).toContain(
      "<iq id='q1' to='bob@localhost/phone' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    );
  });
});

describe('mod_mam and mod_offline', () => {
  const offlineChat = aliceSends("<message to='bob@localhost' type='chat' id='m1'><body>while you were out</body></message>");

  it("suppresses mod_offline's broadcast for a session that queried MAM before its initial presence (the messages stay stored)", () => {
    const result = mamScenario(
      [offlineChat, { at: '1s', do: 'login', client: 'bob', presence: false }, { do: 'send', client: 'bob', xml: mamQuery }, { do: 'send', client: 'bob', xml: '<presence/>' }],
      {},
      false,
    );
    expect(stanzas(result.wire.bob)).toEqual([emptyFin, "<presence from='bob@localhost/phone' xml:lang='en'/>"]);
    expect(result.events_.filter((event) => event.type === 'offline.fetch' && event.jid === 'bob@localhost/phone')).toEqual([]);
    // The settle phase's login (no MAM query) fetches it.
    expect(result.fates.map(({ id, fate }) => [id, fate])).toEqual([['m1', 'offline']]);
  });

  it('broadcasts offline messages as usual to a session that did not query MAM', () => {
    const result = mamScenario([offlineChat, { at: '1s', do: 'login', client: 'bob' }], {}, false);
    expect(stanzas(result.wire.bob)).toContain(
      "<message from='alice@localhost/desk' id='m1' to='bob@localhost' type='chat' xml:lang='en'><body>while you were out</body><stanza-id by='bob@localhost' id='SRV1' xmlns='urn:xmpp:sid:0'/><delay from='localhost' xmlns='urn:xmpp:delay'/></message>",
    );
  });

  it('with mod_offline off, an archived message to an offline user is claimed by mod_mam: no service-unavailable', () => {
    const result = mamScenario([offlineChat], { offline: false }, false);
    expect((result.wire.alice ?? []).filter((line) => line.includes("type='error'"))).toEqual([]);
    expect(result.fates.map(({ id, fate }) => [id, fate])).toEqual([['m1', 'lost']]);
  });

  it('with mod_offline and mod_mam off, the same message gets service-unavailable', () => {
    const result = mamScenario([offlineChat], { offline: false, mam: false }, false);
    expect((result.wire.alice ?? []).filter((line) => line.includes("type='error'"))).toEqual([
      "<message from='bob@localhost' id='m1' to='alice@localhost/desk' type='error'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ]);
    expect(result.fates.map(({ id, fate }) => [id, fate])).toEqual([['m1', 'bounced']]);
  });
});
