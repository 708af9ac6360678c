/** The globals xmpp.js reads, made virtual for the length of a run and put back afterwards. */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualGlobals, microtaskDrain } from '../../../src/clients/xmppjs/virtual-globals.js';
import { Engine } from '../../../src/engine/engine.js';
import { RngStreams } from '../../../src/engine/rng.js';
import { epochMsDefault } from '../../../src/engine/time.js';

const realSetTimeout = globalThis.setTimeout;
const RealDate = globalThis.Date;
const realRandom = Math.random;

function make(): { engine: Engine; globals: VirtualGlobals } {
  const engine = new Engine();
  const globals = new VirtualGlobals(engine, new RngStreams(7), epochMsDefault);
  return { engine, globals };
}

describe('VirtualGlobals', () => {
  let installed: VirtualGlobals | undefined;
  afterEach(() => installed?.uninstall());

  it('turns setTimeout into engine events, clamps a 0 ms delay to 1 ms as Node does, and clears', () => {
    const { engine, globals } = make();
    installed = globals;
    globals.register('js1#1', 'js1', () => {});
    globals.install();
    const fired: number[] = [];
    globals.enter('js1#1', () => {
      setTimeout(() => fired.push(engine.now), 0);
      setTimeout(() => fired.push(engine.now), 250);
      clearTimeout(setTimeout(() => fired.push(-1), 100));
    });
    engine.runUntil(1000);
    expect(fired).toEqual([1, 250]);
  });

  it('reads the virtual wall clock through new Date() and Date.now()', () => {
    const { engine, globals } = make();
    installed = globals;
    globals.install();
    engine.runUntil(90_000);
    expect(new Date().toISOString()).toBe('2026-01-01T00:01:30.000Z');
    expect(Date.now()).toBe(epochMsDefault + 90_000);
    expect(new Date('2020-02-02T00:00:00Z').getTime()).toBe(RealDate.UTC(2020, 1, 2));
  });

  it("draws Math.random from the running client's seeded stream", () => {
    const draws = (): number[] => {
      const { globals } = make();
      globals.register('js1#1', 'js1', () => {});
      globals.register('js2#1', 'js2', () => {});
      globals.install();
      try {
        const out: number[] = [];
        globals.enter('js1#1', () => out.push(Math.random()));
        globals.enter('js2#1', () => out.push(Math.random()));
        globals.enter('js1#1', () => out.push(Math.random()));
        return out;
      } finally {
        globals.uninstall();
      }
    };
    const first = draws();
    expect(draws()).toEqual(first);
    expect(new Set(first).size).toBe(3);
  });

  it('puts the real globals back', () => {
    const { globals } = make();
    globals.install();
    globals.uninstall();
    expect(globalThis.setTimeout).toBe(realSetTimeout);
    expect(globalThis.Date).toBe(RealDate);
    expect(Math.random).toBe(realRandom);
  });

  it('hands a synchronous throw to the owner instead of unwinding the engine, and ignores a killed owner', () => {
    const { engine, globals } = make();
    installed = globals;
    const thrown: unknown[] = [];
    globals.register('js1#1', 'js1', (error) => thrown.push(error));
    globals.install();
    globals.enter('js1#1', () => {
      throw new TypeError('boom');
    });
    expect(thrown).toHaveLength(1);
    let ran = false;
    globals.enter('js1#1', () => setTimeout(() => (ran = true), 10));
    globals.kill('js1#1');
    globals.enter('js1#1', () => (ran = true));
    engine.runUntil(100);
    expect(ran).toBe(false);
  });

  it('drains a promise chain of the last event before returning', async () => {
    const { globals } = make();
    installed = globals;
    globals.register('js1#1', 'js1', () => {});
    globals.install();
    const seen: number[] = [];
    globals.enter('js1#1', () => {
      void (async () => {
        for (let link = 0; link < 50; link++) await undefined;
        seen.push(Math.random());
      })();
    });
    await globals.drain(microtaskDrain(globals));
    expect(seen).toHaveLength(1);
    expect(globals.current).toBeUndefined();
  });
});
