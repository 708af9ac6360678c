/**
 * One story per knob of the client model (src/clients/knobs.ts): two `spec-ideal` clients on a wired
 * path, one knob turned, and what changes on the wire or in the fates.
 */
import { describe, expect, it } from 'vitest';
import { xmlnsSm3 } from '../../src/xmpp/ns.js';
import { el } from '../../src/xmpp/stanza.js';
import { eventsOf, offlineTimes, runGroup, sentBy, stanzasSent } from './population.js';

const minute = 60_000;

/** a1 writes to a2 every 2 minutes, with no probe and no <r/> after enable to muddy the counts. */
function chatty(knobs: Record<string, unknown>): ReturnType<typeof runGroup> {
  return runGroup({
    knobs: { probe: 'none', ackAfterEnable: false, ...knobs },
    schedule: { messages: Array.from({ length: 20 }, (_, index) => ({ at: `${2 + 2 * index}m`, from: 'a1', to: 'a2' })) },
  });
}

/** The client's <r/>s in the safety phase (settling clients may ask once more to drain). */
function requests(result: ReturnType<typeof runGroup>, client = 'a1'): number[] {
  return sentBy(result.events_, client, 'r').map((event) => event.t).filter((t) => t < 60 * minute);
}

describe('ackRequest: when the client asks for an ack', () => {
  it('perStanza: one <r/> after every stanza (the presence and 20 messages)', () => {
    const result = chatty({ ackRequest: 'perStanza' });
    expect(stanzasSent(result.events_, 'a1')).toBe(21);
    expect(requests(result)).toHaveLength(21);
  });

  it('perMessage: one <r/> after every message, none after the presence', () => {
    expect(requests(chatty({ ackRequest: 'perMessage' }))).toHaveLength(20);
  });

  it('everyN 5: one <r/> per five stanzas (21 stanzas: after the 4th, 9th, 14th and 19th message)', () => {
    expect(requests(chatty({ ackRequest: 'everyN', ackEveryN: 5 }))).toEqual([8 * minute, 18 * minute, 28 * minute, 38 * minute]);
  });

  it('debounce: one <r/> 250 ms after a burst of three messages, not three', () => {
    const result = runGroup({
      knobs: { probe: 'none', ackAfterEnable: false, ackRequest: 'debounce', ackDebounce: 250 },
      schedule: { messages: [{ at: 300_000, from: 'a1', to: 'a2' }, { at: 300_100, from: 'a1', to: 'a2' }, { at: 300_200, from: 'a1', to: 'a2' }] },
    });
    const requests = sentBy(result.events_, 'a1', 'r').map((event) => event.t);
    expect(requests.filter((t) => t >= 300_000)).toEqual([300_450]);
  });

  it('never: no <r/> from the client while it chats; the messages still arrive', () => {
    const result = chatty({ ackRequest: 'never' });
    expect(requests(result)).toHaveLength(0);
    expect(result.messages).toMatchObject({ sent: 20, delivered: 20 });
  });

  it('ackIdle 20 s (Psi): an <r/> 20 s after the last stanza, not after each', () => {
    const result = runGroup({
      knobs: { probe: 'none', ackAfterEnable: false, ackRequest: 'never', ackIdle: '20s' },
      schedule: { messages: [{ at: 300_000, from: 'a1', to: 'a2' }, { at: 305_000, from: 'a1', to: 'a2' }] },
    });
    expect(sentBy(result.events_, 'a1', 'r').map((event) => event.t).filter((t) => t >= 300_000)).toEqual([325_000]);
  });
});

describe('maxOutstandingR: requests in flight', () => {
  /** The most <r/> a client ever had unanswered. */
  function mostOutstanding(result: ReturnType<typeof runGroup>, client: string): number {
    let outstanding = 0;
    let most = 0;
    for (const event of result.events_) {
      if (event.type === 'client.send' && event.client === client && event.name === 'r') most = Math.max(most, ++outstanding);
      if (event.type === 'client.recv' && event.client === client && event.name === 'a') outstanding = Math.max(0, outstanding - 1);
    }
    return most;
  }
  const burst = { messages: Array.from({ length: 5 }, (_, index) => ({ at: 300_000 + index, from: 'a1', to: 'a2' })) };

  it('unbounded: a burst of five messages has five <r/> in flight (10 ms each way)', () => {
    expect(mostOutstanding(runGroup({ knobs: { probe: 'none' }, schedule: burst }), 'a1')).toBe(5);
  });

  it('1 (Monal, Psi): never more than one, and the rest is asked for when the <a/> comes', () => {
    const result = runGroup({ knobs: { probe: 'none', maxOutstandingR: 1 }, schedule: burst });
    expect(mostOutstanding(result, 'a1')).toBe(1);
    expect(result.world.models[0]!.xmpp.unacked).toHaveLength(0);
  });
});

describe('ackValidation: an <a h/> that acknowledges more than was sent', () => {
  /** At 20 min a1 hears `<a h='99'/>` (it has sent 1 stanza). */
  function badAck(validation: string): ReturnType<typeof runGroup> {
    return runGroup(
      { knobs: { ackValidation: validation } },
      {
        setup: (world) =>
          world.engine.at(20 * minute, () => {
            const xmpp = world.models[0]!.xmpp;
            if (xmpp.connection !== undefined) xmpp.onFrame(el('a', { xmlns: xmlnsSm3, h: 99 }));
          }),
      },
    );
  }

  it('ignore: clamped silently; the session goes on', () => {
    const result = badAck('ignore');
    expect(eventsOf(result.events_, 'client.ack-invalid')).toEqual([]);
    expect(offlineTimes(result.events_, 'a1', 'stream closed')).toEqual([]);
  });

  it('log: clamped and recorded', () => {
    const result = badAck('log');
    expect(eventsOf(result.events_, 'client.ack-invalid')).toEqual([{ t: 20 * minute, type: 'client.ack-invalid', client: 'a1', h: 99, kind: 'too-high', reaction: 'log' }]);
    expect(result.hibernation.started).toBe(0);
  });

  it("kill (Monal): <handled-count-too-high h='99' send-count='1'/>, the stream ends, the next login is a new session", () => {
    const result = badAck('kill');
    expect(sentBy(result.events_, 'a1', 'stream:error').map((event) => event.t)).toEqual([20 * minute]);
    const logins = eventsOf(result.events_, 'client.state', 'a1').filter((event) => event.state === 'binding' && event.t > 20 * minute);
    expect(logins.length).toBeGreaterThan(0);
    expect(eventsOf(result.events_, 'client.state', 'a1').filter((event) => event.state === 'resuming' && event.t > 20 * minute)).toEqual([]);
  });

  it('crash (xmpp.js): the client loses its SM state and drops the socket', () => {
    const result = badAck('crash');
    expect(eventsOf(result.events_, 'client.crash')).toEqual([{ t: 20 * minute, type: 'client.crash', client: 'a1', reason: 'h too-high', unacked: 0 }]);
    expect(result.clientSide.crashes).toBe(1);
    expect(offlineTimes(result.events_, 'a1', 'crash')).toEqual([20 * minute]);
  });
});

/**
 * a1 writes one message at 10 min on a 100 ms path. `blackholeAt` 150 ms later: the server has it but
 * the <a/> is lost; 10 ms earlier: the message goes into the black hole. The black hole lasts 30 min,
 * the server hibernates for 60 s only, so the resume after it fails with <failed h='…'/>.
 */
function failedResume(knobs: Record<string, unknown>, blackholeAtMs: number): ReturnType<typeof runGroup> {
  return runGroup(
    {
      knobs,
      network: { profile: 'wired', latencyMs: 100, jitterMs: 0 },
      schedule: { messages: [{ at: '10m', from: 'a1', to: 'a2' }], faults: [{ at: blackholeAtMs, client: 'a1', kind: 'blackhole', durationMs: 1_800_000 }] },
    },
    { server: { smacks_hibernation_time: 60 } },
  );
}

describe('useFailedH: pruning with the h of <failed/>', () => {
  it('a client that uses h on <failed/> re-sends fewer stanzas than one that does not, on the same seed', () => {
    const using = failedResume({ useFailedH: true }, 600_150);
    const ignoring = failedResume({ useFailedH: false }, 600_150);
    expect(eventsOf(using.events_, 'smacks.resume-failed')).toMatchObject([{ condition: 'item-not-found', h: 2 }]);
    expect(using.resends).toBe(0);
    expect(ignoring.resends).toBe(1);
    expect(using.messages).toMatchObject({ delivered: 1, duplicated: 0 });
    expect(ignoring.messages).toMatchObject({ delivered: 0, duplicated: 1 });
  });
});

describe('onFailedResume: a message the server never got, after a failed resume', () => {
  const before = 599_990;

  it('drop: it is lost and nobody is told', () => {
    const result = failedResume({ onFailedResume: 'drop' }, before);
    expect(result.messages).toMatchObject({ sent: 1, lost: 1 });
    expect(result.clientSide.messagesFailed).toBe(0);
  });

  it('failEvent: it is lost, and the user is told', () => {
    const result = failedResume({ onFailedResume: 'failEvent' }, before);
    expect(result.messages).toMatchObject({ sent: 1, lost: 1 });
    expect(eventsOf(result.events_, 'message.failed')).toMatchObject([{ client: 'a1', id: 'a1-1', reason: 'resume failed' }]);
  });

  it('resendMessages: it is sent again on the new session and delivered once', () => {
    const result = failedResume({ onFailedResume: 'resendMessages' }, before);
    expect(result.messages).toMatchObject({ sent: 1, delivered: 1, lost: 0 });
    expect(eventsOf(result.events_, 'message.resend')).toMatchObject([{ client: 'a1', id: 'a1-1' }]);
  });

  it('resendAll: the message and the presence updates that went into the black hole are sent again', () => {
    const churn = (onFailedResume: string): ReturnType<typeof runGroup> =>
      runGroup(
        {
          knobs: { onFailedResume },
          traffic: { presencePerHour: 60 },
          schedule: { messages: [{ at: '10m', from: 'a1', to: 'a2' }], faults: [{ at: before, client: 'a1', kind: 'blackhole', durationMs: 1_800_000 }] },
        },
        { server: { smacks_hibernation_time: 60 } },
      );
    const messages = churn('resendMessages');
    const all = churn('resendAll');
    expect(all.messages).toMatchObject({ sent: 1, delivered: 1 });
    const presencesAfterHeal = (result: ReturnType<typeof runGroup>): number => sentBy(result.events_, 'a1', 'presence').filter((event) => event.t > before + 1_800_000).length;
    expect(presencesAfterHeal(all)).toBeGreaterThan(presencesAfterHeal(messages));
  });
});

describe('queueWhileOffline', () => {
  /** a1 is cut off from 5 to 25 min; it writes at 15 min, when it already knows it is offline. */
  function offlineWrite(queue: boolean): ReturnType<typeof runGroup> {
    return runGroup({
      knobs: { queueWhileOffline: queue },
      schedule: { messages: [{ at: '15m', from: 'a1', to: 'a2' }], faults: [{ at: '5m', client: 'a1', kind: 'blackhole', durationMs: 1_200_000 }] },
    });
  }

  it('true: the message waits and goes out after the next login', () => {
    const result = offlineWrite(true);
    expect(result.messages).toMatchObject({ sent: 1, delivered: 1 });
  });

  it('false (xmpp.js, Gajim): it fails at once', () => {
    const result = offlineWrite(false);
    expect(eventsOf(result.events_, 'message.failed')).toMatchObject([{ t: 15 * minute, id: 'a1-1', reason: 'offline' }]);
    expect(result.messages).toMatchObject({ sent: 1, lost: 1 });
  });
});

describe('probe: liveness checks on an idle link', () => {
  it("r: an <r/> after 3 min of silence; ping: an XEP-0199 <iq/>; whitespace: a keepalive nothing answers", () => {
    const r = runGroup({ knobs: { probe: 'r', probeIdle: '3m' } }, { duration: '30m' });
    const ping = runGroup({ knobs: { probe: 'ping', probeIdle: '3m', probeAnyInbound: false } }, { duration: '30m' });
    const whitespace = runGroup({ knobs: { probe: 'whitespace', probeIdle: '3m', probeTimeout: 0 } }, { duration: '30m' });
    expect(sentBy(r.events_, 'a1', 'r').length).toBeGreaterThanOrEqual(8);
    expect(sentBy(ping.events_, 'a1', 'iq').filter((event) => event.id?.startsWith('a1-probe-')).length).toBeGreaterThanOrEqual(8);
    expect(stanzasSent(whitespace.events_, 'a1')).toBe(1);
    for (const result of [r, ping, whitespace]) expect(offlineTimes(result.events_, 'a1', 'probe timeout')).toEqual([]);
  });

  it('a probe unanswered in time drops the link: offline 10 s after the probe into a black hole', () => {
    const result = runGroup({ knobs: { probeIdle: '3m', probeTimeout: '10s' }, schedule: { faults: [{ at: '5m', client: 'a1', kind: 'blackhole', durationMs: 600_000 }] } });
    const probe = sentBy(result.events_, 'a1', 'r').find((event) => event.t > 5 * minute)!;
    expect(offlineTimes(result.events_, 'a1', 'probe timeout')[0]).toBe(probe.t + 10_000);
  });
});

describe('closeStyle: leaving a link the probe found dead', () => {
  const blackhole = { faults: [{ at: '5m', client: 'a1', kind: 'blackhole', durationMs: 600_000 }] };

  it('abortive: the socket is dropped at once', () => {
    const result = runGroup({ knobs: { closeStyle: 'abortive' }, schedule: blackhole });
    const [first] = offlineTimes(result.events_, 'a1', 'probe timeout');
    expect(first).toBeDefined();
    expect(eventsOf(result.events_, 'client.state', 'a1').filter((event) => event.state === 'closing')).toEqual([]);
  });

  it('lastAckThenAbortive (Monal): a last <a/>, then the socket is dropped', () => {
    const result = runGroup({ knobs: { closeStyle: 'lastAckThenAbortive' }, schedule: blackhole });
    const [first] = offlineTimes(result.events_, 'a1', 'probe timeout');
    expect(sentBy(result.events_, 'a1', 'a').map((event) => event.t)).toContain(first);
  });

  it('graceful (xmpp.js): </stream:stream> first, then 5 s for the server’s close that never comes', () => {
    const result = runGroup({ knobs: { closeStyle: 'graceful' }, schedule: blackhole });
    const closing = eventsOf(result.events_, 'client.state', 'a1').find((event) => event.state === 'closing' && event.t > 5 * minute)!;
    expect(offlineTimes(result.events_, 'a1', 'close timeout')[0]).toBe(closing.t + 5000);
  });

  it('graceful on a slow but live link ends the session: the resume fails; abortive keeps it resumable', () => {
    // From 5 to 15 min every frame takes 2 min more each way: the probe (10 s) gives up.
    const slow = (closeStyle: string): ReturnType<typeof runGroup> =>
      runGroup(
        { knobs: { closeStyle } },
        {
          setup: (world) => {
            world.engine.at(5 * minute, () => world.network.fault('a1', 'delay', 120_000));
            world.engine.at(15 * minute, () => world.network.fault('a1', 'heal'));
          },
        },
      );
    const graceful = slow('graceful');
    const abortive = slow('abortive');
    expect(eventsOf(graceful.events_, 'smacks.resume-failed').length).toBeGreaterThan(0);
    expect(eventsOf(abortive.events_, 'smacks.resume-failed')).toEqual([]);
    expect(eventsOf(abortive.events_, 'smacks.hibernation-end').length).toBeGreaterThan(0);
  });
});

describe('reconnect: the backoff while the server cannot be reached', () => {
  /** Gaps between a1's connection attempts during a 40-minute black hole (login timeout 10 s). */
  function gaps(knobs: Record<string, unknown>): number[] {
    const result = runGroup({ knobs: { loginTimeout: '10s', reconnectJitter: 0, ...knobs }, schedule: { faults: [{ at: '5m', client: 'a1', kind: 'blackhole', durationMs: 2_400_000 }] } });
    const attempts = eventsOf(result.events_, 'client.state', 'a1').filter((event) => event.state === 'connecting' && event.t > 5 * minute && event.t < 45 * minute).map((event) => event.t);
    return attempts.slice(1, 6).map((t, index) => t - attempts[index]! - 10_000);
  }

  it('fixed: the same delay every time', () => {
    expect(gaps({ reconnect: 'fixed', reconnectBase: '3s' })).toEqual([3000, 3000, 3000, 3000, 3000]);
  });

  it('linear (Monal): +base·factor per attempt up to the cap', () => {
    expect(gaps({ reconnect: 'linear', reconnectBase: '500ms', reconnectFactor: 1, reconnectMax: '2s' })).toEqual([1000, 1500, 2000, 2000, 2000]);
  });

  it('exp: doubling up to the cap', () => {
    expect(gaps({ reconnect: 'exp', reconnectBase: '1s', reconnectFactor: 2, reconnectMax: '10s' })).toEqual([2000, 4000, 8000, 10_000, 10_000]);
  });

  it('steps (Smack, Psi): the base times a multiplier per attempt', () => {
    expect(gaps({ reconnect: 'steps', reconnectBase: '2s', reconnectSteps: [1, 1, 3, 3, 10] })).toEqual([2000, 6000, 6000, 20_000, 20_000]);
  });
});

describe('sm: use of Stream Management', () => {
  it("acks (Swift): <enable xmlns='urn:xmpp:sm:2'/> without resume; a break is a new session", () => {
    const result = runGroup(
      { model: 'swift', schedule: { faults: [{ at: '5m', client: 'a1', kind: 'blackhole', durationMs: 300_000 }] } },
      { setup: (world) => (world.models[0]!.xmpp.isRecording = true) },
    );
    const enabled = result.world.models[0]!.xmpp.received.filter((element) => element.name === 'enabled');
    expect(enabled.length).toBeGreaterThanOrEqual(2);
    expect(enabled.map((element) => element.attrs)).toContainEqual({ xmlns: 'urn:xmpp:sm:2' });
    expect(eventsOf(result.events_, 'smacks.enable').every((event) => !event.resumable)).toBe(true);
    expect(result.hibernation.started).toBe(0);
    expect(eventsOf(result.events_, 'client.state', 'a1').filter((event) => event.state === 'resuming')).toEqual([]);
  });

  it('off: no SM at all: no <enable/>, no <r/> from the client', () => {
    const result = runGroup({ knobs: { sm: 'off', probe: 'ping' }, messagesPerHour: 10 });
    expect(eventsOf(result.events_, 'smacks.enable')).toEqual([]);
    expect(sentBy(result.events_, 'a1', 'r')).toEqual([]);
    expect(result.messages.delivered).toBe(result.messages.sent);
  });
});

describe('csi: inactive in the background', () => {
  it('an on-use app says <inactive/> when it goes to the background and <active/> when opened; with csi off it says nothing', () => {
    const group = { model: 'conversations', network: 'lte-good', messagesPerHour: 2 };
    const on = runGroup(group, { duration: '2h' });
    const off = runGroup({ ...group, knobs: { csi: false } }, { duration: '2h' });
    const states = eventsOf(on.events_, 'csi.state').map((event) => event.state);
    expect(states).toContain('inactive');
    expect(states).toContain('active');
    expect(eventsOf(off.events_, 'csi.state')).toEqual([]);
  });
});

describe('devices and resources', () => {
  it('devices: a phone and a desktop per account, each its own client; a message to the bare JID reaches both', () => {
    const result = runGroup({
      devices: [
        { resource: 'phone', model: 'conversations', network: 'lte-good' },
        { resource: 'desktop', model: 'gajim', network: 'wifi-home' },
      ],
      schedule: { messages: [{ at: '10m', from: 'a1', to: 'a2' }] },
    });
    expect(result.world.models.map((model) => `${model.name} ${model.preset}`)).toEqual(['a1/phone conversations', 'a1/desktop gajim', 'a2/phone conversations', 'a2/desktop gajim']);
    expect(eventsOf(result.events_, 'message.delivered').map((event) => event.client).sort()).toEqual(['a2/desktop', 'a2/phone']);
    expect(result.messages).toMatchObject({ sent: 1, delivered: 1, duplicated: 0 });
    expect(result.byGroup.a).toMatchObject({ model: 'conversations+gajim', clients: 4, sent: { total: 1, delivered: 1 }, received: { total: 1, delivered: 1 } });
  });

  it('resources: 3 gives three identical devices desktop1 … desktop3', () => {
    const result = runGroup({ resources: 3 }, { duration: '10m' });
    expect(result.world.models.filter((model) => model.name.startsWith('a1/')).map((model) => model.name)).toEqual(['a1/desktop1', 'a1/desktop2', 'a1/desktop3']);
    expect(eventsOf(result.events_, 'session.bind').map((event) => event.jid).filter((jid) => jid.startsWith('a1@'))).toHaveLength(3);
  });
});
