/**
 * The clock a client's timers run on. Usually it is the engine itself; on a device whose OS meddles
 * with a backgrounded app (clients/device.ts) it is a `DeviceClock`, which asks the device, when a
 * timer falls due, whether the app may run now. If not, the callback is held until the device lets
 * the app run again (a thaw, a Doze alarm slot or maintenance window, a throttling boundary).
 */
import type { Engine } from '../engine/engine.js';

export interface Cancellable {
  cancel(): void;
}

/** What XmppClient and the client models need of time. `Engine` is one. */
export interface ClientClock {
  readonly now: number;
  after(delayMs: number, callback: () => void): Cancellable;
  at(atMs: number, callback: () => void): Cancellable;
}

class DeviceTimer implements Cancellable {
  isCancelled = false;
  engineTimer: Cancellable | undefined;
  constructor(readonly callback: () => void) {}
  cancel(): void {
    this.isCancelled = true;
    this.engineTimer?.cancel();
  }
}

export interface TimerGate {
  /** May the app run a callback right now? */
  isRunnable(): boolean;
  /** A callback is waiting (the gate arranges a `release()` when the app may run). */
  onHeld(): void;
}

export class DeviceClock implements ClientClock {
  private held: DeviceTimer[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly gate: TimerGate,
  ) {}

  get now(): number {
    return this.engine.now;
  }

  get heldCount(): number {
    return this.held.length;
  }

  after(delayMs: number, callback: () => void): Cancellable {
    return this.at(this.engine.now + (delayMs > 0 ? Math.floor(delayMs) : 0), callback);
  }

  at(atMs: number, callback: () => void): Cancellable {
    const timer = new DeviceTimer(callback);
    timer.engineTimer = this.engine.at(Math.max(atMs, this.engine.now), () => this.due(timer));
    return timer;
  }

  private due(timer: DeviceTimer): void {
    if (timer.isCancelled) return;
    if (this.gate.isRunnable()) {
      timer.callback();
      return;
    }
    this.held.push(timer);
    if (this.held.length === 1) this.gate.onHeld();
  }

  /** The app may run again: held callbacks run now, in the order they fell due. */
  release(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    for (const timer of held) {
      if (timer.isCancelled) continue;
      timer.engineTimer = this.engine.at(this.engine.now, () => this.due(timer));
    }
  }
}
