/**
 * Random faults on one client's path: each fault kind is a Poisson process with its rate per hour;
 * blackholes, handovers and outages heal after a duration drawn uniformly from the profile's range.
 * All draws come from the client's own `faults/<client>` stream.
 */
import type { Engine, Timer } from '../engine/engine.js';
import type { Rng } from '../engine/rng.js';
import type { Network } from './network.js';
import type { FaultRate } from './profile.js';

export class RandomFaults {
  private readonly timers: Timer[] = [];
  private isStopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly client: string,
    private readonly rates: readonly FaultRate[],
    private readonly rng: Rng,
  ) {}

  start(): void {
    for (const rate of this.rates) if (rate.perHour > 0) this.scheduleNext(rate);
  }

  /** The settle phase: no new faults; a fault in force heals now. */
  stop(): void {
    this.isStopped = true;
    for (const timer of this.timers) timer.cancel();
    this.timers.length = 0;
  }

  private scheduleNext(rate: FaultRate): void {
    const gapMs = this.rng.exponential(3_600_000 / rate.perHour);
    const timer = this.engine.after(gapMs, () => {
      this.timers.splice(this.timers.indexOf(timer), 1);
      if (this.isStopped) return;
      this.fire(rate);
      this.scheduleNext(rate);
    });
    this.timers.push(timer);
  }

  private fire(rate: FaultRate): void {
    if (rate.kind === 'reset') {
      this.network.fault(this.client, 'reset');
      return;
    }
    if (this.network.path(this.client).fault !== 'none') return;
    const durationMs = this.rng.int(rate.durationMsMin, rate.durationMsMax);
    this.network.fault(this.client, rate.kind, 0, durationMs);
    const heal = this.engine.after(durationMs, () => {
      this.timers.splice(this.timers.indexOf(heal), 1);
      this.network.fault(this.client, 'heal');
    });
    this.timers.push(heal);
  }
}
