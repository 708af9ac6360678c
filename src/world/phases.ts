/**
 * Two ways to drive a run's phases. The phases (world.ts) are written once, as a generator that yields
 * "advance the clock to t" and is resumed when the engine got there:
 * - `driveSync`: `engine.runUntil(t)`, the whole run in one synchronous call (every model of ours is
 *   synchronous);
 * - `driveAsync`: one event at a time, and after each event whose callback entered xmpp.js code
 *   (`xmppjs-real` clients: their code awaits promises), the microtask queue is drained before the
 *   next event, as Node drains it after every I/O callback. Otherwise xmpp.js would react only after
 *   the whole run. Events that did not touch xmpp.js need no drain, so a run without such clients
 *   costs only the per-event loop.
 */
import type { Engine } from '../engine/engine.js';
import type { VirtualGlobals, YieldToMicrotasks } from '../clients/xmppjs/virtual-globals.js';

/** Yields the virtual time to advance to; returns the run's result. */
export type Phases<R> = Generator<number, R, void>;

export function driveSync<R>(engine: Engine, phases: Phases<R>): R {
  for (let step = phases.next(); ; step = phases.next()) {
    if (step.done === true) return step.value;
    engine.runUntil(step.value);
  }
}

export async function driveAsync<R>(engine: Engine, phases: Phases<R>, globals: VirtualGlobals, yieldToMicrotasks: YieldToMicrotasks): Promise<R> {
  for (let step = phases.next(); ; step = phases.next()) {
    // The phase code between two advances may have entered xmpp.js too (starting or settling a client).
    if (globals.takeDirty()) await globals.drain(yieldToMicrotasks);
    if (step.done === true) return step.value;
    const untilMs = step.value;
    while (engine.step(untilMs)) {
      if (globals.takeDirty()) await globals.drain(yieldToMicrotasks);
    }
    // Nothing is due by untilMs any more: this only moves the clock, as runUntil does.
    engine.runUntil(untilMs);
  }
}
