/**
 * The device an app runs on: whether the app is in the foreground, and what the operating system does
 * to it in the background (the profile's `device` environment, net/profile.ts):
 * - iOS freezes it 5–30 s after it went to the background (timers stop, its socket is not read) until
 *   the user opens it or a push wakes it for a while;
 * - Android Doze, some time after, lets its timers fire only at alarm slots and cuts network access
 *   except in maintenance windows and briefly after a high-priority push;
 * - a browser throttles a hidden tab's timers to whole minutes.
 *
 * The app's timers run on `clock`, which holds a callback falling due while the app may not run and
 * lets it go as soon as the app may. Lifecycle draws (app opens, suspension delays) come from the
 * device's own `app/<client>` stream.
 *
 * Simplified: the user's use of the app is a Poisson process of opens of fixed length, plus an open
 * whenever they write a message; there is one app per device; a push is delivered whatever the
 * device's network state (APNs/FCM have their own connection).
 */
import type { Engine, Timer } from '../engine/engine.js';
import type { Rng } from '../engine/rng.js';
import type { DeviceEnvironment } from '../net/profile.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { type ClientClock, DeviceClock, type TimerGate } from './clock.js';
import type { ClientKnobs } from './knobs.js';

export interface DeviceListener {
  onForeground(): void;
  onBackground(): void;
  /** The OS is about to freeze the app: its last chance to disconnect. */
  onSuspending(): void;
  /** The app runs again in the background: a push arrived, or a Doze maintenance window opened. */
  onWake(reason: 'push' | 'window'): void;
}

/** What the device does to the app's sockets (implemented by net/network.ts). */
export interface DeviceNetwork {
  setAppFrozen(path: string, isFrozen: boolean): void;
  setDeviceOffline(path: string, isOffline: boolean): void;
}

export type AppState = 'foreground' | 'background' | 'suspended' | 'awake' | 'doze';

export class Device implements TimerGate {
  readonly clock: ClientClock;
  private readonly deviceClock: DeviceClock | undefined;
  isForeground: boolean;
  isFrozen = false;
  isDozing = false;
  listener: DeviceListener | undefined;
  private backgroundSince = 0;
  private foregroundUntil = 0;
  /** End of a push wake-up or Doze maintenance window. */
  private awakeUntil = 0;
  private lastAlarmAt = -1;
  private windowIndex = 0;
  private isSettled = false;
  private backgroundTimer: Timer | undefined;
  private openTimer: Timer | undefined;
  private suspendTimer: Timer | undefined;
  private dozeTimer: Timer | undefined;
  private windowTimer: Timer | undefined;
  private wakeEndTimer: Timer | undefined;
  private releaseTimer: Timer | undefined;

  constructor(
    readonly name: string,
    private readonly engine: Engine,
    readonly environment: DeviceEnvironment,
    private readonly knobs: Pick<ClientKnobs, 'foreground' | 'opensPerHour' | 'foregroundMs'>,
    /** Needed for `on-use` apps only (opens, suspension delays). */
    private readonly rng: Rng | undefined,
    private readonly network: DeviceNetwork,
    private readonly pathName: string,
    private readonly trace: TraceRecorder,
  ) {
    this.isForeground = true;
    // An app that is never in the background meets none of the OS's rules: its timers are the engine's.
    const isMeddled = knobs.foreground === 'on-use' && environment.kind !== 'plain';
    this.deviceClock = isMeddled ? new DeviceClock(engine, this) : undefined;
    this.clock = this.deviceClock ?? engine;
  }

  /** The app starts in the background (the user is not using it yet) unless it is always in front. */
  start(): void {
    if (this.knobs.foreground === 'always') return;
    this.isForeground = false;
    this.backgroundSince = this.engine.now;
    this.scheduleOpen();
    this.enterBackgroundRules();
  }

  /** The user has the app in hand (opens it, writes a message): foreground for `foregroundMs` more. */
  use(): void {
    if (this.knobs.foreground === 'always' || this.isSettled) return;
    this.foregroundUntil = Math.max(this.foregroundUntil, this.engine.now + this.knobs.foregroundMs);
    if (!this.isForeground) this.goForeground();
    this.backgroundTimer?.cancel();
    this.backgroundTimer = this.engine.at(this.foregroundUntil, () => this.goBackground());
  }

  /** A push reached the device (after its latency). */
  push(): void {
    const environment = this.environment;
    if (this.isForeground || environment.kind === 'plain' || environment.kind === 'browser-hidden') {
      this.listener?.onWake('push');
      return;
    }
    this.wake(environment.pushWakeMs, 'push');
  }

  /** Settle: the user opens the app for good (every rule lifted, so clients can drain). */
  settle(): void {
    if (this.knobs.foreground === 'always') return;
    this.isSettled = true;
    this.openTimer?.cancel();
    this.backgroundTimer?.cancel();
    if (!this.isForeground) this.goForeground();
  }

  // ---- TimerGate ----

  isRunnable(): boolean {
    if (this.isFrozen) return false;
    const environment = this.environment;
    const now = this.engine.now;
    if (environment.kind === 'android-doze' && this.isDozing) return now < this.awakeUntil || now === this.lastAlarmAt;
    if (environment.kind === 'browser-hidden' && !this.isForeground && now - this.backgroundSince >= environment.throttleAfterMs) {
      return now % environment.quantumMs === 0;
    }
    return true;
  }

  /** A timer is held: arrange the moment the app may run it (a frozen app waits for a thaw). */
  onHeld(): void {
    const environment = this.environment;
    if (this.isFrozen || this.releaseTimer !== undefined) return;
    const now = this.engine.now;
    let at: number | undefined;
    if (environment.kind === 'android-doze' && this.isDozing) {
      // setAndAllowWhileIdle: at most one alarm per `alarmGapMs`; every timer due by then fires with it.
      at = Math.max(now, this.lastAlarmAt + environment.alarmGapMs);
      this.releaseTimer = this.engine.at(at, () => {
        this.releaseTimer = undefined;
        this.lastAlarmAt = this.engine.now;
        this.deviceClock?.release();
      });
      return;
    }
    if (environment.kind === 'browser-hidden') {
      at = Math.ceil((now + 1) / environment.quantumMs) * environment.quantumMs;
      this.releaseTimer = this.engine.at(at, () => {
        this.releaseTimer = undefined;
        this.deviceClock?.release();
      });
    }
  }

  // ---- transitions ----

  private scheduleOpen(): void {
    if (this.knobs.opensPerHour <= 0 || this.rng === undefined) return;
    const rng = this.rng;
    this.openTimer = this.engine.after(rng.exponential(3_600_000 / this.knobs.opensPerHour), () => {
      this.use();
      this.scheduleOpen();
    });
  }

  private goForeground(): void {
    this.isForeground = true;
    this.clearBackgroundRules();
    this.setState('foreground');
    this.deviceClock?.release();
    this.listener?.onForeground();
  }

  private goBackground(): void {
    this.backgroundTimer = undefined;
    if (this.isSettled) return;
    this.isForeground = false;
    this.backgroundSince = this.engine.now;
    this.setState('background');
    this.listener?.onBackground();
    this.enterBackgroundRules();
  }

  private enterBackgroundRules(): void {
    const environment = this.environment;
    if (environment.kind === 'ios-suspend') {
      const delayMs = this.rng === undefined ? environment.suspendAfterMsMin : this.rng.int(environment.suspendAfterMsMin, environment.suspendAfterMsMax);
      this.suspendTimer = this.engine.after(delayMs, () => this.suspend());
    } else if (environment.kind === 'android-doze') {
      this.dozeTimer = this.engine.after(environment.dozeAfterMs, () => this.enterDoze());
    }
  }

  /** Foreground: every background rule is lifted at once. */
  private clearBackgroundRules(): void {
    for (const timer of [this.suspendTimer, this.dozeTimer, this.windowTimer, this.wakeEndTimer, this.releaseTimer]) timer?.cancel();
    this.suspendTimer = this.dozeTimer = this.windowTimer = this.wakeEndTimer = this.releaseTimer = undefined;
    this.awakeUntil = 0;
    if (this.isFrozen) {
      this.isFrozen = false;
      this.network.setAppFrozen(this.pathName, false);
    }
    if (this.isDozing) {
      this.isDozing = false;
      this.network.setDeviceOffline(this.pathName, false);
    }
  }

  /** iOS: the app is frozen with its socket open. */
  private suspend(): void {
    this.suspendTimer = undefined;
    if (this.isForeground || this.isFrozen) return;
    this.listener?.onSuspending();
    this.isFrozen = true;
    this.network.setAppFrozen(this.pathName, true);
    this.setState('suspended');
  }

  private enterDoze(): void {
    this.dozeTimer = undefined;
    if (this.isForeground) return;
    const environment = this.environment;
    if (environment.kind !== 'android-doze') return;
    this.isDozing = true;
    this.lastAlarmAt = this.engine.now;
    this.windowIndex = 0;
    this.network.setDeviceOffline(this.pathName, true);
    this.setState('doze');
    this.scheduleWindow();
  }

  private scheduleWindow(): void {
    const environment = this.environment;
    if (environment.kind !== 'android-doze') return;
    const gaps = environment.windowGapsMs;
    const gapMs = gaps[Math.min(this.windowIndex, gaps.length - 1)]!;
    this.windowTimer = this.engine.after(gapMs, () => {
      this.windowIndex++;
      this.wake(environment.windowMs, 'window');
      this.scheduleWindow();
    });
  }

  /** The app runs (and, in Doze, has network access) for `forMs`, then the background rules return. */
  private wake(forMs: number, reason: 'push' | 'window'): void {
    this.awakeUntil = Math.max(this.awakeUntil, this.engine.now + forMs);
    if (this.isFrozen) {
      this.isFrozen = false;
      this.network.setAppFrozen(this.pathName, false);
    }
    if (this.isDozing) this.network.setDeviceOffline(this.pathName, false);
    this.setState('awake');
    this.deviceClock?.release();
    this.listener?.onWake(reason);
    this.wakeEndTimer?.cancel();
    this.wakeEndTimer = this.engine.at(this.awakeUntil, () => this.endWake());
  }

  private endWake(): void {
    this.wakeEndTimer = undefined;
    if (this.isForeground) return;
    if (this.environment.kind === 'ios-suspend') {
      this.suspend();
      return;
    }
    if (this.isDozing) {
      this.network.setDeviceOffline(this.pathName, true);
      this.setState('doze');
    }
  }

  private setState(state: AppState): void {
    this.trace.emit({ t: this.engine.now, type: 'client.app', client: this.name, state });
  }
}
