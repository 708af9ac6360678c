/**
 * Messages at fixed times instead of a Poisson process: a population group's `schedule.messages`
 * (written by `smacksim shrink` from a recorded run, or by hand). Like ChatTraffic, the next message
 * of a sender is scheduled when the previous one goes out, so a schedule recorded from a random run
 * replays it event for event.
 */
import type { Engine, Timer } from '../engine/engine.js';
import type { ChatSender } from './traffic.js';

export interface ScheduledMessage {
  atMs: number;
  /** The sending client's name. */
  from: string;
  /** The recipient's bare JID. */
  to: string;
}

export class ScheduledTraffic {
  private timer: Timer | undefined;
  private readonly messages: ScheduledMessage[];

  constructor(
    private readonly engine: Engine,
    private readonly sender: ChatSender,
    messages: readonly ScheduledMessage[],
  ) {
    this.messages = messages.filter((message) => message.from === sender.name).sort((a, b) => a.atMs - b.atMs);
  }

  start(): void {
    this.scheduleNext(0);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private scheduleNext(index: number): void {
    const message = this.messages[index];
    if (message === undefined) {
      this.timer = undefined;
      return;
    }
    this.timer = this.engine.at(Math.max(this.engine.now, message.atMs), () => {
      this.sender.sendMessage(message.to);
      this.scheduleNext(index + 1);
    });
  }
}
