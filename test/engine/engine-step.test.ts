/** Engine.step: one event at a time, for the async run path that drains microtasks between events. */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';

describe('Engine.step', () => {
  it('fires exactly one due event, skipping cancelled ones, and leaves the clock at its time', () => {
    const engine = new Engine();
    const fired: string[] = [];
    engine.after(10, () => fired.push('a'));
    engine.after(10, () => fired.push('b')).cancel();
    engine.after(10, () => fired.push('c'));
    engine.after(30, () => fired.push('d'));
    expect(engine.step(20)).toBe(true);
    expect(fired).toEqual(['a']);
    expect(engine.step(20)).toBe(true);
    expect(fired).toEqual(['a', 'c']);
    expect(engine.now).toBe(10);
    expect(engine.step(20)).toBe(false);
    expect(engine.now).toBe(10);
    expect(engine.eventsFired).toBe(2);
  });

  it('runs the same events in the same order as runUntil', () => {
    const orderOf = (drive: (engine: Engine) => void): string[] => {
      const engine = new Engine();
      const fired: string[] = [];
      engine.after(5, () => {
        fired.push('x');
        engine.after(0, () => fired.push('x0'));
      });
      engine.after(5, () => fired.push('y'));
      engine.after(7, () => fired.push('z'));
      drive(engine);
      return fired;
    };
    expect(orderOf((engine) => {
      while (engine.step(100));
    })).toEqual(orderOf((engine) => engine.runUntil(100)));
  });
});
