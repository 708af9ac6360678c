import { describe, expect, it } from 'vitest';
import { EventQueue, type QueuedEvent } from '../../src/engine/event-queue.js';

function event(at: number, seq: number): QueuedEvent {
  return { at, seq, cancelled: false, fire: () => {} };
}

function drain(queue: EventQueue): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let head = queue.pop(); head !== undefined; head = queue.pop()) out.push([head.at, head.seq]);
  return out;
}

describe('EventQueue', () => {
  it('pops an empty queue as undefined', () => {
    const queue = new EventQueue();
    expect(queue.peek()).toBeUndefined();
    expect(queue.pop()).toBeUndefined();
    expect(queue.size).toBe(0);
  });

  it('orders by time first and by insertion sequence within one millisecond, whatever order they were pushed in', () => {
    const queue = new EventQueue();
    // Pushed out of order on purpose: the heap must not rely on push order.
    for (const [at, seq] of [[5, 3], [1, 4], [5, 0], [1, 1], [3, 2], [1, 0], [5, 9]] as const) queue.push(event(at, seq));
    expect(queue.size).toBe(7);
    expect(drain(queue)).toEqual([[1, 0], [1, 1], [1, 4], [3, 2], [5, 0], [5, 3], [5, 9]]);
  });

  it('keeps (time, seq) order for 2000 events crowded onto 7 distinct milliseconds', () => {
    const queue = new EventQueue();
    // A fixed linear congruential generator: the same "random" push order on every run.
    let state = 12345;
    const nextInt = (bound: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % bound;
    };
    const seqs = Array.from({ length: 2000 }, (_, index) => index);
    for (let index = seqs.length - 1; index > 0; index--) {
      const other = nextInt(index + 1);
      [seqs[index], seqs[other]] = [seqs[other]!, seqs[index]!];
    }
    const pushed = seqs.map((seq) => event(nextInt(7) * 10, seq));
    for (const item of pushed) queue.push(item);
    const popped = drain(queue);
    const expected = pushed.map((item): [number, number] => [item.at, item.seq]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(popped).toHaveLength(2000);
    expect(popped).toEqual(expected);
  });
});
