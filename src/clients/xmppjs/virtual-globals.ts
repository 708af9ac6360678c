/**
 * The one place where the simulator patches JavaScript globals, and why: the `xmppjs-real` model runs
 * the real xmpp.js 0.14 code, which reads time and randomness from globals, not from anything we can
 * hand it. While a run with such clients is going on (and only then: `install()` … `uninstall()`,
 * the world wraps it in try/finally), these globals are virtual:
 *
 * - `setTimeout`/`clearTimeout` (and `setInterval`/`clearInterval`, unused by xmpp.js 0.14 but cheap
 *   to keep honest): timers become engine events on the virtual clock. Node clamps delays below 1 ms
 *   (and NaN) to 1 ms; so do we. xmpp.js's timers are the SM debounce (250 ms), idle `<r/>` (30 s),
 *   ack timeout (60 s), reconnect (1 s), the 2 s open/close waits and the 30 s iq timeout.
 * - `Date`: `new Date()` and `Date.now()` read the virtual wall clock (the run's epoch + virtual ms);
 *   xmpp.js stamps `<delay stamp>` on re-sent messages with it. Dates built from arguments are real.
 * - `Math.random`: draws from the seeded stream `client/<name>` of the client whose code is running
 *   (@xmpp/id makes stanza ids with it). Which client is running is known because every entry into
 *   xmpp.js goes through `enter(owner, …)` (socket events, timer callbacks, the app's own calls), and
 *   the world drains the microtask queue after each engine event before the next one starts, so the
 *   promise continuations of that drain belong to that owner.
 *
 * `crypto.randomUUID()` (the SASL2 user-agent id) is not patched: the model passes its own
 * `userAgent`, so xmpp.js never calls it.
 *
 * What a virtual timer simplifies: `ref()`/`unref()`/`refresh()` exist but do nothing, and a timer
 * handle is not a number (xmpp.js only ever passes it back to `clearTimeout`).
 */
import type { Engine, Timer } from '../../engine/engine.js';
import type { Rng, RngStreams } from '../../engine/rng.js';

/** The handle our `setTimeout` returns. */
export class VirtualTimeout {
  timer: Timer | undefined;
  constructor(readonly owner: string | undefined) {}
  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
}

interface Saved {
  setTimeout: typeof globalThis.setTimeout;
  clearTimeout: typeof globalThis.clearTimeout;
  setInterval: typeof globalThis.setInterval;
  clearInterval: typeof globalThis.clearInterval;
  Date: DateConstructor;
  random: () => number;
}

interface Owner {
  rng: Rng;
  /** xmpp.js threw synchronously into our code (a socket event, a timer, an app call). */
  onThrow(error: unknown): void;
  /** Its pending timers (so that `kill` can take them all away). */
  timers: Set<VirtualTimeout>;
  isDead: boolean;
}

/** Awaits until the promise continuations queued so far (and the ones they queue) have run. */
export type YieldToMicrotasks = () => Promise<void>;

/**
 * The default drain, when the caller has no macrotask boundary to offer (src/ outside cli/ uses no
 * real timers): await resolved promises until `quietTurns` turns in a row saw no activity at the
 * boundary (a socket write, a timer set or cleared, an event the model hears, a random draw). Each
 * turn lets every continuation queued before it run, so a chain advances one link per turn; a chain
 * that runs `quietTurns` links without touching anything outside itself and then does is what this
 * would miss. The longest silent stretch measured in xmpp.js 0.14 runs is reported by
 * `maxQuietTurnsSeen` (tests keep it far below `quietTurns`); the CLI uses setImmediate instead,
 * which drains completely.
 */
export function microtaskDrain(globals: VirtualGlobals, quietTurns = 200, turnsMax = 1_000_000): YieldToMicrotasks {
  return async () => {
    let quiet = 0;
    let last = globals.activity;
    for (let turn = 0; turn < turnsMax; turn++) {
      await undefined;
      if (globals.activity !== last) {
        if (quiet > globals.maxQuietTurnsSeen) globals.maxQuietTurnsSeen = quiet;
        last = globals.activity;
        quiet = 0;
      } else if (++quiet >= quietTurns) return;
    }
    throw new RangeError(`xmpp.js kept working for ${turnsMax} microtask turns after one event`);
  };
}

export class VirtualGlobals {
  /** The client whose code runs now (set by `enter`, cleared after each drain). */
  current: string | undefined;
  /** Bumped at every crossing of the boundary; the default drain watches it. */
  activity = 0;
  /** The longest run of microtask turns without activity that was followed by activity. */
  maxQuietTurnsSeen = 0;
  private isDirty = false;
  private saved: Saved | undefined;
  private readonly owners = new Map<string, Owner>();
  /** Randomness drawn when no client is running (nothing in xmpp.js 0.14 does; kept seeded anyway). */
  private readonly unattributed: Rng;

  constructor(
    private readonly engine: Engine,
    private readonly rngs: RngStreams,
    private readonly epochMs: number,
  ) {
    this.unattributed = rngs.stream('client/(unattributed)');
  }

  get isInstalled(): boolean {
    return this.saved !== undefined;
  }

  /**
   * An owner of xmpp.js code (one xmpp.js instance): `owner` names it, `client` is the client whose
   * random stream it draws from (`client/<client>`; several instances of one client share it).
   */
  register(owner: string, client: string, onThrow: (error: unknown) => void): void {
    this.owners.set(owner, { rng: this.rngs.stream(`client/${client}`), onThrow, timers: new Set(), isDead: false });
  }

  /**
   * The owner's code is gone (a page reload): its pending timers never fire and nothing enters it
   * any more. Promise continuations already queued still run (they are JavaScript's, not ours).
   */
  kill(owner: string): void {
    const entry = this.owners.get(owner);
    if (entry === undefined) return;
    entry.isDead = true;
    for (const timer of entry.timers) timer.cancel();
    entry.timers.clear();
  }

  /**
   * Run `fn` as `owner`'s code: what it starts (promise continuations, timers) belongs to `owner`. A
   * synchronous throw out of xmpp.js is handed to the owner (the model records it) instead of unwinding
   * the engine.
   */
  enter(owner: string, fn: () => void): void {
    if (this.saved === undefined) throw new Error('xmpp.js code entered outside VirtualGlobals.install() (use the async run path)');
    const entry = this.owners.get(owner);
    if (entry?.isDead === true) return;
    this.current = owner;
    this.isDirty = true;
    this.activity++;
    try {
      fn();
    } catch (error) {
      entry?.onThrow(error);
    }
  }

  /** Called by the world after each engine event: whether xmpp.js code ran (so a drain is needed). */
  takeDirty(): boolean {
    const dirty = this.isDirty;
    this.isDirty = false;
    return dirty;
  }

  /** Let the microtasks of the last event run, still attributed to its owner. */
  async drain(yieldToMicrotasks: YieldToMicrotasks): Promise<void> {
    try {
      await yieldToMicrotasks();
    } finally {
      this.current = undefined;
    }
  }

  private random(): number {
    this.activity++;
    const owner = this.current === undefined ? undefined : this.owners.get(this.current);
    return (owner?.rng ?? this.unattributed).float();
  }

  private setVirtualTimeout(callback: (...args: unknown[]) => void, delayMs: unknown, args: unknown[], repeat: boolean): VirtualTimeout {
    this.activity++;
    const handle = new VirtualTimeout(this.current);
    const timers = handle.owner === undefined ? undefined : this.owners.get(handle.owner)?.timers;
    timers?.add(handle);
    const requested = Number(delayMs);
    // Node: "When delay is larger than 2147483647 or less than 1 or NaN, the delay will be set to 1."
    const ms = requested >= 1 && requested <= 2_147_483_647 ? Math.floor(requested) : 1;
    const fire = (): void => {
      if (repeat) handle.timer = this.engine.after(ms, fire);
      else {
        handle.timer = undefined;
        timers?.delete(handle);
      }
      const owner = handle.owner;
      if (owner !== undefined) {
        this.enter(owner, () => callback(...args));
        return;
      }
      this.isDirty = true;
      callback(...args);
    };
    handle.timer = this.engine.after(ms, fire);
    return handle;
  }

  private clearVirtualTimeout(handle: unknown, realClear: (handle: never) => void): void {
    this.activity++;
    if (handle instanceof VirtualTimeout) {
      handle.cancel();
      if (handle.owner !== undefined) this.owners.get(handle.owner)?.timers.delete(handle);
    }
    else if (handle !== undefined && handle !== null) realClear(handle as never);
  }

  install(): void {
    if (this.saved !== undefined) throw new Error('VirtualGlobals installed twice');
    const saved: Saved = {
      setTimeout: globalThis.setTimeout,
      clearTimeout: globalThis.clearTimeout,
      setInterval: globalThis.setInterval,
      clearInterval: globalThis.clearInterval,
      Date: globalThis.Date,
      random: Math.random,
    };
    this.saved = saved;
    const patch = globalThis as unknown as Record<string, unknown>;
    patch.setTimeout = (callback: (...args: unknown[]) => void, delayMs?: unknown, ...args: unknown[]) => this.setVirtualTimeout(callback, delayMs, args, false);
    patch.setInterval = (callback: (...args: unknown[]) => void, delayMs?: unknown, ...args: unknown[]) => this.setVirtualTimeout(callback, delayMs, args, true);
    patch.clearTimeout = (handle: unknown) => this.clearVirtualTimeout(handle, saved.clearTimeout);
    patch.clearInterval = (handle: unknown) => this.clearVirtualTimeout(handle, saved.clearInterval);
    patch.Date = this.virtualDate(saved.Date);
    Math.random = () => this.random();
  }

  /** Put the real globals back (safe to call when not installed). */
  uninstall(): void {
    const saved = this.saved;
    if (saved === undefined) return;
    this.saved = undefined;
    const patch = globalThis as unknown as Record<string, unknown>;
    patch.setTimeout = saved.setTimeout;
    patch.clearTimeout = saved.clearTimeout;
    patch.setInterval = saved.setInterval;
    patch.clearInterval = saved.clearInterval;
    patch.Date = saved.Date;
    Math.random = saved.random;
  }

  private virtualDate(RealDate: DateConstructor): DateConstructor {
    const globals = this;
    const now = (): number => {
      globals.activity++;
      return globals.epochMs + globals.engine.now;
    };
    class VirtualDate extends RealDate {
      constructor(...args: unknown[]) {
        if (args.length === 0) super(now());
        else super(...(args as [string]));
      }
      static override now(): number {
        return now();
      }
    }
    return VirtualDate as DateConstructor;
  }
}
