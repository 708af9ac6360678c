/**
 * A client's network path to the server: latency, jitter, loss (as retransmission delay) and the
 * fault currently in force. Every connection the client opens runs over its path.
 *
 * What this models less than reality: no bandwidth, no byte-level segmentation, no Nagle. Packet
 * loss is TCP's business, so a lost segment shows up as a retransmission delay (`lossRetransmitMs`),
 * never as a missing element.
 */
import type { Rng } from '../engine/rng.js';

export interface PathOptions {
  /** One-way base latency. */
  latencyMs: number;
  /** Uniform extra one-way delay in [0, jitterMs]. */
  jitterMs: number;
  /** Probability that a frame needs a TCP retransmission. */
  lossRate: number;
  /** Delay a retransmission adds (one RTO). */
  lossRetransmitMs: number;
  /**
   * Linux tcp_retries2 give-up: a writer whose data has gone unacknowledged this long gets an error
   * (≈924.6 s with the default 15 retries). 0 turns it off.
   */
  tcpGiveUpMs: number;
}

export const pathOptionsDefault: Readonly<PathOptions> = Object.freeze({
  latencyMs: 20,
  jitterMs: 0,
  lossRate: 0,
  lossRetransmitMs: 200,
  tcpGiveUpMs: 924_600,
});

/**
 * The fault on a path:
 * - `none`: frames flow.
 * - `blackhole`: frames in flight and written later are dropped, nobody is told (a NAT rebinding or a
 *   handover: the old flows are dead for good). New connections cannot be made until `heal`.
 * - `outage`: frames are held (TCP keeps retransmitting) and delivered after `heal`; a writer gives
 *   up after `tcpGiveUpMs`.
 */
export type PathFault = 'none' | 'blackhole' | 'outage';

export class NetPath {
  fault: PathFault = 'none';
  /** Extra one-way delay from a `delay` fault. */
  extraDelayMs = 0;
  /** Generation counter of blackholes: a connection dies in the blackhole it was caught by. */
  blackholeEpoch = 0;

  constructor(
    readonly client: string,
    readonly options: PathOptions,
    private readonly rng: Rng,
  ) {}

  /** One-way transit time for the next frame. */
  transitMs(): number {
    const options = this.options;
    let transit = options.latencyMs + this.extraDelayMs;
    if (options.jitterMs > 0) transit += this.rng.int(0, options.jitterMs);
    if (options.lossRate > 0 && this.rng.chance(options.lossRate)) transit += options.lossRetransmitMs;
    return transit;
  }
}
