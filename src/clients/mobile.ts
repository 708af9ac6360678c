/**
 * The resuming mobile client: the one autonomous model of the walking skeleton, close to
 * Conversations' behaviour (spec xep0198-clients.md §2.2 and §2.10):
 * - logs in with `<enable resume='true'/>` and initial presence;
 * - requests an ack (`<r/>`) after every message it sends;
 * - probes an idle link: after `probeIdleMs` without inbound data it sends `<r/>`, and if nothing at
 *   all comes back within `probeTimeoutMs` it drops the connection;
 * - reconnects with exponential backoff and jitter, resuming when it has a resumption id;
 * - after a failed resume binds a fresh session and re-sends its unacknowledged messages (as new
 *   stanzas with the same id, counted as resends; it does not use `h` from `<failed/>`).
 * Messages written while offline wait in the client and go out once it is online again.
 *
 * The "Real world" issue turns these constants into knobs and presets.
 */
import type { Engine, Timer } from '../engine/engine.js';
import type { Rng } from '../engine/rng.js';
import type { Network } from '../net/network.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { type Element, attr, el } from '../xmpp/stanza.js';
import { type Account, type LoginOptions, XmppClient } from './xmpp-client.js';

export interface MobileKnobs {
  probeIdleMs: number;
  probeTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** Each backoff delay is multiplied by a factor uniform in [1 − jitter, 1 + jitter]. */
  reconnectJitter: number;
  /** Give up a connection attempt (TCP + stream + SASL + bind/resume) after this long. */
  loginTimeoutMs: number;
}

export const mobileKnobsDefault: Readonly<MobileKnobs> = Object.freeze({
  probeIdleMs: 300_000,
  probeTimeoutMs: 15_000,
  reconnectBaseMs: 2000,
  reconnectMaxMs: 300_000,
  reconnectJitter: 0.5,
  loginTimeoutMs: 60_000,
});

export class MobileClient {
  readonly xmpp: XmppClient;
  private messageSeq = 0;
  private attempts = 0;
  private lastInboundAt = 0;
  private probeTimer: Timer | undefined;
  private reconnectTimer: Timer | undefined;
  private readonly waiting: Element[] = [];
  private readonly login: LoginOptions;

  constructor(
    readonly name: string,
    account: Account,
    resource: string,
    private readonly engine: Engine,
    network: Network,
    private readonly trace: TraceRecorder,
    private readonly rng: Rng,
    private readonly knobs: MobileKnobs,
  ) {
    this.xmpp = new XmppClient(name, account, engine, network, trace);
    this.login = { sm: 'resume', presence: true, resource };
    const events = this.xmpp.events;
    events.onOnline = (how) => this.online(how);
    events.onResumeFailed = () => this.xmpp.bindAfterFailedResume(this.login);
    events.onInbound = () => {
      this.lastInboundAt = this.engine.now;
    };
    events.onDisconnected = () => this.scheduleReconnect();
    events.onLoginFailed = () => this.scheduleReconnect();
  }

  start(): void {
    this.connectNow();
  }

  /** Write a chat message to `to` (a bare JID); it goes out now or after the next login. */
  sendMessage(to: string): void {
    const id = `${this.name}-${++this.messageSeq}`;
    const message = el('message', { to, type: 'chat', id });
    message.c('body').t(`hello ${this.messageSeq}`);
    this.trace.emit({ t: this.engine.now, type: 'message.sent', client: this.name, id, to });
    if (this.xmpp.phase === 'online') this.transmit(message);
    else this.waiting.push(message);
  }

  private transmit(message: Element): void {
    this.xmpp.sendStanza(message);
    this.xmpp.requestAck();
  }

  private connectNow(): void {
    this.reconnectTimer = undefined;
    if (this.xmpp.smId !== undefined) this.xmpp.resume(this.xmpp.smId, this.xmpp.inboundH, this.knobs.loginTimeoutMs);
    else this.xmpp.connect(this.login, this.knobs.loginTimeoutMs);
  }

  private online(how: 'login' | 'resumed'): void {
    this.attempts = 0;
    this.lastInboundAt = this.engine.now;
    if (how === 'login') {
      // A fresh session: what the old one never got acknowledged is sent again.
      const orphaned = this.xmpp.orphaned;
      this.xmpp.orphaned = [];
      for (const stanza of orphaned) {
        if (stanza.name !== 'message') continue;
        const id = attr(stanza, 'id');
        if (id !== undefined) this.trace.emit({ t: this.engine.now, type: 'message.resend', client: this.name, id });
        this.transmit(stanza);
      }
    }
    for (const message of this.waiting.splice(0)) this.transmit(message);
    this.armProbe();
  }

  // ---- idle probe ----

  private armProbe(): void {
    this.probeTimer?.cancel();
    this.probeTimer = this.engine.at(this.lastInboundAt + this.knobs.probeIdleMs, () => this.probeCheck());
  }

  private probeCheck(): void {
    this.probeTimer = undefined;
    if (this.xmpp.phase !== 'online') return;
    if (this.engine.now < this.lastInboundAt + this.knobs.probeIdleMs) {
      this.armProbe();
      return;
    }
    const sentAt = this.engine.now;
    this.xmpp.requestAck();
    this.probeTimer = this.engine.after(this.knobs.probeTimeoutMs, () => {
      this.probeTimer = undefined;
      if (this.xmpp.phase !== 'online') return;
      if (this.lastInboundAt > sentAt) this.armProbe();
      else this.xmpp.disconnect('probe timeout');
    });
  }

  // ---- reconnecting ----

  private scheduleReconnect(): void {
    this.probeTimer?.cancel();
    this.probeTimer = undefined;
    if (this.reconnectTimer !== undefined) return;
    const base = Math.min(this.knobs.reconnectMaxMs, this.knobs.reconnectBaseMs * 2 ** this.attempts);
    const jitter = this.knobs.reconnectJitter;
    const delayMs = Math.round(base * (1 - jitter + 2 * jitter * this.rng.float()));
    this.attempts++;
    this.reconnectTimer = this.engine.after(delayMs, () => this.connectNow());
  }

  /** Settle: reconnect promptly (the network has healed) and stop backing off. */
  settle(): void {
    this.attempts = 0;
    if (this.reconnectTimer !== undefined && this.xmpp.phase === 'offline') {
      this.reconnectTimer.cancel();
      this.reconnectTimer = this.engine.after(this.knobs.reconnectBaseMs, () => this.connectNow());
    }
  }

  /** Nothing of ours is waiting to be acknowledged or sent. */
  get isDrained(): boolean {
    return this.xmpp.phase === 'online' && this.xmpp.unacked.length === 0 && this.waiting.length === 0;
  }
}
