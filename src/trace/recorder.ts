/**
 * The trace recorder: folds every event into a canonical hash as it is emitted and, when a sink is
 * attached (`--trace FILE`), hands each event on. It keeps nothing in memory itself, so a virtual day
 * of a thousand clients costs no trace memory unless someone asked for the file.
 *
 * The hash is two 32-bit FNV-1a lanes over the event's values in emission order (the `type` fixes
 * which keys follow, so keys are not hashed). Value order is the order the emitting code wrote the
 * object literal, fixed by the code, so the same (scenario, settings, seed) gives the same hash on
 * any machine.
 */
import type { TraceEvent } from './events.js';

export type TraceSink = (event: TraceEvent) => void;
export type TraceListener = (event: TraceEvent) => void;

const FNV_PRIME = 0x01000193;

export class TraceRecorder {
  private laneA = 0x811c9dc5;
  private laneB = 0x050c5d1f;
  count = 0;
  private readonly listeners: TraceListener[] = [];

  constructor(private readonly sink?: TraceSink) {}

  /** Observers inside the run (the outcome ledger, checks) see every event synchronously. */
  listen(listener: TraceListener): void {
    this.listeners.push(listener);
  }

  emit(event: TraceEvent): void {
    this.count++;
    const record = event as unknown as Record<string, unknown>;
    for (const key in record) {
      const value = record[key];
      if (typeof value === 'number') this.mixNumber(value);
      else if (typeof value === 'string') this.mixString(value);
      else if (typeof value === 'boolean') this.mixNumber(value ? 1 : 2);
      else this.mixNumber(3);
    }
    this.mixNumber(0x7fffffff);
    for (const listener of this.listeners) listener(event);
    if (this.sink !== undefined) this.sink(event);
  }

  private mixString(text: string): void {
    let a = this.laneA;
    let b = this.laneB;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      a = Math.imul(a ^ code, FNV_PRIME);
      b = Math.imul(b ^ (code + 0x9e), FNV_PRIME);
    }
    this.laneA = Math.imul(a ^ 0xff, FNV_PRIME);
    this.laneB = b;
  }

  private mixNumber(value: number): void {
    const low = value | 0;
    const high = Math.floor(value / 4_294_967_296) | 0;
    this.laneA = Math.imul(this.laneA ^ low, FNV_PRIME);
    this.laneA = Math.imul(this.laneA ^ high, FNV_PRIME);
    this.laneB = Math.imul(this.laneB ^ (low + 0x3c6ef372), FNV_PRIME);
    this.laneB = Math.imul(this.laneB ^ (high ^ 0x2545f491), FNV_PRIME);
  }

  /** 16 hex digits: the run's fingerprint. */
  hash(): string {
    const a = (this.laneA >>> 0).toString(16).padStart(8, '0');
    const b = (this.laneB >>> 0).toString(16).padStart(8, '0');
    return a + b;
  }
}
