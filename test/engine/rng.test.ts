import { describe, expect, it } from 'vitest';
import { Rng, RngStreams } from '../../src/engine/rng.js';

function draws(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.float());
}

describe('RngStreams', () => {
  it('gives the same sequence for the same seed and stream name', () => {
    const first = draws(new RngStreams(42).stream('net/alice'), 50);
    const second = draws(new RngStreams(42).stream('net/alice'), 50);
    expect(second).toEqual(first);
  });

  it('gives different sequences to different stream names under one seed', () => {
    const streams = new RngStreams(42);
    const alice = draws(streams.stream('net/alice'), 20);
    const bob = draws(streams.stream('net/bob'), 20);
    expect(bob).not.toEqual(alice);
    // Not just shifted: no draw of one appears among the first draws of the other.
    expect(alice.filter((value) => bob.includes(value))).toEqual([]);
  });

  it('gives different sequences to the same name under different seeds', () => {
    const one = draws(new RngStreams(1).stream('traffic'), 20);
    const two = draws(new RngStreams(2).stream('traffic'), 20);
    expect(two).not.toEqual(one);
  });

  it('drawing from stream "a" does not change what stream "b" yields', () => {
    const quiet = new RngStreams(7);
    quiet.stream('a');
    const bobQuiet = draws(quiet.stream('b'), 100);

    const busy = new RngStreams(7);
    draws(busy.stream('a'), 1000);
    const bobBusy = draws(busy.stream('b'), 100);
    draws(busy.stream('a'), 1000);

    expect(bobBusy).toEqual(bobQuiet);
  });

  it('hands out one stateful stream per name: asking again continues where it left off', () => {
    const streams = new RngStreams(3);
    const firstTwo = draws(streams.stream('x'), 2);
    const third = streams.stream('x').float();
    expect(streams.stream('x')).toBe(streams.stream('x'));
    expect([...firstTwo, third]).toEqual(draws(new RngStreams(3).stream('x'), 3));
  });
});

describe('Rng ranges', () => {
  const rng = new RngStreams(99).stream('ranges');

  it('float stays in [0, 1)', () => {
    const values = draws(rng, 10_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });

  it('int(low, high) yields exactly the integers low..high, both ends included', () => {
    const seen = new Set<number>();
    for (let index = 0; index < 5000; index++) seen.add(rng.int(3, 8));
    expect([...seen].sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('int(n, n) always yields n', () => {
    for (let index = 0; index < 100; index++) expect(rng.int(60_000, 60_000)).toBe(60_000);
  });

  it('chance(0) is never true and chance(1) is always true', () => {
    const never = Array.from({ length: 2000 }, () => rng.chance(0));
    const always = Array.from({ length: 2000 }, () => rng.chance(1));
    expect(never.includes(true)).toBe(false);
    expect(always.includes(false)).toBe(false);
  });

  it('chance(0.25) is true about a quarter of the time', () => {
    let hits = 0;
    for (let index = 0; index < 20_000; index++) if (rng.chance(0.25)) hits++;
    expect(hits / 20_000).toBeGreaterThan(0.23);
    expect(hits / 20_000).toBeLessThan(0.27);
  });

  it('exponential(mean) is finite, non-negative, and averages near its mean', () => {
    const values = Array.from({ length: 20_000 }, () => rng.exponential(600_000));
    expect(values.every(Number.isFinite)).toBe(true);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean).toBeGreaterThan(570_000);
    expect(mean).toBeLessThan(630_000);
  });

  it('pick returns every member of the list over many draws and refuses an empty list', () => {
    const items = ['alice', 'bob', 'carol'] as const;
    const picked = new Set(Array.from({ length: 300 }, () => rng.pick(items)));
    expect([...picked].sort()).toEqual(['alice', 'bob', 'carol']);
    expect(() => rng.pick([])).toThrow(RangeError);
  });

  it('bytes(n) returns n values in 0..255', () => {
    const bytes = rng.bytes(64);
    expect(bytes).toHaveLength(64);
    expect(bytes.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255)).toBe(true);
    // 64 bytes that are all equal would mean the stream is stuck.
    expect(new Set(bytes).size).toBeGreaterThan(1);
  });
});
