/**
 * The workload of a population group (src/workload/traffic.ts): chat at per-user rates with a
 * diurnal shape, bursts, presence churn, and pings between clients.
 */
import { describe, expect, it } from 'vitest';
import { diurnalFactor } from '../../src/workload/traffic.js';
import { eventsOf, runGroup } from '../clients/population.js';

const hour = 3_600_000;

function chat(traffic: Record<string, unknown>, options: { count?: number; messagesPerHour?: number; duration?: string } = {}): ReturnType<typeof runGroup> {
  return runGroup({ count: options.count ?? 20, messagesPerHour: options.messagesPerHour ?? 6, traffic }, { duration: options.duration ?? '1d' });
}

describe('diurnal shape', () => {
  it('the factor is 1 + a·cos(2π(hour − peak)/24): 1.8 at the peak, 0.2 twelve hours later, 1 on average', () => {
    const diurnal = { peakHour: 20, amplitude: 0.8 };
    expect(diurnalFactor(20 * hour, diurnal)).toBeCloseTo(1.8);
    expect(diurnalFactor(8 * hour, diurnal)).toBeCloseTo(0.2);
    const mean = Array.from({ length: 24 }, (_, h) => diurnalFactor(h * hour, diurnal)).reduce((a, b) => a + b) / 24;
    expect(mean).toBeCloseTo(1);
  });

  it('diurnal traffic sends more in the day than at night', () => {
    const result = chat({ diurnal: { peakHour: 14, amplitude: 0.9 } });
    const sent = eventsOf(result.events_, 'message.sent').map((event) => (event.t / hour) % 24);
    const day = sent.filter((h) => h >= 10 && h < 18).length;
    const night = sent.filter((h) => h >= 22 || h < 6).length;
    expect(day).toBeGreaterThan(4 * night);
    // Over the day the mean rate stays the group's: 20 users × 6/h × 24 h ≈ 2880.
    expect(sent.length).toBeGreaterThan(2400);
    expect(sent.length).toBeLessThan(3400);
  });

  it('without it, day and night are alike', () => {
    const sent = eventsOf(chat({}).events_, 'message.sent').map((event) => (event.t / hour) % 24);
    const day = sent.filter((h) => h >= 10 && h < 18).length;
    const night = sent.filter((h) => h >= 22 || h < 6).length;
    expect(day / night).toBeGreaterThan(0.8);
    expect(day / night).toBeLessThan(1.25);
  });
});

describe('per-user rates', () => {
  /** Messages per sender. */
  function perSender(result: ReturnType<typeof runGroup>): number[] {
    const counts = new Map<string, number>();
    for (const event of eventsOf(result.events_, 'message.sent')) counts.set(event.client, (counts.get(event.client) ?? 0) + 1);
    return [...counts.values()].sort((a, b) => a - b);
  }

  it('rateSpread 1: a few chatty users and many quiet ones (the busiest writes over 5× the median)', () => {
    const counts = perSender(chat({ rateSpread: 1 }, { count: 40 }));
    const median = counts[Math.floor(counts.length / 2)]!;
    expect(counts.at(-1)!).toBeGreaterThan(5 * median);
  });

  it('rateSpread 0: every user writes at the group rate (the busiest under 1.5× the median)', () => {
    const counts = perSender(chat({}, { count: 40 }));
    const median = counts[Math.floor(counts.length / 2)]!;
    expect(counts.at(-1)!).toBeLessThan(1.5 * median);
  });
});

describe('bursts', () => {
  it('a burst is 2–5 messages to the same peer, 5–30 s apart', () => {
    const result = chat({ bursts: { probability: 1, sizeMin: 3, sizeMax: 3, gapMin: '5s', gapMax: '30s' } }, { count: 4, messagesPerHour: 2, duration: '6h' });
    const sent = eventsOf(result.events_, 'message.sent').filter((event) => event.client === 'a1');
    expect(sent.length % 3).toBe(0);
    for (let index = 0; index < sent.length; index += 3) {
      const [first, second, third] = [sent[index]!, sent[index + 1]!, sent[index + 2]!];
      expect(new Set([first.to, second.to, third.to]).size).toBe(1);
      expect(second.t - first.t).toBeGreaterThanOrEqual(5000);
      expect(third.t - second.t).toBeLessThanOrEqual(30_000);
    }
  });
});

describe('presence churn and iq round trips', () => {
  it('presencePerHour: available/away updates go out; pingsPerHour: pings to other clients come back answered', () => {
    const result = runGroup({ count: 6, traffic: { presencePerHour: 4, pingsPerHour: 6 } }, { duration: '4h' });
    expect(result.clientSide.presenceSent).toBeGreaterThan(60);
    expect(result.clientSide.pingsSent).toBeGreaterThan(100);
    expect(result.clientSide.pingsAnswered).toBe(result.clientSide.pingsSent);
    // A round trip through the server and the other client on a wired path: 4 × 10 ms ± jitter.
    expect(result.clientSide.pingRttMsMean).toBeGreaterThanOrEqual(40);
    expect(result.clientSide.pingRttMsMean).toBeLessThan(60);
    const pings = eventsOf(result.events_, 'client.send').filter((event) => event.name === 'iq' && event.id?.includes('-ping-'));
    expect(pings.length).toBe(result.clientSide.pingsSent + result.clientSide.pingsSent);
  });
});
