/**
 * Server restart with resumable sessions (spec §12 rows 19–20): core mod_smacks handles
 * server-stopping itself, keeping h in its persistent store. Method: sims/skeleton/restart-keeps-h.json.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../helpers.js';

describe('core: server restart keeps h for resumable sessions', () => {
  const result = run('skeleton/restart-keeps-h.json');

  it("closes Bob's socket without a stream error, answers his resume after the restart with <failed h='1'> and replays the queue from offline storage", () => {
    expect(result.wire.bob).toEqual([
      "<enabled id='SMID1' max='600' resume='true' xmlns='urn:xmpp:sm:3'/>",
      "<presence from='bob@localhost/laptop' xml:lang='en'/>",
      "<r xmlns='urn:xmpp:sm:3'/>",
      "<message from='alice@localhost/phone' id='m1' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>before the restart</body></message>",
      "<failed h='1' xmlns='urn:xmpp:sm:3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>",
      "<enabled id='SMID2' max='600' resume='true' xmlns='urn:xmpp:sm:3'/>",
      "<presence from='bob@localhost/laptop' xml:lang='en'/>",
      "<message from='alice@localhost/phone' id='m1' to='bob@localhost/laptop' type='chat' xml:lang='en'><body>before the restart</body><delay from='bob@localhost' xmlns='urn:xmpp:delay'/><delay from='localhost' xmlns='urn:xmpp:delay'/></message>",
      "<r xmlns='urn:xmpp:sm:3'/>",
    ]);
  });

  it('counts the message Bob had received but not acknowledged as duplicated (C-5)', () => {
    expect(result.messages).toMatchObject({ sent: 1, duplicated: 1, lost: 0 });
  });

  it('refuses connections while the server is down', () => {
    const refused = run({
      name: 'refused',
      accounts: ['bob'],
      clients: { bob: { account: 'bob' } },
      script: [
        { do: 'restart', downtime: '10s' },
        { at: '1s', do: 'login', client: 'bob' },
        { at: '11s', do: 'login', client: 'bob' },
      ],
    });
    const states = refused.events_.filter((event) => event.type === 'client.state' && (event.state === 'offline' || event.state === 'online'));
    expect(states.map((event) => event.type === 'client.state' && [event.t, event.state, event.reason])).toEqual([
      [1000, 'offline', 'connection reset'],
      [11_000, 'online', undefined],
    ]);
  });
});
