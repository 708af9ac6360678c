/**
 * The walking skeleton's end-to-end stories, each a scenario file in sims/skeleton/ with the literal
 * XML a client must receive and the fate of every message.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers.js';

describe('resume after a black hole (sims/skeleton/resume-after-blackhole.json)', () => {
  const result = run('skeleton/resume-after-blackhole.json');

  it("replays the unacked messages with Bob's delay stamp, then asks for an ack", () => {
    expect(result.wire.bob).toEqual([
      "<enabled id='SMID1' max='60' resume='true' xmlns='urn:xmpp:sm:3'/>",
      "<presence from='bob@localhost/laptop' xml:lang='en'/>",
      "<r xmlns='urn:xmpp:sm:3'/>",
      "<message from='alice@localhost/phone' id='m1' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>one</body></message>",
      "<r xmlns='urn:xmpp:sm:3'/>",
      "<resumed h='1' previd='SMID1' xmlns='urn:xmpp:sm:3'/>",
      "<message from='alice@localhost/phone' id='m2' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>two</body><delay from='bob@localhost' xmlns='urn:xmpp:delay'/></message>",
      "<message from='alice@localhost/phone' id='m3' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>three</body><delay from='bob@localhost' xmlns='urn:xmpp:delay'/></message>",
      "<r xmlns='urn:xmpp:sm:3'/>",
    ]);
  });

  it('hibernates at the first read timeout because an <r/> was already outstanding, and resumes once', () => {
    const start = result.events_.find((event) => event.type === 'smacks.hibernation-start');
    // m2 went out with an <r/> into the black hole; at read_timeout (10 s after Bob's last <a/>)
    // mod_smacks finds awaiting_ack set and lets the connection be kicked (spec §5.5).
    expect(start?.t).toBe(10_000);
    expect(result.hibernation).toMatchObject({ started: 1, resumed: 1, expired: 0 });
  });

  it('delivers every message exactly once', () => {
    expect(result.messages).toMatchObject({ sent: 3, delivered: 3, duplicated: 0, offline: 0, bounced: 0, lost: 0 });
    expect(result.resends).toBe(2);
  });
});

describe('expiry to offline storage (sims/skeleton/expiry-to-offline.json)', () => {
  const result = run('skeleton/expiry-to-offline.json');

  it('answers the late resume with the saved h, then hands the queue over from offline storage', () => {
    expect(result.wire.bob).toEqual([
      "<enabled id='SMID1' max='30' resume='true' xmlns='urn:xmpp:sm:3'/>",
      "<presence from='bob@localhost/laptop' xml:lang='en'/>",
      "<r xmlns='urn:xmpp:sm:3'/>",
      "<failed h='1' xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
      "<enabled id='SMID2' max='30' resume='true' xmlns='urn:xmpp:sm:3'/>",
      "<presence from='bob@localhost/laptop' xml:lang='en'/>",
      "<message from='alice@localhost/phone' id='m1' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>one</body><delay from='bob@localhost' xmlns='urn:xmpp:delay'/><delay from='localhost' xmlns='urn:xmpp:delay'/></message>",
      "<message from='alice@localhost/phone' id='m2' to='bob@localhost' type='chat' xml:lang='en'><body>two</body><delay from='bob@localhost' xmlns='urn:xmpp:delay'/><delay from='localhost' xmlns='urn:xmpp:delay'/></message>",
      "<r xmlns='urn:xmpp:sm:3'/>",
    ]);
  });

  it('expires hibernation_time + 1 s after it started (util.watchdog granularity)', () => {
    const start = result.events_.find((event) => event.type === 'smacks.hibernation-start')!;
    const expire = result.events_.find((event) => event.type === 'smacks.expire')!;
    expect(expire.t - start.t).toBe(31_000);
  });

  it('stores both queued messages offline because Bob had no other resource', () => {
    const disposals = result.events_.filter((event) => event.type === 'smacks.dispose');
    expect(disposals.map((event) => event.type === 'smacks.dispose' && [event.id, event.disposition])).toEqual([
      ['m1', 'offline'],
      ['m2', 'offline'],
    ]);
    expect(result.messages).toMatchObject({ sent: 2, delivered: 0, offline: 2, bounced: 0, lost: 0 });
  });
});

describe('expiry with another resource online (sims/skeleton/expiry-bounce.json)', () => {
  const result = run('skeleton/expiry-bounce.json');

  it('bounces both queued copies to Alice with recipient-unavailable', () => {
    const errors = (result.wire.alice ?? []).filter((line) => line.includes("type='error'"));
    expect(errors).toEqual([
      "<message from='bob@localhost' id='m1' to='alice@localhost/desk' type='error'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
      "<message from='bob@localhost/laptop' id='m2' to='alice@localhost/desk' type='error'><error type='cancel'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    ]);
  });

  it('counts the bare-JID message as delivered (to the phone) with a false bounce, the full-JID one as bounced', () => {
    expect(result.fates.map(({ id, fate }) => [id, fate])).toEqual([
      ['m1', 'delivered'],
      ['m2', 'bounced'],
    ]);
    expect(result.messages).toMatchObject({ delivered: 1, bounced: 1, falseBounces: 1, lost: 0 });
  });

  it("tells the phone that the laptop went unavailable when the laptop's session is destroyed", () => {
    expect(result.wire.phone).toContain("<presence from='bob@localhost/laptop' to='bob@localhost/phone' type='unavailable'><status>Disconnected: Hibernating too long</status></presence>");
  });
});
