/**
 * Core 0.12.3 rules the other stories do not pin down, one scripted scenario each, literal XML.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers.js';

const r = "<r xmlns='urn:xmpp:sm:3'/>";

describe('core: last_requested_h (should_ack, spec §5.1)', () => {
  it('a stale <a h/> that acknowledges nothing new gets no second <r/> until another stanza goes out', () => {
    const result = run({
      name: 'stale-ack',
      accounts: ['alice', 'bob'],
      clients: { alice: { account: 'alice' }, bob: { account: 'bob', ack: 'none' } },
      script: [
        { do: 'login', client: 'alice' },
        { do: 'login', client: 'bob', presence: false },
        { do: 'send', client: 'alice', xml: "<message to='bob@localhost/bob' type='chat' id='m1'><body>one</body></message>" },
        { at: '1s', do: 'ack', client: 'bob', h: 0 },
        { at: '2s', do: 'send', client: 'alice', xml: "<message to='bob@localhost/bob' type='chat' id='m2'><body>two</body></message>" },
        { at: '3s', do: 'ack', client: 'bob', h: 0 },
      ],
    });
    // m1 + <r/>; the stale <a h='0'/> is accepted but asks for nothing; m2 brings the next <r/>;
    // the second stale ack again nothing.
    expect(result.wire.bob?.slice(1)).toEqual([
      "<message from='alice@localhost/alice' id='m1' to='bob@localhost/bob' type='chat' xml:lang='en'><body>one</body></message>",
      r,
      "<message from='alice@localhost/alice' id='m2' to='bob@localhost/bob' type='chat' xml:lang='en'><body>two</body></message>",
      r,
    ]);
  });
});

describe('core: smacks_max_old_sessions prunes the smacks_h records at each <enable/> (spec §9.2)', () => {
  // Bob loses two sessions in turn; both expire, leaving two records. A third login prunes them to
  // the newest smacks_max_old_sessions before Bob tries to resume each old session.
  const document = (maxOldSessions: number): object => ({
    name: 'old-sessions',
    server: { read_timeout: 5, smacks_hibernation_time: 10, smacks_max_old_sessions: maxOldSessions },
    accounts: ['bob'],
    clients: {
      first: { account: 'bob', resource: 'one' },
      second: { account: 'bob', resource: 'two' },
      third: { account: 'bob', resource: 'three' },
    },
    script: [
      { do: 'login', client: 'first', presence: false },
      { do: 'blackhole', client: 'first' },
      { at: '1s', do: 'login', client: 'second', presence: false },
      { do: 'blackhole', client: 'second' },
      { at: '60s', do: 'heal', client: 'first' },
      { do: 'heal', client: 'second' },
      { do: 'login', client: 'third', presence: false },
      { do: 'resume', client: 'first' },
      { do: 'resume', client: 'second' },
    ],
  });
  const failedOf = (wire: readonly string[] | undefined): string | undefined => wire?.find((line) => line.startsWith('<failed'));

  it('keeps both records with the default of 10', () => {
    const result = run(document(10));
    expect(failedOf(result.wire.first)).toBe("<failed h='0' xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
    expect(failedOf(result.wire.second)).toBe("<failed h='0' xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
  });

  it('keeps only the newest record with 1: the older session is answered without h', () => {
    const result = run(document(1));
    expect(failedOf(result.wire.first)).toBe("<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
    expect(failedOf(result.wire.second)).toBe("<failed h='0' xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
  });

  it('keeps nothing with 0', () => {
    const result = run(document(0));
    expect(failedOf(result.wire.first)).toBe("<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
    expect(failedOf(result.wire.second)).toBe("<failed xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
  });
});
