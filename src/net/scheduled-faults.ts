/**
 * Faults at fixed times instead of random draws: a population group's `schedule.faults` (written by
 * `smacksim shrink` from a recorded run, or by hand). Each fault acts as a RandomFaults draw would:
 * a reset at once; a blackhole or outage only if the path has no fault in force, healing after
 * `durationMs`. The next fault of the same client and kind is scheduled when the previous one fires,
 * as RandomFaults does, so a schedule recorded from a random run replays it event for event.
 */
import type { Engine, Timer } from '../engine/engine.js';
import type { Network } from './network.js';

export interface ScheduledFault {
  atMs: number;
  /** The client (path) the fault hits. */
  client: string;
  kind: 'reset' | 'blackhole' | 'outage';
  /** How long a blackhole or outage lasts (0 for a reset). */
  durationMs: number;
}

export class ScheduledFaults {
  private readonly timers: Timer[] = [];
  private isStopped = false;
  /** One chain per kind, in the order the kinds first appear (RandomFaults keeps one per rate). */
  private readonly chains = new Map<string, ScheduledFault[]>();

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly client: string,
    faults: readonly ScheduledFault[],
    /** Kinds in the order the client's random faults would start them (the network's rate order). */
    kindOrder: readonly string[] = [],
  ) {
    const mine = faults.filter((fault) => fault.client === client).sort((a, b) => a.atMs - b.atMs);
    for (const kind of kindOrder) if (mine.some((fault) => fault.kind === kind)) this.chains.set(kind, []);
    for (const fault of mine) {
      let chain = this.chains.get(fault.kind);
      if (chain === undefined) {
        chain = [];
        this.chains.set(fault.kind, chain);
      }
      chain.push(fault);
    }
  }

  start(): void {
    for (const chain of this.chains.values()) this.scheduleNext(chain, 0);
  }

  /** The settle phase: no new faults; the world heals the path. */
  stop(): void {
    this.isStopped = true;
    for (const timer of this.timers) timer.cancel();
    this.timers.length = 0;
  }

  private scheduleNext(chain: readonly ScheduledFault[], index: number): void {
    const fault = chain[index];
    if (fault === undefined) return;
    const timer = this.engine.at(Math.max(this.engine.now, fault.atMs), () => {
      this.timers.splice(this.timers.indexOf(timer), 1);
      if (this.isStopped) return;
      this.fire(fault);
      this.scheduleNext(chain, index + 1);
    });
    this.timers.push(timer);
  }

  private fire(fault: ScheduledFault): void {
    if (fault.kind === 'reset') {
      this.network.fault(this.client, 'reset');
      return;
    }
    if (this.network.path(this.client).fault !== 'none') return;
    this.network.fault(this.client, fault.kind, 0, fault.durationMs);
    const heal = this.engine.after(fault.durationMs, () => {
      this.timers.splice(this.timers.indexOf(heal), 1);
      this.network.fault(this.client, 'heal');
    });
    this.timers.push(heal);
  }
}
