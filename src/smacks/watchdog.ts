/**
 * Port of util/watchdog.lua (0.12.3): one timer at `timeout + 1` s; when it fires it compares the
 * integer os.time() of the last reset with the (fractional) current time and either calls back or
 * re-arms. Cancelling only forgets the last reset: the timer still fires later and does nothing.
 * With no resets the callback runs `timeout + 1` s after creation (spec §7.4).
 */
import type { Server } from '../server/server.js';

export class Watchdog {
  private lastReset: number | undefined;

  constructor(
    private readonly server: Server,
    /** watchdog.timeout and watchdog.callback: mod_cloud_notify reads both to re-create it later. */
    readonly timeoutSeconds: number,
    readonly callback: () => void,
  ) {
    this.lastReset = server.osTime();
    server.engine.after((timeoutSeconds + 1) * 1000, () => this.check());
  }

  private check(): void {
    if (this.lastReset === undefined) return;
    const currentTime = (this.server.epochMs + this.server.engine.now) / 1000;
    const timeLeft = this.lastReset + this.timeoutSeconds - currentTime;
    if (timeLeft < 0) {
      this.callback();
      return;
    }
    this.server.engine.after((timeLeft + 1) * 1000, () => this.check());
  }

  reset(): void {
    this.lastReset = this.server.osTime();
  }

  cancel(): void {
    this.lastReset = undefined;
  }
}
