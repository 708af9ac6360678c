/**
 * The traffic of one account: one-to-one chat, presence churn and iq round trips, each a Poisson
 * process, configured per population group (`messagesPerHour` and `traffic`):
 * - chat: `messagesPerHour` on average over a day, to a recipient drawn uniformly from the peers;
 *   with `rateSpread` σ > 0 each account's rate is the group's times a lognormal factor of mean 1
 *   (a few chatty users, many quiet ones); with `diurnal` the rate follows the hour of the day
 *   (virtual t = 0 is midnight UTC): rate·(1 + a·cos(2π(hour − peakHour)/24)), by thinning;
 *   with `bursts` a message starts a little conversation with probability p: `size` messages to the
 *   same peer, `gap` apart;
 * - presence: `presencePerHour` updates (available ↔ away);
 * - iq: `pingsPerHour` XEP-0199 pings to another client's full JID, answered by that client.
 * Draws come from the account's `traffic/<account>` stream. Without any of the options the draws are
 * exactly the walking skeleton's (one exponential gap and one pick per message).
 */
import type { Engine, Timer } from '../engine/engine.js';
import type { Rng } from '../engine/rng.js';

export interface ChatSender {
  readonly name: string;
  sendMessage(to: string): void;
}

/** An account's devices as the workload sees them (one device, or a picker over several). */
export interface TrafficSender extends ChatSender {
  sendPresence(): void;
  sendPing(to: string): void;
}

export interface TrafficSpec {
  /** σ of the lognormal per-account rate factor (mean 1); 0: every account writes at the group's rate. */
  rateSpread: number;
  diurnal: { peakHour: number; amplitude: number } | undefined;
  bursts: { probability: number; sizeMin: number; sizeMax: number; gapMsMin: number; gapMsMax: number } | undefined;
  presencePerHour: number;
  pingsPerHour: number;
}

export const trafficSpecDefault: Readonly<TrafficSpec> = Object.freeze({
  rateSpread: 0,
  diurnal: undefined,
  bursts: undefined,
  presencePerHour: 0,
  pingsPerHour: 0,
});

const hourMs = 3_600_000;

/** The diurnal factor at virtual time `t` (mean 1 over a day). */
export function diurnalFactor(t: number, diurnal: { peakHour: number; amplitude: number }): number {
  const hour = (t / hourMs) % 24;
  return 1 + diurnal.amplitude * Math.cos((2 * Math.PI * (hour - diurnal.peakHour)) / 24);
}

export class ChatTraffic {
  private timer: Timer | undefined;
  private presenceTimer: Timer | undefined;
  private pingTimer: Timer | undefined;
  private readonly burstTimers: Timer[] = [];
  private readonly messagesPerHour: number;

  constructor(
    private readonly engine: Engine,
    private readonly sender: ChatSender,
    /** Bare JIDs to write to (shared by all senders); the sender's own JID is skipped. */
    private readonly peers: readonly string[],
    private readonly selfJid: string,
    messagesPerHour: number,
    private readonly rng: Rng,
    private readonly spec: Readonly<TrafficSpec> = trafficSpecDefault,
    /** Full JIDs to ping (shared by all senders); `pingsPerHour` needs them and a TrafficSender. */
    private readonly pingTargets: readonly string[] = [],
  ) {
    this.messagesPerHour = spec.rateSpread > 0 ? messagesPerHour * this.lognormalFactor(spec.rateSpread) : messagesPerHour;
  }

  /** exp(σz − σ²/2) with z standard normal (Box–Muller): mean 1. */
  private lognormalFactor(sigma: number): number {
    const u1 = 1 - this.rng.float();
    const u2 = this.rng.float();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.exp(sigma * z - (sigma * sigma) / 2);
  }

  /** This account's mean rate (after the per-account spread). */
  get rate(): number {
    return this.messagesPerHour;
  }

  start(): void {
    if (this.messagesPerHour > 0 && this.peers.some((peer) => peer !== this.selfJid)) this.scheduleNext();
    const sender = this.sender as Partial<TrafficSender>;
    if (this.spec.presencePerHour > 0 && sender.sendPresence !== undefined) this.schedulePresence();
    if (this.spec.pingsPerHour > 0 && sender.sendPing !== undefined && this.pingTargets.length > 1) this.schedulePing();
  }

  stop(): void {
    for (const timer of [this.timer, this.presenceTimer, this.pingTimer, ...this.burstTimers]) timer?.cancel();
    this.timer = this.presenceTimer = this.pingTimer = undefined;
    this.burstTimers.length = 0;
  }

  private scheduleNext(): void {
    const diurnal = this.spec.diurnal;
    // Thinning: draw at the peak rate, keep a draw with probability factor(t) / peak factor.
    const peak = diurnal === undefined ? 1 : 1 + diurnal.amplitude;
    this.timer = this.engine.after(this.rng.exponential(hourMs / (this.messagesPerHour * peak)), () => {
      if (diurnal !== undefined && this.rng.float() * peak > diurnalFactor(this.engine.now, diurnal)) {
        this.scheduleNext();
        return;
      }
      let peer = this.rng.pick(this.peers);
      while (peer === this.selfJid) peer = this.rng.pick(this.peers);
      this.sender.sendMessage(peer);
      const bursts = this.spec.bursts;
      if (bursts !== undefined && this.rng.chance(bursts.probability)) this.burst(peer, this.rng.int(bursts.sizeMin, bursts.sizeMax) - 1);
      this.scheduleNext();
    });
  }

  /** The rest of a little conversation with one peer. */
  private burst(peer: string, remaining: number): void {
    const bursts = this.spec.bursts;
    if (bursts === undefined || remaining <= 0) return;
    const timer = this.engine.after(this.rng.int(bursts.gapMsMin, bursts.gapMsMax), () => {
      this.burstTimers.splice(this.burstTimers.indexOf(timer), 1);
      this.sender.sendMessage(peer);
      this.burst(peer, remaining - 1);
    });
    this.burstTimers.push(timer);
  }

  private schedulePresence(): void {
    this.presenceTimer = this.engine.after(this.rng.exponential(hourMs / this.spec.presencePerHour), () => {
      (this.sender as TrafficSender).sendPresence();
      this.schedulePresence();
    });
  }

  private schedulePing(): void {
    this.pingTimer = this.engine.after(this.rng.exponential(hourMs / this.spec.pingsPerHour), () => {
      const self = `${this.selfJid}/`;
      let target = this.rng.pick(this.pingTargets);
      while (target.startsWith(self)) target = this.rng.pick(this.pingTargets);
      (this.sender as TrafficSender).sendPing(target);
      this.schedulePing();
    });
  }
}

/** The devices of one account: each message, presence or ping goes out from one drawn uniformly. */
export class AccountDevices implements TrafficSender {
  constructor(
    readonly name: string,
    private readonly devices: readonly TrafficSender[],
    private readonly rng: Rng,
  ) {}

  sendMessage(to: string): void {
    this.rng.pick(this.devices).sendMessage(to);
  }

  sendPresence(): void {
    this.rng.pick(this.devices).sendPresence();
  }

  sendPing(to: string): void {
    this.rng.pick(this.devices).sendPing(to);
  }
}
