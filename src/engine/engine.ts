/**
 * The discrete-event engine: a virtual clock in integer milliseconds and the event queue. Nothing in
 * a run reads the real clock; time advances only by popping the next event.
 */
import { assert, LimitError } from './assert.js';
import { EventQueue, type QueuedEvent } from './event-queue.js';

/** A scheduled callback; `cancel()` makes it a no-op (it stays queued until its time). */
export class Timer implements QueuedEvent {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly seq: number,
    private readonly callback: () => void,
  ) {}
  fire(): void {
    this.callback();
  }
  cancel(): void {
    this.cancelled = true;
  }
}

export interface EngineLimits {
  /** Hard bound on events fired in one run; exceeding it is a reported failure. */
  eventsMax: number;
}

export const engineLimitsDefault: Readonly<EngineLimits> = Object.freeze({ eventsMax: 2_000_000_000 });

export class Engine {
  private readonly queue = new EventQueue();
  private seqNext = 0;
  private nowMs = 0;
  /** Events fired so far (cancelled timers that reach the top are not counted). */
  eventsFired = 0;

  constructor(private readonly limits: EngineLimits = engineLimitsDefault) {}

  get now(): number {
    return this.nowMs;
  }

  /** Schedule `callback` after `delayMs` (rounded down to whole ms, never negative). */
  after(delayMs: number, callback: () => void): Timer {
    assert(Number.isFinite(delayMs), `timer delay must be finite, got ${delayMs}`);
    const at = this.nowMs + (delayMs > 0 ? Math.floor(delayMs) : 0);
    return this.at(at, callback);
  }

  /** Schedule `callback` at absolute virtual time `atMs` (not in the past). */
  at(atMs: number, callback: () => void): Timer {
    assert(atMs >= this.nowMs, `cannot schedule in the past: ${atMs} < ${this.nowMs}`);
    const timer = new Timer(atMs, this.seqNext++, callback);
    this.queue.push(timer);
    return timer;
  }

  /** Virtual time of the next live event, or undefined when nothing is pending. */
  nextAt(): number | undefined {
    for (;;) {
      const head = this.queue.peek();
      if (head === undefined) return undefined;
      if (!head.cancelled) return head.at;
      this.queue.pop();
    }
  }

  /** Fire events in order until the queue is empty or the next one is after `untilMs`. */
  runUntil(untilMs: number): void {
    while (this.step(untilMs));
    if (untilMs > this.nowMs && Number.isFinite(untilMs)) this.nowMs = untilMs;
  }

  /**
   * Fire the next live event if it is due by `untilMs`; false when none is. The async run path
   * (world.ts, for clients whose code awaits promises) drains the microtask queue between events,
   * so it advances one event at a time; the clock moves only to that event's time.
   */
  step(untilMs: number): boolean {
    const queue = this.queue;
    for (;;) {
      const head = queue.peek();
      if (head === undefined || head.at > untilMs) return false;
      queue.pop();
      if (head.cancelled) continue;
      this.nowMs = head.at;
      if (++this.eventsFired > this.limits.eventsMax) {
        throw new LimitError(`event limit reached (${this.limits.eventsMax} events) at t=${this.nowMs} ms`);
      }
      head.fire();
      return true;
    }
  }

  get pending(): number {
    return this.queue.size;
  }
}
