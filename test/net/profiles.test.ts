/**
 * The network profiles (src/net/profile.ts): their numbers, and for each the behaviour it exists for,
 * shown with the client models that meet it.
 */
import { describe, expect, it } from 'vitest';
import { networkProfileNames, networkProfiles } from '../../src/net/profile.js';
import { pathOptionsDefault } from '../../src/net/path.js';
import { eventsOf, offlineTimes, runGroup, sentBy } from '../clients/population.js';

const minute = 60_000;

describe('the profiles', () => {
  it('include the skeleton’s three, unchanged, and the nine of the issue', () => {
    expect(networkProfileNames).toEqual(['loopback', 'wired', 'lossy-mobile', 'wifi-home', 'lte-good', '3g-bad', 'handover', 'tunnel', 'nat-rebind', 'ios-suspend', 'android-doze', 'browser-hidden']);
    expect(networkProfiles.loopback!.path).toEqual({ ...pathOptionsDefault, latencyMs: 0 });
    expect(networkProfiles.wired!.path).toEqual({ ...pathOptionsDefault, latencyMs: 10, jitterMs: 2 });
    expect(networkProfiles['lossy-mobile']!.path).toEqual({ ...pathOptionsDefault, latencyMs: 40, jitterMs: 80, lossRate: 0.02, lossRetransmitMs: 400 });
    expect(networkProfiles['lossy-mobile']!.faults.map((fault) => fault.kind)).toEqual(['reset', 'blackhole', 'outage']);
  });

  it('keep Linux tcp_retries2 (924.6 s) and no NAT on the skeleton’s paths; every profile names its source', () => {
    for (const name of networkProfileNames) {
      expect(networkProfiles[name]!.path.tcpGiveUpMs).toBe(924_600);
      expect(networkProfiles[name]!.source.length).toBeGreaterThan(10);
    }
    for (const name of ['loopback', 'wired', 'lossy-mobile']) expect(networkProfiles[name]!.path.natIdleMs).toBe(0);
  });

  it('carry the §5 numbers: carrier NAT 5–30 min on LTE, 10 min on nat-rebind, 2 h 4 min at home', () => {
    expect(networkProfiles['lte-good']!.path).toMatchObject({ natIdleMs: 5 * minute, natIdleMsMax: 30 * minute, lossRate: 0.005 });
    expect(networkProfiles['nat-rebind']!.path).toMatchObject({ natIdleMs: 10 * minute, natIdleMsMax: 0 });
    expect(networkProfiles['wifi-home']!.path.natIdleMs).toBe(124 * minute);
    expect(networkProfiles['3g-bad']!.path).toMatchObject({ latencyMs: 150, jitterMs: 350, lossRate: 0.05 });
    expect(networkProfiles.tunnel!.faults).toEqual([{ kind: 'outage', perHour: 1, durationMsMin: 30_000, durationMsMax: 300_000 }]);
    expect(networkProfiles.handover!.faults).toEqual([{ kind: 'handover', perHour: 1, durationMsMin: 1000, durationMsMax: 5000 }]);
    expect(networkProfiles['ios-suspend']!.device).toMatchObject({ kind: 'ios-suspend', suspendAfterMsMin: 5000, suspendAfterMsMax: 30_000, pushWakeMs: 30_000 });
    expect(networkProfiles['android-doze']!.device).toMatchObject({ kind: 'android-doze', alarmGapMs: 9 * minute });
    expect(networkProfiles['browser-hidden']!.device).toMatchObject({ kind: 'browser-hidden', throttleAfterMs: 5 * minute, quantumMs: minute });
  });
});

describe('nat-rebind: a carrier NAT forgets flows idle for 10 minutes', () => {
  const quiet = (knobs: Record<string, unknown>): ReturnType<typeof runGroup> => runGroup({ network: 'nat-rebind', knobs }, { duration: '2h' });

  it('a nat-rebind client with a probe interval above the NAT timeout loses its connection, below it does not', () => {
    const below = quiet({ probeIdle: '3m' });
    const above = quiet({ probeIdle: '15m' });
    expect(eventsOf(below.events_, 'net.nat-expired')).toEqual([]);
    expect(offlineTimes(below.events_, 'a1', 'probe timeout')).toEqual([]);
    expect(eventsOf(above.events_, 'net.nat-expired').length).toBeGreaterThanOrEqual(2);
    expect(offlineTimes(above.events_, 'a1', 'probe timeout').length).toBeGreaterThanOrEqual(1);
  });

  it('frames after the expiry are dropped silently: the probe after 15 min of silence goes unanswered', () => {
    const above = quiet({ probeIdle: '15m', probeTimeout: '10s' });
    const expired = eventsOf(above.events_, 'net.nat-expired')[0]!;
    expect(expired.idleMs).toBeGreaterThan(10 * minute);
    const gaveUp = offlineTimes(above.events_, 'a1', 'probe timeout')[0]!;
    expect(sentBy(above.events_, 'a1', 'r').map((event) => event.t)).toContain(gaveUp - 10_000);
    expect(eventsOf(above.events_, 'client.recv', 'a1').filter((event) => event.t >= gaveUp - 10_000 && event.t <= gaveUp)).toEqual([]);
    expect(eventsOf(above.events_, 'net.drop').some((event) => event.t === gaveUp - 10_000 && event.name === 'r')).toBe(true);
  });

  it('a whitespace keepalive below the timeout keeps the mapping too; above it, TCP gives up after tcp_retries2', () => {
    const below = quiet({ probe: 'whitespace', probeIdle: '5m', probeTimeout: 0 });
    const above = quiet({ probe: 'whitespace', probeIdle: '15m', probeTimeout: 0 });
    expect(eventsOf(below.events_, 'net.nat-expired')).toEqual([]);
    const expired = eventsOf(above.events_, 'net.nat-expired')[0]!;
    const gaveUp = offlineTimes(above.events_, 'a1', 'ETIMEDOUT')[0]!;
    expect(gaveUp - expired.t).toBeGreaterThanOrEqual(924_600);
    expect(offlineTimes(above.events_, 'a1', 'probe timeout')).toEqual([]);
  });
});

describe('handover: the old path dies without a word, the new one is up seconds later', () => {
  it('a client that probes on a network change (Conversations, spec-ideal) notices within its probe timeout; one that does not waits for its idle probe', () => {
    const reacting = runGroup({ network: 'handover' }, { duration: '6h' });
    const deaf = runGroup({ network: 'handover', knobs: { netChange: 'none' } }, { duration: '6h' });
    const heals = eventsOf(reacting.events_, 'net.fault', 'a1').filter((event) => event.fault === 'heal').map((event) => event.t);
    const noticed = offlineTimes(reacting.events_, 'a1', 'network change');
    expect(noticed.length).toBe(heals.length);
    noticed.forEach((t, index) => expect(t - heals[index]!).toBe(10_000));
    expect(offlineTimes(deaf.events_, 'a1', 'network change')).toEqual([]);
    expect(offlineTimes(deaf.events_, 'a1', 'probe timeout').length).toBe(heals.length);
  });
});

describe('tunnel: blackouts of 30 s – 5 min that TCP survives', () => {
  it('frames wait in the outage and arrive after it: no message is lost, and short blackouts need no reconnect', () => {
    const result = runGroup({ network: 'tunnel', messagesPerHour: 20 }, { duration: '6h' });
    const outages = eventsOf(result.events_, 'net.fault', 'a1').filter((event) => event.fault === 'outage');
    expect(outages.length).toBeGreaterThanOrEqual(3);
    expect(result.messages.lost).toBe(0);
    expect(result.messages.delivered + result.messages.offline).toBe(result.messages.sent);
  });
});

describe('ios-suspend: frozen in the background, woken by push', () => {
  const iphone = (model: string, knobs: Record<string, unknown> = {}): ReturnType<typeof runGroup> =>
    runGroup({ model, network: 'ios-suspend', messagesPerHour: 1, knobs }, { duration: '3h', server: { cloud_notify: true } });

  it('the app is suspended 5–30 s after going to the background, and sends nothing while suspended', () => {
    const result = iphone('chatsecure');
    const states = eventsOf(result.events_, 'client.app', 'a1');
    const background = states.filter((event) => event.state === 'background');
    expect(background.length).toBeGreaterThan(0);
    for (const gone of background) {
      const suspended = states.find((event) => event.t > gone.t && event.state !== 'background');
      if (suspended?.state === 'suspended') expect(suspended.t - gone.t).toBeGreaterThanOrEqual(5000);
    }
    // No whitespace keepalive or anything else while frozen.
    let frozenSince: number | undefined;
    for (const event of result.events_) {
      if (event.type === 'client.app' && event.client === 'a1') frozenSince = event.state === 'suspended' ? event.t : undefined;
      if (frozenSince !== undefined && event.type === 'client.send' && event.client === 'a1') expect.fail(`a1 sent ${event.name} at ${event.t} while suspended since ${frozenSince}`);
    }
  });

  it('mod_cloud_notify pushes to the suspended app (push.sent), the device gets it (push.received) and wakes', () => {
    const result = iphone('chatsecure');
    expect(eventsOf(result.events_, 'push.sent').length).toBeGreaterThan(0);
    const received = eventsOf(result.events_, 'push.received', 'a1');
    expect(received.length).toBeGreaterThan(0);
    const awake = eventsOf(result.events_, 'client.app', 'a1').filter((event) => event.state === 'awake').map((event) => event.t);
    for (const push of received.slice(0, 5)) expect(awake).toContain(push.t);
  });

  it('suspend: disconnect (Monal) hibernates at every suspension; keep (ChatSecure) leaves the socket open', () => {
    const monal = iphone('monal');
    const keep = iphone('monal', { suspend: 'keep' });
    expect(monal.hibernation.started).toBeGreaterThan(5 * Math.max(1, keep.hibernation.started));
    expect(offlineTimes(monal.events_, 'a1', 'going to background').length).toBeGreaterThan(0);
    expect(monal.messages.lost).toBe(0);
  });
});

describe('android-doze: timers coalesced to alarm slots, network only in maintenance windows', () => {
  it('while dozing, the app’s timers fire at most once per 9 minutes and its device is offline between windows', () => {
    const result = runGroup({ model: 'conversations', network: 'android-doze', knobs: { opensPerHour: 0 } }, { duration: '4h', server: { cloud_notify: true } });
    const doze = eventsOf(result.events_, 'client.app', 'a1').find((event) => event.state === 'doze')!;
    expect(doze.t).toBeGreaterThanOrEqual(30 * minute);
    expect(eventsOf(result.events_, 'net.fault', 'a1').some((event) => event.fault === 'device-offline')).toBe(true);
    // The client's own writes during Doze (outside windows) cluster at alarm slots ≥ 9 min apart.
    const awake = eventsOf(result.events_, 'client.app', 'a1').filter((event) => event.t > doze.t);
    const writes = eventsOf(result.events_, 'client.send', 'a1').filter((event) => event.t > doze.t && event.t < 4 * 60 * minute && !awake.some((state) => state.state === 'awake' && event.t >= state.t && event.t <= state.t + 30_000));
    const slots = [...new Set(writes.map((event) => event.t))];
    // The idle probe fell due during Doze and went out at the first alarm slot, 9 min after dozing began.
    expect(slots[0]).toBe(doze.t + 9 * minute);
    for (let index = 1; index < slots.length; index++) {
      if (slots[index]! - slots[index - 1]! > 1000) expect(slots[index]! - slots[index - 1]!).toBeGreaterThanOrEqual(9 * minute);
    }
  });
});

describe('browser-hidden: timers of a tab hidden for 5 minutes fire on whole minutes', () => {
  it('xmpp.js’s 30 s <r/> probe of a hidden tab goes out only on minute boundaries', () => {
    const result = runGroup({ model: 'xmppjs', network: 'browser-hidden', knobs: { opensPerHour: 0 } }, { duration: '2h' });
    const probes = sentBy(result.events_, 'a1', 'r').filter((event) => event.t > 10 * minute && event.t < 2 * 60 * minute);
    expect(probes.length).toBeGreaterThan(10);
    for (const probe of probes) expect(probe.t % minute).toBe(0);
    const visible = runGroup({ model: 'xmppjs', network: 'browser-hidden', knobs: { foreground: 'always' } }, { duration: '2h' });
    expect(sentBy(visible.events_, 'a1', 'r').filter((event) => event.t > 10 * minute).some((event) => event.t % minute !== 0)).toBe(true);
  });
});

describe('3g-bad and lte-good: latency and the radio', () => {
  it('a round trip on 3g-bad takes 300 ms or more; on lte-good about 50–80 ms, plus 260 ms when the radio wakes', () => {
    const rtts = (network: string): number[] => {
      const result = runGroup({ network, knobs: { probeIdle: '1m' } }, { duration: '30m' });
      const sent = sentBy(result.events_, 'a1', 'r').map((event) => event.t);
      const answers = eventsOf(result.events_, 'client.recv', 'a1').filter((event) => event.name === 'a').map((event) => event.t);
      return sent.map((t) => answers.find((answer) => answer >= t)! - t).filter((rtt) => Number.isFinite(rtt));
    };
    const bad = rtts('3g-bad');
    const good = rtts('lte-good');
    expect(Math.min(...bad)).toBeGreaterThanOrEqual(300);
    expect(Math.min(...good)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...good)).toBeLessThan(bad.reduce((sum, rtt) => sum + rtt, 0) / bad.length);
    // Probes after a minute of silence find the LTE radio asleep (tail 11.6 s): +260 ms.
    expect(good.filter((rtt) => rtt >= 310).length).toBeGreaterThan(good.length / 2);
  });
});
