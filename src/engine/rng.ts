/**
 * Seeded randomness with named sub-streams. Every component and every client draws from its own
 * stream, derived from the run seed and the stream's name, so adding a draw in one place never
 * shifts the numbers another component sees. Built on seedrandom's Alea generator (fast, 32-bit
 * state mixing, stable across platforms).
 */
import seedrandom from 'seedrandom';

export class Rng {
  private readonly next: () => number;
  constructor(seedText: string) {
    this.next = seedrandom.alea(seedText);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Uniform integer in [low, high] (both inclusive). */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** Exponentially distributed with the given mean (inter-arrival times of a Poisson process). */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** `bytes` random bytes, for identifiers. */
  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let index = 0; index < count; index++) out[index] = Math.floor(this.next() * 256);
    return out;
  }
}

/** The run's root of randomness: hands out one independent stream per name. */
export class RngStreams {
  private readonly streams = new Map<string, Rng>();
  constructor(readonly seed: number) {}

  stream(name: string): Rng {
    let rng = this.streams.get(name);
    if (rng === undefined) {
      rng = new Rng(`smacksim:${this.seed}:${name}`);
      this.streams.set(name, rng);
    }
    return rng;
  }
}
