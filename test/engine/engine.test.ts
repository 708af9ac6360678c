import { describe, expect, it } from 'vitest';
import { AssertionError, LimitError } from '../../src/engine/assert.js';
import { Engine } from '../../src/engine/engine.js';

describe('Engine ordering', () => {
  it('fires events by virtual time, ties in the order they were scheduled', () => {
    const engine = new Engine();
    const fired: string[] = [];
    const times = [30, 10, 20, 10, 30, 0, 10, 20];
    times.forEach((time, index) => engine.at(time, () => fired.push(`${index}@${engine.now}`)));
    engine.runUntil(100);
    expect(fired).toEqual(['5@0', '1@10', '3@10', '6@10', '2@20', '7@20', '0@30', '4@30']);
  });

  it('fires 1000 events scheduled in a scrambled order exactly as a stable sort by time would', () => {
    const engine = new Engine();
    const fired: number[] = [];
    // Fixed pseudo-random times in [0, 9]: lots of ties, no dependence on Math.random.
    let state = 7;
    const times: number[] = [];
    for (let index = 0; index < 1000; index++) {
      state = (state * 48271) % 2147483647;
      times.push(state % 10);
    }
    times.forEach((time, index) => engine.at(time, () => fired.push(index)));
    engine.runUntil(10);
    const expected = times.map((time, index) => ({ time, index })).sort((a, b) => a.time - b.time).map(({ index }) => index);
    expect(fired).toEqual(expected);
    expect(engine.eventsFired).toBe(1000);
  });

  it('runs after(0) from inside a handler after the events already queued for the same millisecond', () => {
    const engine = new Engine();
    const fired: string[] = [];
    engine.at(5, () => {
      fired.push('a');
      engine.after(0, () => fired.push('a-child'));
    });
    engine.at(5, () => fired.push('b'));
    engine.at(5, () => fired.push('c'));
    engine.at(6, () => fired.push('later'));
    engine.runUntil(10);
    expect(fired).toEqual(['a', 'b', 'c', 'a-child', 'later']);
  });

  it('floors fractional delays and treats a negative delay as zero', () => {
    const engine = new Engine();
    engine.runUntil(100);
    expect(engine.after(2.9, () => {}).at).toBe(102);
    expect(engine.after(-5, () => {}).at).toBe(100);
  });

  it('refuses to schedule in the past with an assertion', () => {
    const engine = new Engine();
    engine.runUntil(50);
    expect(() => engine.at(49, () => {})).toThrow(AssertionError);
    expect(() => engine.at(49, () => {})).toThrow('cannot schedule in the past: 49 < 50');
    expect(() => engine.after(Number.NaN, () => {})).toThrow(AssertionError);
  });
});

describe('Engine cancellation', () => {
  it('a cancelled timer never fires', () => {
    const engine = new Engine();
    const fired: string[] = [];
    const doomed = engine.after(10, () => fired.push('doomed'));
    engine.after(10, () => fired.push('kept'));
    doomed.cancel();
    engine.runUntil(1000);
    expect(fired).toEqual(['kept']);
    expect(engine.eventsFired).toBe(1);
    expect(engine.pending).toBe(0);
  });

  it('a timer cancelled by an earlier handler of the same millisecond never fires', () => {
    const engine = new Engine();
    const fired: string[] = [];
    engine.at(10, () => {
      fired.push('first');
      second.cancel();
    });
    const second = engine.at(10, () => fired.push('second'));
    engine.runUntil(10);
    expect(fired).toEqual(['first']);
  });

  it('nextAt skips cancelled timers and is undefined once nothing live is left', () => {
    const engine = new Engine();
    const early = engine.at(10, () => {});
    engine.at(20, () => {});
    expect(engine.nextAt()).toBe(10);
    early.cancel();
    expect(engine.nextAt()).toBe(20);
    engine.runUntil(20);
    expect(engine.nextAt()).toBeUndefined();
  });
});

describe('Engine.runUntil', () => {
  it('fires events at the bound, keeps later ones, and advances now to the bound', () => {
    const engine = new Engine();
    const fired: number[] = [];
    for (const time of [100, 200, 201, 500]) engine.at(time, () => fired.push(time));
    engine.runUntil(200);
    expect(fired).toEqual([100, 200]);
    expect(engine.now).toBe(200);
    expect(engine.pending).toBe(2);
    engine.runUntil(350);
    expect(fired).toEqual([100, 200, 201]);
    expect(engine.now).toBe(350);
    engine.runUntil(1000);
    expect(fired).toEqual([100, 200, 201, 500]);
    expect(engine.now).toBe(1000);
  });

  it('advances now to the bound even when nothing is queued', () => {
    const engine = new Engine();
    engine.runUntil(60_000);
    expect(engine.now).toBe(60_000);
  });

  it('shows handlers the time of their own event, not the bound', () => {
    const engine = new Engine();
    const seen: number[] = [];
    engine.at(7, () => seen.push(engine.now));
    engine.at(42, () => seen.push(engine.now));
    engine.runUntil(1000);
    expect(seen).toEqual([7, 42]);
  });

  it('running to Infinity drains the queue and leaves now at the last event', () => {
    const engine = new Engine();
    engine.at(300, () => {});
    engine.runUntil(Number.POSITIVE_INFINITY);
    expect(engine.now).toBe(300);
    expect(engine.pending).toBe(0);
  });

  it('never moves now backwards when the bound is already in the past', () => {
    const engine = new Engine();
    engine.runUntil(500);
    engine.runUntil(100);
    expect(engine.now).toBe(500);
  });
});

describe('Engine limits', () => {
  it('throws a LimitError naming the limit once more than eventsMax events fire', () => {
    const engine = new Engine({ eventsMax: 3 });
    const fired: number[] = [];
    for (const time of [1, 2, 3, 4, 5]) engine.at(time, () => fired.push(time));
    expect(() => engine.runUntil(10)).toThrow(LimitError);
    expect(fired).toEqual([1, 2, 3]);
    expect(engine.now).toBe(4);
  });

  it('reports the limit and the virtual time in the LimitError message', () => {
    const engine = new Engine({ eventsMax: 2 });
    for (const time of [10, 20, 30]) engine.at(time, () => {});
    expect(() => engine.runUntil(100)).toThrow('event limit reached (2 events) at t=30 ms');
  });

  it('allows exactly eventsMax events, and cancelled timers do not count towards it', () => {
    const engine = new Engine({ eventsMax: 3 });
    for (const time of [1, 2, 3]) engine.at(time, () => {});
    engine.at(2, () => {}).cancel();
    engine.runUntil(10);
    expect(engine.eventsFired).toBe(3);
  });

  it('stops a handler that reschedules itself forever instead of hanging', () => {
    const engine = new Engine({ eventsMax: 1000 });
    const loop = (): void => {
      engine.after(0, loop);
    };
    engine.after(0, loop);
    expect(() => engine.runUntil(0)).toThrow(LimitError);
    expect(engine.eventsFired).toBe(1001);
  });
});
