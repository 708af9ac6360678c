/**
 * A client's network path to the server: latency, jitter, loss (as retransmission delay), the NAT on
 * the way (idle expiry of a connection's mapping), the radio's wake-up delay, and the fault currently
 * in force. Every connection the client opens runs over its path.
 *
 * What this models less than reality: no bandwidth, no byte-level segmentation, no Nagle. Packet
 * loss is TCP's business, so a lost segment shows up as a retransmission delay (`lossRetransmitMs`),
 * never as a missing element. TCP keepalives are off (the Linux default is off per socket; with
 * SO_KEEPALIVE the first probe would only come after 7200 s idle, far beyond every NAT timeout and
 * Prosody's 840 s read timeout, so modelling them would change nothing here).
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
  /**
   * NAT idle expiry: a connection with no packet either way for longer than this loses its NAT
   * mapping; from then on its packets are dropped silently in both directions (no RST: carrier NATs
   * drop). 0: no NAT (or one that never forgets). RFC 5382 REQ-5 asks for ≥ 2 h 4 min; carriers use
   * minutes (spec §5).
   */
  natIdleMs: number;
  /** When above `natIdleMs`, each path draws its own NAT timeout uniformly in [natIdleMs, natIdleMsMax]. */
  natIdleMsMax: number;
  /** Radio wake-up (RRC promotion): a frame sent after the path was idle this long waits `wakeDelayMs`
   * more. 0: the radio is always up. */
  wakeAfterIdleMs: number;
  wakeDelayMs: number;
}

export const pathOptionsDefault: Readonly<PathOptions> = Object.freeze({
  latencyMs: 20,
  jitterMs: 0,
  lossRate: 0,
  lossRetransmitMs: 200,
  tcpGiveUpMs: 924_600,
  natIdleMs: 0,
  natIdleMsMax: 0,
  wakeAfterIdleMs: 0,
  wakeDelayMs: 0,
});

/**
 * A TCP connect whose SYN gets no answer: Linux retransmits it 1, 2, 4, … 32 s apart
 * (`tcp_syn_retries` = 6) and gives up 127 s after the first one with ETIMEDOUT. Clients without a
 * connect timeout of their own wait that long (xmpp.js: `loginTimeoutBy: kernel`, and the real library's
 * socket, clients/xmppjs/virtual-socket.ts). Times in ms after the first SYN.
 */
export const synRetransmitAtMs: readonly number[] = [1000, 3000, 7000, 15_000, 31_000, 63_000];
export const synGiveUpMs = 127_000;

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
  /** The blackhole in force is a handover: when it heals, the client is told its network changed. */
  isHandover = false;
  /**
   * The device has no network access (Android Doze between maintenance windows): frames are held as in
   * an outage, whatever the fault, and released when access returns.
   */
  isDeviceOffline = false;
  /** This path's NAT idle timeout (drawn from the options' range when the path is made). */
  natIdleMs: number;
  /** Last time any frame of any connection went over the path (for the radio wake-up delay). */
  lastActivityAt = 0;
  /** Extra one-way delay from a `delay` fault. */
  extraDelayMs = 0;
  /** Generation counter of blackholes: a connection dies in the blackhole it was caught by. */
  blackholeEpoch = 0;

  constructor(
    readonly client: string,
    readonly options: PathOptions,
    private readonly rng: Rng,
    natIdleMs = options.natIdleMs,
  ) {
    this.natIdleMs = natIdleMs;
  }

  /** Frames are held rather than sent: an outage, or a device without network access. */
  get isHolding(): boolean {
    return this.fault === 'outage' || this.isDeviceOffline;
  }

  /** One-way transit time for the next frame. */
  transitMs(): number {
    const options = this.options;
    let transit = options.latencyMs + this.extraDelayMs;
    if (options.jitterMs > 0) transit += this.rng.int(0, options.jitterMs);
    if (options.lossRate > 0 && this.rng.chance(options.lossRate)) transit += options.lossRetransmitMs;
    return transit;
  }
}
