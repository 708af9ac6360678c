import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/engine/assert.js';
import { SmQueue } from '../../src/smacks/smqueue.js';

function range(from: number, toExclusive: number): number[] {
  return Array.from({ length: toExclusive - from }, (_, index) => from + index);
}

describe('SmQueue push and ack', () => {
  it('counts pushed stanzas as unacked until h covers them, and returns the acked ones oldest first', () => {
    const queue = new SmQueue<string>(10);
    for (const id of ['m1', 'm2', 'm3']) queue.push(id);
    expect(queue.countUnacked()).toBe(3);
    expect(queue.countAcked()).toBe(0);

    expect(queue.ack(2)).toEqual(['m1', 'm2']);
    expect(queue.countUnacked()).toBe(1);
    expect(queue.countAcked()).toBe(2);
    expect(queue.items()).toEqual(['m3']);

    expect(queue.ack(3)).toEqual(['m3']);
    expect(queue.countUnacked()).toBe(0);
    expect(queue.countAcked()).toBe(3);
    expect(queue.items()).toEqual([]);
  });

  it('treats a repeated h as a no-op that acks nothing', () => {
    const queue = new SmQueue<string>(10);
    queue.push('m1');
    queue.push('m2');
    expect(queue.ack(1)).toEqual(['m1']);
    expect(queue.ack(1)).toEqual([]);
    expect(queue.items()).toEqual(['m2']);
  });

  it("answers 'tail' when h is below what was already acknowledged, changing nothing", () => {
    const queue = new SmQueue<string>(10);
    for (const id of ['m1', 'm2', 'm3']) queue.push(id);
    queue.ack(2);
    expect(queue.ack(1)).toBe('tail');
    expect(queue.countAcked()).toBe(2);
    expect(queue.items()).toEqual(['m3']);
  });

  it("answers 'head' when h acknowledges more than was ever sent, changing nothing", () => {
    const queue = new SmQueue<string>(10);
    queue.push('m1');
    queue.push('m2');
    expect(queue.ack(3)).toBe('head');
    expect(queue.countAcked()).toBe(0);
    expect(queue.countUnacked()).toBe(2);
    expect(queue.items()).toEqual(['m1', 'm2']);
  });

  it('acks h=0 on a fresh queue as nothing, and refuses h=1', () => {
    const queue = new SmQueue<string>(5);
    expect(queue.ack(0)).toEqual([]);
    expect(queue.ack(1)).toBe('head');
  });

  it('refuses a capacity of 0 with an assertion, as smqueue.new asserts size > 0', () => {
    expect(() => new SmQueue<string>(0)).toThrow(AssertionError);
    expect(() => new SmQueue<string>(0)).toThrow('smqueue capacity must be a positive integer, got 0');
    expect(() => new SmQueue<string>(-1)).toThrow(AssertionError);
    expect(() => new SmQueue<string>(2.5)).toThrow(AssertionError);
  });
});

describe('SmQueue overflow (util.queue with allow_wrapping)', () => {
  it('silently discards the oldest buffered stanza when full and reports it to onDiscard', () => {
    const discarded: string[] = [];
    const queue = new SmQueue<string>(3, (item) => discarded.push(item));
    for (const id of ['m1', 'm2', 'm3', 'm4']) queue.push(id);
    expect(discarded).toEqual(['m1']);
    expect(queue.items()).toEqual(['m2', 'm3', 'm4']);
    expect(queue.countBuffered()).toBe(3);
    // The counters still count every stanza sent: m1 is unacked but gone.
    expect(queue.countUnacked()).toBe(4);
  });

  it('is resumable until an unacked stanza is discarded, and not after', () => {
    const queue = new SmQueue<string>(3);
    for (const id of ['m1', 'm2', 'm3']) queue.push(id);
    expect(queue.resumable()).toBe(true);
    queue.push('m4');
    expect(queue.resumable()).toBe(false);
    expect(queue.ack(0)).toEqual([]);
    expect(queue.resumable()).toBe(false);
  });

  it('stays resumable when the queue is kept from filling by acks', () => {
    const discarded: string[] = [];
    const queue = new SmQueue<number>(3, (item) => discarded.push(String(item)));
    for (const n of range(1, 11)) {
      queue.push(n);
      queue.ack(n - 1);
    }
    expect(discarded).toEqual([]);
    expect(queue.resumable()).toBe(true);
    expect(queue.items()).toEqual([10]);
  });

  it('becomes resumable again once the client acknowledges the discarded stanza', () => {
    const queue = new SmQueue<string>(3);
    for (const id of ['m1', 'm2', 'm3', 'm4']) queue.push(id);
    // h=1 covers m1, which was discarded: nothing buffered is acknowledged.
    expect(queue.ack(1)).toEqual([]);
    expect(queue.resumable()).toBe(true);
    expect(queue.items()).toEqual(['m2', 'm3', 'm4']);
    expect(queue.ack(2)).toEqual(['m2']);
    expect(queue.items()).toEqual(['m3', 'm4']);
  });

  it('acks only what is still buffered after several discards', () => {
    const discarded: string[] = [];
    const queue = new SmQueue<string>(2, (item) => discarded.push(item));
    for (const id of ['m1', 'm2', 'm3', 'm4']) queue.push(id);
    expect(discarded).toEqual(['m1', 'm2']);
    expect(queue.ack(3)).toEqual(['m3']);
    expect(queue.countUnacked()).toBe(1);
    expect(queue.items()).toEqual(['m4']);
    expect(queue.resumable()).toBe(true);
  });

  it('keeps only the newest stanza at capacity 1', () => {
    const discarded: string[] = [];
    const queue = new SmQueue<string>(1, (item) => discarded.push(item));
    for (const id of ['m1', 'm2', 'm3']) queue.push(id);
    expect(discarded).toEqual(['m1', 'm2']);
    expect(queue.items()).toEqual(['m3']);
  });
});

describe('SmQueue items and consume', () => {
  it('items() lists buffered stanzas oldest first without removing them', () => {
    const queue = new SmQueue<string>(5);
    for (const id of ['m1', 'm2', 'm3']) queue.push(id);
    expect(queue.items()).toEqual(['m1', 'm2', 'm3']);
    expect(queue.items()).toEqual(['m1', 'm2', 'm3']);
    expect(queue.countBuffered()).toBe(3);
  });

  it('items() keeps order after the ring has wrapped around', () => {
    const queue = new SmQueue<number>(4);
    for (const n of range(1, 5)) queue.push(n);
    queue.ack(3);
    for (const n of range(5, 8)) queue.push(n);
    expect(queue.items()).toEqual([4, 5, 6, 7]);
  });

  it('consume() returns every buffered stanza oldest first and empties the buffer, leaving the counters as they were', () => {
    const queue = new SmQueue<string>(5);
    for (const id of ['m1', 'm2', 'm3']) queue.push(id);
    queue.ack(1);
    expect(queue.consume()).toEqual(['m2', 'm3']);
    expect(queue.items()).toEqual([]);
    expect(queue.countBuffered()).toBe(0);
    // As in Prosody, smqueue:consume() pops the queue but does not move _head or _tail.
    expect(queue.countUnacked()).toBe(2);
    expect(queue.countAcked()).toBe(1);
  });
});

describe('SmQueue growth', () => {
  it('grows its backing array past 64 items up to capacity 500, then discards the 200 oldest of 700', () => {
    const discarded: number[] = [];
    const queue = new SmQueue<number>(500, (item) => discarded.push(item));
    for (const n of range(0, 700)) queue.push(n);
    expect(queue.countBuffered()).toBe(500);
    expect(queue.countUnacked()).toBe(700);
    expect(discarded).toEqual(range(0, 200));
    expect(queue.items()).toEqual(range(200, 700));
    expect(queue.resumable()).toBe(false);

    const acked = queue.ack(650);
    expect(acked).toEqual(range(200, 650));
    expect(queue.items()).toEqual(range(650, 700));
    expect(queue.resumable()).toBe(true);
  });

  it('keeps order when it grows while the ring has wrapped', () => {
    const queue = new SmQueue<number>(500);
    for (const n of range(0, 60)) queue.push(n);
    expect(queue.ack(50)).toEqual(range(0, 50));
    // 10 buffered near the end of the 64-slot ring; the next 100 wrap and then force growth twice.
    for (const n of range(60, 160)) queue.push(n);
    expect(queue.items()).toEqual(range(50, 160));
    expect(queue.ack(100)).toEqual(range(50, 100));
    expect(queue.items()).toEqual(range(100, 160));
  });

  it('grows to a capacity that is not a power of two (100) and wraps there', () => {
    const discarded: number[] = [];
    const queue = new SmQueue<number>(100, (item) => discarded.push(item));
    for (const n of range(0, 150)) queue.push(n);
    expect(discarded).toEqual(range(0, 50));
    expect(queue.items()).toEqual(range(50, 150));
    expect(queue.ack(120)).toEqual(range(50, 120));
  });
});
