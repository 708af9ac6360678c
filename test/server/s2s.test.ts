/**
 * s2s with Stream Management (spec §4.3, §11): a second domain reached over an s2s link. Method:
 * scripted scenarios in sims/s2s/, with the link faulted by name ("s2s"), then the wires and fates.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers.js';

const messagesOf = (wire: readonly string[] | undefined): string[] => (wire ?? []).filter((line) => line.startsWith('<message'));

describe('s2s: link loss with smacks_s2s_resend off (sims/s2s/link-loss-bounce.json)', () => {
  const result = run('s2s/link-loss-bounce.json');

  it('enables SM on the outgoing stream after flushing the send queue, so the first message is never counted', () => {
    const s2sSends = result.events_.filter((event) => event.type === 'server.send' && event.conn === 3).map((event) => event.type === 'server.send' && event.name);
    // conn 3 is localhost → remote.example: the peer's features, m1 as raw data, then our <enable/>
    // and the peer's <enabled/>; m2 is the first stanza that is queued and asked for.
    expect(s2sSends.slice(0, 6)).toEqual(['stream:features', 'message', 'enable', 'enabled', 'message', 'r']);
  });

  it('bounces the unacknowledged messages to Alice with recipient-unavailable when the read timeout kills the stream', () => {
    expect(messagesOf(result.wire.alice)).toEqual([
      "<message from='bob@remote.example/laptop' id='m2' to='alice@localhost/phone' type='error'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
      "<message from='bob@remote.example/laptop' id='m3' to='alice@localhost/phone' type='error'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ]);
    expect(result.fates.map(({ id, fate }) => [id, fate])).toEqual([
      ['m1', 'delivered'],
      ['m2', 'bounced'],
      ['m3', 'bounced'],
    ]);
  });

  it('with resend on but the link still dead, the re-routed stanzas wait for a stream and bounce with remote-server-not-found after s2s_timeout', () => {
    const resend = run('s2s/link-loss-bounce.json', 1, { smacks_s2s_resend: true });
    const bounces = resend.events_.filter((event) => event.type === 'message.bounced');
    // The stream died at 10 s; the new one never came up through the black hole: s2s_timeout is 90 s.
    expect(bounces.map((event) => event.type === 'message.bounced' && [event.t, event.id, event.condition])).toEqual([
      [100_000, 'm2', 'remote-server-not-found'],
      [100_000, 'm3', 'remote-server-not-found'],
    ]);
    expect(resend.messages).toMatchObject({ delivered: 1, bounced: 2, lost: 0 });
  });
});

describe('s2s: resend after a reset (sims/s2s/resend-duplicates.json)', () => {
  const result = run('s2s/resend-duplicates.json');

  it('re-routes the stanza whose ack was lost, so Bob receives it twice, the copy with the delay from localhost', () => {
    expect(messagesOf(result.wire.bob).filter((line) => line.includes("id='m2'"))).toEqual([
      "<message from='alice@localhost/phone' id='m2' to='bob@remote.example/laptop' type='chat' xml:lang='en'><body>two</body></message>",
      "<message from='alice@localhost/phone' id='m2' to='bob@remote.example/laptop' type='chat' xml:lang='en'><body>two</body><delay from='localhost' xmlns='urn:xmpp:delay'/></message>",
    ]);
    expect(result.messages).toMatchObject({ sent: 2, delivered: 1, duplicated: 1, lost: 0 });
  });

  it('bounces instead when resend is off', () => {
    const bounce = run('s2s/resend-duplicates.json', 1, { smacks_s2s_resend: false });
    expect(bounce.fates.map(({ id, fate }) => [id, fate])).toEqual([
      ['m1', 'delivered'],
      ['m2', 'delivered'],
    ]);
    expect(bounce.messages.falseBounces).toBe(1);
  });

  it('offers no SM on s2s when smacks_enabled_s2s is off: nothing is queued, so nothing is resent', () => {
    const off = run('s2s/resend-duplicates.json', 1, { smacks_enabled_s2s: false });
    expect(off.events_.some((event) => event.type === 'smacks.enable' && event.jid.startsWith('s2s'))).toBe(false);
    expect(off.messages).toMatchObject({ delivered: 2, duplicated: 0 });
  });
});
