/**
 * Drives the simulator's `Engine` in real time, so the simulator's own client and script runner can
 * talk to a real server: the engine's clock follows the wall clock (ms since start), every I/O
 * callback runs inside `run()` after the engine has caught up with the present, and a Node timer
 * wakes the engine for its next event.
 */
import { Engine } from '../../engine/engine.js';

export class RealTimeDriver {
  readonly engine = new Engine();
  private readonly startedAt = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private isStopped = false;
  /** The first error thrown inside the engine; the run fails with it. */
  error: unknown;
  /** Called after every turn (the runner checks whether the script is done). */
  onTurn: (() => void) | undefined;

  nowMs(): number {
    return Math.floor(performance.now() - this.startedAt);
  }

  /** Catch the engine up with the wall clock, run `callback` at that time, re-arm the wake-up. */
  run(callback?: () => void): void {
    if (this.isStopped) return;
    try {
      this.engine.runUntil(Math.max(this.engine.now, this.nowMs()));
      callback?.();
    } catch (error) {
      this.error ??= error;
    }
    this.arm();
    this.onTurn?.();
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.engine.nextAt();
    if (next === undefined || this.isStopped) return;
    this.timer = setTimeout(() => this.run(), Math.max(0, next - this.nowMs()));
  }

  stop(): void {
    this.isStopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
