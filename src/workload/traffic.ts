/**
 * One-to-one chat traffic: each sender writes messages as a Poisson process at its rate per hour, to
 * a recipient drawn uniformly from its peers. Draws come from the sender's `traffic/<client>` stream.
 * (Diurnal shapes, bursts and presence churn come with the "Real world" issue.)
 */
import type { Engine, Timer } from '../engine/engine.js';
import type { Rng } from '../engine/rng.js';

export interface ChatSender {
  readonly name: string;
  sendMessage(to: string): void;
}

export class ChatTraffic {
  private timer: Timer | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly sender: ChatSender,
    /** Bare JIDs to write to (shared by all senders); the sender's own JID is skipped. */
    private readonly peers: readonly string[],
    private readonly selfJid: string,
    private readonly messagesPerHour: number,
    private readonly rng: Rng,
  ) {}

  start(): void {
    if (this.messagesPerHour > 0 && this.peers.some((peer) => peer !== this.selfJid)) this.scheduleNext();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private scheduleNext(): void {
    this.timer = this.engine.after(this.rng.exponential(3_600_000 / this.messagesPerHour), () => {
      let peer = this.rng.pick(this.peers);
      while (peer === this.selfJid) peer = this.rng.pick(this.peers);
      this.sender.sendMessage(peer);
      this.scheduleNext();
    });
  }
}
