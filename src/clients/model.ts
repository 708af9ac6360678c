/**
 * The generalised client model: one XMPP account on one device, driven by a set of knobs (knobs.ts)
 * that together describe a real client (presets.ts). It acts only on what crosses the wire and on what
 * its device tells it (device.ts: foreground/background, suspension, pushes, network changes).
 *
 * What it does, knob by knob (spec xep0198-clients.md §2.10):
 * - logs in (bind, `<enable resume='true'/>` or `<enable/>` in sm:3 or sm:2, or no SM), sends initial
 *   presence, registers for push (XEP-0357) and tells CSI state (XEP-0352) on every new session;
 * - requests acks by its policy (`ackRequest`, `ackEveryN`, `ackDebounceMs`, `ackIdleMs`,
 *   `ackAfterEnable`), never more than `maxOutstandingR` at a time;
 * - checks every `h` it gets (`ackValidation`);
 * - probes an idle link (`probe*`, timed by `probeCadence`) and leaves a dead one by its `closeStyle`;
 * - reconnects by its backoff (`reconnect*`), resuming when it has a resumption id; gives up a login by
 *   its own timer or only when TCP does (`loginTimeoutBy`);
 * - after a failed resume prunes with `<failed h>` (`useFailedH`) and then drops, fails, or re-sends
 *   what was unacknowledged (`onFailedResume`);
 * - writes messages while offline into a waiting list (`queueWhileOffline`) or fails them;
 * - in the background goes inactive, and before the OS suspends it keeps or drops its socket
 *   (`suspend`); a push or the user wakes it.
 *
 * With the `mobile` preset it behaves exactly as the walking skeleton's MobileClient did (same wire,
 * same timers, same draws), so scenarios written for it keep their results.
 *
 * Simplified: "handled" means received (no persistence step); iq and presence traffic of the workload
 * is the only non-message traffic; the client never sends `max`, never resumes inline (SASL2), and keeps
 * no state across process restarts (there are none, except a `crash`).
 */
import type { Engine } from '../engine/engine.js';
import type { Rng } from '../engine/rng.js';
import type { DeviceEnvironment } from '../net/profile.js';
import type { ClientNetwork } from '../net/client-network.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { xmlnsCsi, xmlnsPing, xmlnsSm2, xmlnsSm3, xmlnsStreamErrors } from '../xmpp/ns.js';
import { type Element, attr, childNs, el } from '../xmpp/stanza.js';
import type { Cancellable, ClientClock } from './clock.js';
import { Device, type DeviceNetwork } from './device.js';
import type { ClientKnobs } from './knobs.js';
import { type Account, type LoginOptions, type SmMode, XmppClient } from './xmpp-client.js';

/** XEP-0357 (clients/ may not import the server's mod_cloud_notify, so the namespace is spelled here). */
const xmlnsPush = 'urn:xmpp:push:0';

/** What the world gives a model. */
export interface ModelDeps {
  engine: Engine;
  network: ClientNetwork & DeviceNetwork;
  trace: TraceRecorder;
  /** `client/<name>`: reconnect jitter and other protocol draws. */
  rng: Rng;
  /** `app/<name>`: the device's lifecycle draws (only `on-use` apps need one). */
  appRng: Rng | undefined;
  environment: DeviceEnvironment;
  /** The network path the device's connections use (defaults to the client's name). */
  pathName?: string;
  /** The push service the client registers with (XEP-0357 `jid`). */
  pushJid: string;
}

/** What a model did besides chatting (summed into the run's `workload` figures). */
export interface ModelStats {
  presenceSent: number;
  pingsSent: number;
  pingsAnswered: number;
  pingRttMsTotal: number;
  pushesReceived: number;
  crashes: number;
}

const initialPresence = el('presence');

const smModes: Record<ClientKnobs['sm'], SmMode> = { resume: 'resume', acks: 'enable', off: 'none' };

export class ModelClient {
  readonly xmpp: XmppClient;
  readonly device: Device;
  readonly stats: ModelStats = { presenceSent: 0, pingsSent: 0, pingsAnswered: 0, pingRttMsTotal: 0, pushesReceived: 0, crashes: 0 };
  private readonly clock: ClientClock;
  private readonly login: LoginOptions;
  private readonly waiting: Element[] = [];
  private messageSeq = 0;
  private iqSeq = 0;
  private attempts = 0;
  private lastInboundAt = 0;
  private lastOutboundAt = 0;
  private lastProbeAt = 0;
  /**
   * Counts of inbound data, `<a/>`s and probe pongs: a probe is answered when its count moved after
   * it was sent (an answer in the same millisecond counts, as on a loopback link).
   */
  private inboundCount = 0;
  private ackCount = 0;
  private pongCount = 0;
  /** Settling: clients whose policy could leave stanzas unacknowledged for good request at once. */
  private isSettling = false;
  private probePingId: string | undefined;
  private probeTimer: Cancellable | undefined;
  /** `probeCadence: interval`: the liveness timeout armed by an `<r/>`, stopped by an answer. */
  private livenessTimer: Cancellable | undefined;
  private reconnectTimer: Cancellable | undefined;
  private netChangeTimer: Cancellable | undefined;
  // ack requests
  private outstandingR = 0;
  private isRequestPending = false;
  private sinceRequest = 0;
  private debounceTimer: Cancellable | undefined;
  private ackIdleTimer: Cancellable | undefined;
  /** Pings to other clients awaiting their answer: id → sent at. Forgotten at each new session. */
  private readonly pendingPings = new Map<string, number>();
  private isAway = false;

  constructor(
    readonly name: string,
    account: Account,
    readonly preset: string,
    readonly knobs: Readonly<ClientKnobs>,
    private readonly deps: ModelDeps,
  ) {
    const pathName = deps.pathName ?? name;
    this.device = new Device(name, deps.engine, deps.environment, knobs, deps.appRng, deps.network, pathName, deps.trace);
    this.clock = this.device.clock;
    this.xmpp = new XmppClient(name, account, this.clock, deps.network, deps.trace, pathName);
    this.xmpp.isRecording = false;
    this.xmpp.smNs = knobs.smNs === 'sm:2' ? xmlnsSm2 : xmlnsSm3;
    this.xmpp.loginTimeoutBy = knobs.loginTimeoutBy;
    this.xmpp.kernelClock = deps.engine;
    this.login = { sm: smModes[knobs.sm], presence: true, resource: knobs.resource, presenceBeforeEnable: knobs.presenceBeforeEnable };
    const events = this.xmpp.events;
    events.onOnline = (how) => this.online(how);
    events.onResumeFailed = (h) => this.resumeFailed(h);
    events.onInbound = () => {
      this.lastInboundAt = this.clock.now;
      this.inboundCount++;
      if (this.livenessTimer !== undefined && knobs.probeAnyInbound) this.stopLiveness();
    };
    events.onResent = (stanzas) => {
      if (knobs.ackResent) for (const stanza of stanzas) this.afterSent(stanza);
    };
    events.onLateData = () => {
      if (!knobs.lateDataCrash) return;
      this.stats.crashes++;
      deps.trace.emit({ t: this.clock.now, type: 'client.state', client: name, state: 'crashed', reason: 'data on the half-closed socket: TypeError in Connection._onData (no parser)' });
    };
    events.onOutbound = () => {
      this.lastOutboundAt = this.clock.now;
    };
    events.onDisconnected = () => this.scheduleReconnect();
    events.onLoginFailed = () => this.scheduleReconnect();
    events.onAckReceived = () => this.ackReceived();
    events.onInvalidAck = (h, kind) => this.invalidAck(h, kind);
    events.onStanza = (stanza) => this.stanza(stanza);
    this.device.listener = {
      onForeground: () => this.foreground(),
      onBackground: () => this.background(),
      onSuspending: () => this.suspending(),
      onWake: (reason) => this.wake(reason),
    };
  }

  start(): void {
    this.device.start();
    this.connectNow();
  }

  // ---- what the workload asks ----

  /** Write a chat message to `to` (a bare JID); it goes out now, after the next login, or fails. */
  sendMessage(to: string): void {
    const id = `${this.name}-${++this.messageSeq}`;
    const message = el('message', { to, type: 'chat', id });
    message.c('body').t(`hello ${this.messageSeq}`);
    this.deps.trace.emit({ t: this.clock.now, type: 'message.sent', client: this.name, id, to });
    this.device.use();
    if (this.xmpp.phase === 'online') this.transmit(message);
    else if (this.knobs.queueWhileOffline) this.waiting.push(message);
    else this.deps.trace.emit({ t: this.clock.now, type: 'message.failed', client: this.name, id, reason: 'offline' });
  }

  /** Presence churn: flip between available and away (only while online). */
  sendPresence(): void {
    if (this.xmpp.phase !== 'online') return;
    this.isAway = !this.isAway;
    const presence = el('presence');
    if (this.isAway) presence.c('show').t('away');
    this.stats.presenceSent++;
    this.sendCounted(presence);
  }

  /** An XEP-0199 ping to another client's full JID (only while online). */
  sendPing(to: string): void {
    if (this.xmpp.phase !== 'online') return;
    const id = `${this.name}-ping-${++this.iqSeq}`;
    const iq = el('iq', { type: 'get', to, id });
    iq.c('ping', { xmlns: xmlnsPing });
    this.pendingPings.set(id, this.clock.now);
    this.stats.pingsSent++;
    this.sendRequest(iq);
  }

  /** mod_cloud_notify pushed to this device (the world delivers it after the push latency). */
  push(): void {
    this.stats.pushesReceived++;
    this.deps.trace.emit({ t: this.clock.now, type: 'push.received', client: this.name });
    this.device.push();
  }

  /** The OS reports a new network (the end of a handover). */
  networkChanged(): void {
    const knobs = this.knobs;
    if (knobs.netChange === 'none') return;
    this.netChangeTimer?.cancel();
    this.netChangeTimer = this.clock.after(knobs.netChangeDelayMs, () => {
      this.netChangeTimer = undefined;
      if (this.xmpp.phase === 'offline') {
        this.reconnectSoon();
        return;
      }
      if (this.xmpp.phase !== 'online') return;
      const type = knobs.probe === 'r' || knobs.probe === 'ping' ? knobs.probe : this.xmpp.isSmEnabled ? 'r' : 'ping';
      this.sendProbe(type, knobs.netChangeTimeoutMs, 'network change');
    });
  }

  // ---- sending ----

  private transmit(message: Element): void {
    this.sendCounted(message);
  }

  /** An iq request of ours: its reply may be exempt from h (knob `uncountedIqReplies`). */
  private sendRequest(iq: Element): void {
    const withinMs = this.knobs.uncountedIqRepliesMs;
    const id = attr(iq, 'id');
    if (withinMs > 0 && id !== undefined) this.xmpp.expectUncountedReply(id, withinMs);
    this.sendCounted(iq);
  }

  /** A stanza goes out; with SM it joins the unacked queue and the ack request policy runs. */
  private sendCounted(stanza: Element): void {
    this.xmpp.sendStanza(stanza);
    this.afterSent(stanza);
  }

  /** The ack request policy after a stanza went out (knobs `ackRequest`, `ackEveryN`, …). */
  private afterSent(stanza: Element): void {
    if (!this.xmpp.isSmEnabled) return;
    const knobs = this.knobs;
    this.sinceRequest++;
    switch (knobs.ackRequest) {
      case 'perStanza':
        this.requestAck();
        break;
      case 'perMessage':
        if (stanza.name === 'message' || (knobs.ackEveryN > 0 && this.sinceRequest >= knobs.ackEveryN)) this.requestAck();
        break;
      case 'everyN':
        if (this.sinceRequest >= knobs.ackEveryN) this.requestAck();
        break;
      case 'debounce':
        if (knobs.ackEveryN > 0 && this.sinceRequest >= knobs.ackEveryN) this.requestAck();
        else {
          this.debounceTimer?.cancel();
          this.debounceTimer = this.clock.after(knobs.ackDebounceMs, () => {
            this.debounceTimer = undefined;
            if (this.sinceRequest > 0) this.requestAck();
          });
        }
        break;
      case 'never':
        break;
    }
    if (this.isSettling && this.needsSettleFlush) this.requestAck();
    this.armAckIdle();
  }

  /**
   * A client whose probe is not an `<r/>` and whose policy does not ask after every stanza (or after a
   * pause) may keep stanzas unacknowledged until its next message; while settling there is none.
   */
  private get needsSettleFlush(): boolean {
    const knobs = this.knobs;
    return knobs.probe !== 'r' && knobs.ackRequest !== 'perStanza' && knobs.ackRequest !== 'debounce' && knobs.ackIdleMs === 0;
  }

  /** `<r/>` by the policy: held back while `maxOutstandingR` are unanswered (sent at the next `<a/>`). */
  private requestAck(): void {
    if (!this.xmpp.isSmEnabled) return;
    const max = this.knobs.maxOutstandingR;
    if (max > 0 && this.outstandingR >= max) {
      this.isRequestPending = true;
      return;
    }
    this.forceAckRequest();
  }

  private forceAckRequest(livenessMs = this.knobs.probeTimeoutMs, reason = 'probe timeout'): void {
    this.outstandingR++;
    this.sinceRequest = 0;
    this.isRequestPending = false;
    this.debounceTimer?.cancel();
    this.debounceTimer = undefined;
    this.xmpp.requestAck();
    if (this.knobs.probeCadence === 'interval' && this.xmpp.isSmEnabled) {
      // xmpp.js requestAck(): every <r/> restarts the idle interval and arms the timeout if none runs.
      this.lastProbeAt = this.clock.now;
      this.armLiveness(livenessMs, reason);
    }
  }

  /** Psi/xmpp.js-style: `<r/>` after `ackIdleMs` without ack activity while something is unacked. */
  private armAckIdle(): void {
    const idleMs = this.knobs.ackIdleMs;
    if (idleMs <= 0) return;
    this.ackIdleTimer?.cancel();
    this.ackIdleTimer = this.clock.after(idleMs, () => {
      this.ackIdleTimer = undefined;
      if (this.xmpp.phase === 'online' && this.xmpp.unacked.length > 0) this.requestAck();
    });
  }

  private ackReceived(): void {
    this.ackCount++;
    if (this.livenessTimer !== undefined) this.stopLiveness();
    if (this.outstandingR > 0) this.outstandingR--;
    if (this.isRequestPending && this.xmpp.unacked.length > 0) this.requestAck();
    else if (this.xmpp.unacked.length === 0) this.isRequestPending = false;
    if (this.xmpp.unacked.length > 0) this.armAckIdle();
  }

  private cancelAckTimers(): void {
    this.debounceTimer?.cancel();
    this.debounceTimer = undefined;
    this.ackIdleTimer?.cancel();
    this.ackIdleTimer = undefined;
  }

  // ---- receiving ----

  private stanza(stanza: Element): void {
    if (stanza.name !== 'iq') return;
    const type = attr(stanza, 'type');
    const id = attr(stanza, 'id');
    if (type === 'get' && childNs(stanza, 'ping', xmlnsPing) !== undefined) {
      this.sendCounted(el('iq', { type: 'result', id, to: attr(stanza, 'from') }));
      return;
    }
    if ((type !== 'result' && type !== 'error') || id === undefined) return;
    if (id === this.probePingId) {
      this.probePingId = undefined;
      this.pongCount++;
      return;
    }
    const sentAt = this.pendingPings.get(id);
    if (sentAt === undefined) return;
    this.pendingPings.delete(id);
    if (type === 'result') {
      this.stats.pingsAnswered++;
      this.stats.pingRttMsTotal += this.clock.now - sentAt;
    }
  }

  /**
   * An impossible h (knob `ackValidation`). `kill`: Monal sends `<handled-count-too-high/>` (XEP-0198
   * 1.6) for a too-high h, closes the stream and forgets the session; `crash`: xmpp.js's TypeError
   * leaves the client without its SM state.
   */
  private invalidAck(h: number, kind: 'too-high' | 'too-low'): boolean {
    const validation = this.knobs.ackValidation;
    if (validation === 'ignore') return false;
    if (validation === 'overcount') return this.overcount(h, kind);
    // A client that is already leaving this stream does not judge what the server says on its way out.
    if (this.xmpp.phase === 'closing') return true;
    const trace = this.deps.trace;
    trace.emit({ t: this.clock.now, type: 'client.ack-invalid', client: this.name, h, kind, reaction: validation });
    if (validation === 'log') return false;
    const xmpp = this.xmpp;
    if (validation === 'kill') {
      if (kind === 'too-high') {
        const error = el('stream:error');
        error.c('undefined-condition', { xmlns: xmlnsStreamErrors });
        error.c('handled-count-too-high', { xmlns: xmpp.smNs, h, 'send-count': xmpp.outboundAcked + xmpp.unacked.length });
        xmpp.sendElement(error);
      }
      xmpp.smId = undefined;
      xmpp.close();
      return true;
    }
    this.stats.crashes++;
    trace.emit({ t: this.clock.now, type: 'client.crash', client: this.name, reason: `h ${kind}`, unacked: xmpp.unacked.length });
    xmpp.unacked = [];
    xmpp.orphaned = [];
    xmpp.smId = undefined;
    xmpp.disconnect('crash');
    return true;
  }

  /**
   * xmpp.js 0.14's `ackQueue(h)` (@xmpp/stream-management index.js:90–97): for each of `h − outbound`
   * it shifts the queue, counts one and reads `item.stanza`. A too-low h runs no loop; a too-high one
   * empties the queue, counts one past it and throws. The client runs on with its count one ahead; on
   * `<resumed/>` the resume handler (stream-feature.js:19–26) catches the throw, calls `failed()` and
   * binds on the resumed stream.
   */
  private overcount(h: number, kind: 'too-high' | 'too-low'): boolean {
    if (kind === 'too-low') return true;
    const xmpp = this.xmpp;
    const trace = this.deps.trace;
    trace.emit({ t: this.clock.now, type: 'client.ack-invalid', client: this.name, h, kind, reaction: 'overcount' });
    this.stats.crashes++;
    trace.emit({ t: this.clock.now, type: 'client.crash', client: this.name, reason: `h ${kind}`, unacked: xmpp.unacked.length });
    const acked = xmpp.unacked;
    xmpp.unacked = [];
    xmpp.outboundAcked += acked.length + 1;
    if (acked.length > 0) xmpp.events.onAcked?.(acked);
    if (xmpp.phase === 'resuming') {
      this.cancelAckTimers();
      this.stopLiveness();
      xmpp.strand(this.login.resource, this.knobs.uncountedIqRepliesMs);
    }
    return true;
  }

  // ---- sessions ----

  private connectNow(): void {
    this.reconnectTimer = undefined;
    const xmpp = this.xmpp;
    if (this.knobs.sm === 'resume' && xmpp.smId !== undefined) xmpp.resume(xmpp.smId, xmpp.inboundH, this.knobs.loginTimeoutMs);
    else xmpp.connect(this.login, this.knobs.loginTimeoutMs);
  }

  private resumeFailed(h: number | undefined): void {
    if (this.knobs.useFailedH && h !== undefined) this.xmpp.acknowledgeFailed(h);
    this.xmpp.bindAfterFailedResume(this.login);
  }

  private online(how: 'login' | 'resumed'): void {
    const knobs = this.knobs;
    this.attempts = 0;
    this.lastInboundAt = this.clock.now;
    this.outstandingR = 0;
    this.isRequestPending = false;
    this.sinceRequest = 0;
    this.stopLiveness();
    if (how === 'login') {
      // XmppClient sent the initial presence; after <enabled/> it counts like any stanza of ours.
      if (this.login.presence && !this.xmpp.isPresenceBeforeEnable) this.afterSent(initialPresence);
      this.pendingPings.clear();
      this.recoverOrphans();
      if (knobs.push) this.registerPush();
      if (knobs.csi && !this.device.isForeground) this.sendCsi('inactive');
    }
    for (const message of this.waiting.splice(0)) this.transmit(message);
    if (knobs.ackAfterEnable || (this.isSettling && this.needsSettleFlush)) {
      // After <resumed/> XmppClient re-sends the unacked stanzas once we return: ask after them.
      if (how === 'resumed') this.clock.after(0, () => this.requestAck());
      else this.requestAck();
    }
    this.armProbe();
  }

  /** A fresh session: what the old one never got acknowledged (knob `onFailedResume`). */
  private recoverOrphans(): void {
    const orphaned = this.xmpp.orphaned;
    if (orphaned.length === 0) return;
    this.xmpp.orphaned = [];
    const policy = this.knobs.onFailedResume;
    const trace = this.deps.trace;
    for (const stanza of orphaned) {
      const id = attr(stanza, 'id');
      if (stanza.name === 'message') {
        if (policy === 'drop') continue;
        if (policy === 'failEvent') {
          if (id !== undefined) trace.emit({ t: this.clock.now, type: 'message.failed', client: this.name, id, reason: 'resume failed' });
          continue;
        }
        if (id !== undefined) trace.emit({ t: this.clock.now, type: 'message.resend', client: this.name, id });
        this.transmit(stanza);
      } else if (policy === 'resendAll') {
        this.sendCounted(stanza);
      }
    }
  }

  private registerPush(): void {
    const iq = el('iq', { type: 'set', id: `${this.name}-push-${++this.iqSeq}` });
    iq.c('enable', { xmlns: xmlnsPush, jid: this.deps.pushJid, node: this.name });
    this.sendRequest(iq);
  }

  private sendCsi(state: 'active' | 'inactive'): void {
    this.xmpp.sendElement(el(state, { xmlns: xmlnsCsi }));
  }

  // ---- idle probe ----

  /** Silence is counted from the last inbound data (or any data, `probeIdleFrom: any`) or the last probe. */
  private idleSince(): number {
    const since = this.knobs.probeIdleFrom === 'any' ? Math.max(this.lastInboundAt, this.lastOutboundAt) : this.lastInboundAt;
    return Math.max(since, this.lastProbeAt);
  }

  private armProbe(): void {
    this.probeTimer?.cancel();
    this.probeTimer = undefined;
    if (this.knobs.probe === 'none') return;
    this.probeTimer = this.clock.at(Math.max(this.clock.now, this.idleSince() + this.knobs.probeIdleMs), () => this.probeCheck());
  }

  private probeCheck(): void {
    this.probeTimer = undefined;
    if (this.xmpp.phase !== 'online') return;
    if (this.clock.now < this.idleSince() + this.knobs.probeIdleMs) {
      this.armProbe();
      return;
    }
    this.sendProbe(this.knobs.probe as 'r' | 'ping' | 'whitespace', this.knobs.probeTimeoutMs, 'probe timeout');
  }

  private sendProbe(type: 'r' | 'ping' | 'whitespace', timeoutMs: number, reason: string): void {
    this.probeTimer?.cancel();
    this.lastProbeAt = this.clock.now;
    if (type === 'r' && this.knobs.probeCadence === 'interval') {
      // The <r/> arms the timeout (unless one runs); the next probe is due probeIdle from now.
      this.forceAckRequest(timeoutMs, reason);
      this.armProbe();
      return;
    }
    const counts = { inbound: this.inboundCount, acks: this.ackCount, pongs: this.pongCount };
    if (type === 'r') this.forceAckRequest();
    else if (type === 'ping') {
      this.probePingId = `${this.name}-probe-${++this.iqSeq}`;
      const iq = el('iq', { type: 'get', id: this.probePingId });
      iq.c('ping', { xmlns: xmlnsPing });
      this.sendRequest(iq);
    } else this.xmpp.whitespacePing();
    if (timeoutMs <= 0) {
      this.armProbe();
      return;
    }
    this.probeTimer = this.clock.after(timeoutMs, () => {
      this.probeTimer = undefined;
      if (this.xmpp.phase !== 'online') return;
      if (this.isProbeAnswered(type, counts)) this.armProbe();
      else this.giveUp(reason);
    });
  }

  private isProbeAnswered(type: 'r' | 'ping' | 'whitespace', before: { inbound: number; acks: number; pongs: number }): boolean {
    if (this.knobs.probeAnyInbound || type === 'whitespace') return this.inboundCount > before.inbound;
    return type === 'r' ? this.ackCount > before.acks : this.pongCount > before.pongs;
  }

  /** `probeCadence: interval`: one liveness timeout at a time; when it runs out online, give up. */
  private armLiveness(timeoutMs: number, reason: string): void {
    if (timeoutMs <= 0 || this.livenessTimer !== undefined) return;
    this.livenessTimer = this.clock.after(timeoutMs, () => {
      this.livenessTimer = undefined;
      if (this.xmpp.phase === 'online') this.giveUp(reason);
    });
  }

  private stopLiveness(): void {
    this.livenessTimer?.cancel();
    this.livenessTimer = undefined;
  }

  /** Leave the connection by the client's close style (knob `closeStyle`). */
  private giveUp(reason: string): void {
    const xmpp = this.xmpp;
    switch (this.knobs.closeStyle) {
      case 'abortive':
        xmpp.disconnect(reason);
        return;
      case 'lastAckThenAbortive':
        if (xmpp.isSmEnabled) xmpp.sendAck();
        xmpp.disconnect(reason);
        return;
      case 'lastAckThenGraceful':
        if (xmpp.isSmEnabled) xmpp.sendAck();
        xmpp.close(this.knobs.closeWaitMs, this.knobs.closeSocketWaitMs);
        return;
      case 'graceful':
        xmpp.close(this.knobs.closeWaitMs, this.knobs.closeSocketWaitMs);
        return;
    }
  }

  // ---- reconnecting ----

  private backoffMs(): number {
    const knobs = this.knobs;
    const rng = this.deps.rng;
    if (this.attempts === 0 && knobs.reconnectFirstMaxMs > 0) return rng.int(knobs.reconnectFirstMinMs, knobs.reconnectFirstMaxMs);
    const n = this.attempts;
    let baseMs: number;
    switch (knobs.reconnect) {
      case 'fixed':
        baseMs = knobs.reconnectBaseMs;
        break;
      case 'linear':
        baseMs = knobs.reconnectBaseMs * (1 + knobs.reconnectFactor * n);
        break;
      case 'exp':
        baseMs = knobs.reconnectBaseMs * knobs.reconnectFactor ** n;
        break;
      case 'steps': {
        const steps = knobs.reconnectSteps;
        baseMs = knobs.reconnectBaseMs * steps[Math.min(n, steps.length - 1)]!;
        break;
      }
    }
    const capped = Math.min(knobs.reconnectMaxMs, baseMs);
    const jitter = knobs.reconnectJitter;
    return Math.round(capped * (1 - jitter + 2 * jitter * rng.float()));
  }

  private scheduleReconnect(): void {
    this.probeTimer?.cancel();
    this.probeTimer = undefined;
    this.stopLiveness();
    this.cancelAckTimers();
    if (this.reconnectTimer !== undefined) return;
    const delayMs = this.backoffMs();
    this.attempts++;
    this.reconnectTimer = this.clock.after(delayMs, () => this.connectNow());
  }

  /** Something says the network is there now (user, push, new network): try at once. */
  private reconnectSoon(): void {
    if (this.xmpp.phase !== 'offline') return;
    this.reconnectTimer?.cancel();
    this.attempts = 0;
    this.connectNow();
  }

  // ---- the device ----

  private foreground(): void {
    if (this.knobs.csi && this.xmpp.phase === 'online') this.sendCsi('active');
    this.reconnectSoon();
  }

  private background(): void {
    if (this.knobs.csi && this.xmpp.phase === 'online') this.sendCsi('inactive');
  }

  /** Before iOS freezes the app: Monal leaves (and relies on push); others keep the socket. */
  private suspending(): void {
    if (this.knobs.suspend === 'disconnect' && this.xmpp.phase !== 'offline') this.giveUp('going to background');
  }

  /** Woken in the background: reconnect if offline; after a push, check the link if the knob says so. */
  private wake(reason: 'push' | 'window'): void {
    const knobs = this.knobs;
    if (reason === 'push' && knobs.wakeProbeTimeoutMs > 0 && this.xmpp.phase === 'online') {
      const type = knobs.probe === 'r' || knobs.probe === 'ping' ? knobs.probe : this.xmpp.isSmEnabled ? 'r' : 'ping';
      this.sendProbe(type, knobs.wakeProbeTimeoutMs, 'push probe');
      return;
    }
    this.reconnectSoon();
  }

  /** Settle: the user opens the app for good, the network has healed: reconnect promptly. */
  settle(): void {
    this.isSettling = true;
    this.device.settle();
    if (this.needsSettleFlush && this.xmpp.phase === 'online' && this.xmpp.unacked.length > 0) this.requestAck();
    this.attempts = 0;
    if (this.reconnectTimer !== undefined && this.xmpp.phase === 'offline') {
      this.reconnectTimer.cancel();
      this.reconnectTimer = this.clock.after(this.knobs.reconnectBaseMs, () => this.connectNow());
    }
  }

  /** Nothing of ours is waiting to be acknowledged or sent. */
  get isDrained(): boolean {
    return this.xmpp.phase === 'online' && this.xmpp.unacked.length === 0 && this.waiting.length === 0;
  }
}
