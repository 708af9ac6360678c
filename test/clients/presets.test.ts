/**
 * The presets (src/clients/presets.ts): each parses, runs and settles; their numbers are the spec's;
 * `mobile` is the walking skeleton's model, result for result.
 */
import { describe, expect, it } from 'vitest';
import { clientPresetNames, clientPresets } from '../../src/clients/presets.js';
import { run } from '../helpers.js';
import { eventsOf, runGroup, sentBy } from './population.js';

/** The model presets (xmppjs-real, the real library, has its own tests: test/clients/xmppjs-real.test.ts). */
const models = ['mobile', 'conversations', 'monal', 'gajim', 'smack', 'yaxim', 'dino', 'psi', 'chatsecure', 'xmppjs', 'swift', 'spec-ideal'];

describe('every preset', () => {
  it('covers the issue’s list, and cites its source', () => {
    expect(clientPresetNames).toEqual(expect.arrayContaining(models));
    for (const name of clientPresetNames) expect(clientPresets[name]!.source.length).toBeGreaterThan(20);
  });

  it.each(models)('%s runs four clients for 3 h on lossy-mobile and settles', (model) => {
    const result = run(
      { name: model, duration: '3h', server: { cloud_notify: true }, population: { groups: [{ name: 'p', count: 4, model, network: 'lossy-mobile', messagesPerHour: 12 }] } },
      1,
    );
    expect(result.settled).toBe(true);
    expect(result.messages.sent).toBeGreaterThan(100);
    expect(result.byGroup.p).toMatchObject({ model, clients: 4, sent: { total: result.messages.sent }, received: { total: result.messages.sent } });
  });
});

describe('the numbers of spec §2.10', () => {
  it('Conversations: <r/> probe after 300 s with 15 s, reconnect 2–11 s then min(25·1.3^n, 300) s, uses <failed h>, re-sends messages', () => {
    expect(clientPresets.conversations!.knobs).toMatchObject({
      probe: 'r', probeIdleMs: 300_000, probeTimeoutMs: 15_000, reconnect: 'exp', reconnectBaseMs: 25_000, reconnectFactor: 1.3, reconnectMaxMs: 300_000,
      reconnectFirstMinMs: 2000, reconnectFirstMaxMs: 11_000, useFailedH: true, onFailedResume: 'resendMessages', csi: true, push: true,
    });
  });

  it('Monal: one <r/> at a time, 5 min / 8 s probe, 0.5 → 2 s, kills on bad h, last <a/> then abortive, disconnects in the background', () => {
    expect(clientPresets.monal!.knobs).toMatchObject({
      maxOutstandingR: 1, probeIdleMs: 300_000, probeTimeoutMs: 8000, reconnect: 'linear', reconnectBaseMs: 500, reconnectMaxMs: 2000,
      ackValidation: 'kill', closeStyle: 'lastAckThenAbortive', suspend: 'disconnect', onFailedResume: 'resendMessages',
    });
  });

  it('Smack re-sends all (iqs too) and ignores <failed h>; Gajim and ChatSecure drop; xmpp.js and Dino fail the stanzas', () => {
    expect(clientPresets.smack!.knobs).toMatchObject({ useFailedH: false, onFailedResume: 'resendAll', ackRequest: 'perMessage', ackEveryN: 5, probe: 'ping', probeIdleMs: 1_800_000 });
    expect(clientPresets.gajim!.knobs).toMatchObject({ onFailedResume: 'drop', probe: 'ping', probeIdleMs: 180_000, probeTimeoutMs: 10_000, reconnect: 'fixed', reconnectBaseMs: 3000 });
    expect(clientPresets.chatsecure!.knobs).toMatchObject({ onFailedResume: 'drop', useFailedH: false, ackRequest: 'debounce', ackEveryN: 10, ackDebounceMs: 5000, probe: 'whitespace', probeIdleMs: 120_000 });
    expect(clientPresets.xmppjs!.knobs).toMatchObject({ onFailedResume: 'failEvent', ackValidation: 'overcount', closeStyle: 'lastAckThenGraceful', queueWhileOffline: false, reconnectBaseMs: 1000, probeIdleMs: 30_000, probeTimeoutMs: 60_000 });
    expect(clientPresets.dino!.knobs).toMatchObject({ onFailedResume: 'failEvent', useFailedH: true, probe: 'ping', probeIdleMs: 60_000, reconnectBaseMs: 10_000 });
  });

  it('Swift enables acks only in urn:xmpp:sm:2', () => {
    expect(clientPresets.swift!.knobs).toMatchObject({ sm: 'acks', smNs: 'sm:2', ackRequest: 'perStanza' });
  });
});

describe('mobile: the walking skeleton, bit for bit', () => {
  it('sims/default-mobile-day.json gives the numbers it gave before the client models', () => {
    const result = run('default-mobile-day.json');
    expect(result.events).toBe(63_060);
    expect(result.messages).toEqual({ sent: 2917, delivered: 2727, duplicated: 0, offline: 190, bounced: 0, lost: 0, falseBounces: 0 });
    expect(result.resends).toBe(137);
    expect(result.hibernation).toEqual({ started: 387, resumed: 331, expired: 56, evicted: 0, resumedLive: 49 });
  });

  it('is the default model and keeps the old knob names (probeIdle, reconnectBase, …)', () => {
    const implicit = run({ name: 'm', duration: '2h', population: { groups: [{ name: 'p', count: 5, network: 'lossy-mobile', messagesPerHour: 10 }] } });
    const explicit = run({ name: 'm', duration: '2h', population: { groups: [{ name: 'p', count: 5, model: 'mobile', network: 'lossy-mobile', messagesPerHour: 10, knobs: { probeIdle: '5m', reconnectBase: '2s' } }] } });
    expect(explicit.traceHash).toBe(implicit.traceHash);
  });

  it('asks for an ack after each message only, and does not record what it receives', () => {
    const result = runGroup({ model: 'mobile', knobs: { probeIdle: '1h' }, schedule: { messages: [{ at: '5m', from: 'a1', to: 'a2' }, { at: '6m', from: 'a1', to: 'a2' }] } });
    expect(sentBy(result.events_, 'a1', 'r').map((event) => event.t).filter((t) => t < 3_600_000)).toEqual([300_000, 360_000]);
    expect(result.world.models.every((model) => model.xmpp.received.length === 0)).toBe(true);
    expect(eventsOf(result.events_, 'message.delivered')).toHaveLength(2);
  });
});
