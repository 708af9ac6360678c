/**
 * The client side of one XMPP account on one device: connects over the simulated network, opens the
 * stream, authenticates (SASL PLAIN), binds, enables or resumes Stream Management, and keeps the
 * client's SM counters (XEP-0198 §4): `inboundH` (stanzas handled from the server) and the queue of
 * its own unacknowledged stanzas.
 *
 * It knows only what crosses the wire. Behaviour (when to request acks, probe, reconnect, what to do
 * after a failed resume) belongs to the models that drive it (the script runner, model.ts).
 */
import type { Cancellable, ClientClock } from './clock.js';
import type { ClientLink, ClientNetwork } from '../net/client-network.js';
import type { ConnectionEnd } from '../net/connection.js';
import { synGiveUpMs, synRetransmitAtMs } from '../net/path.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { xmlnsBind, xmlnsDelay, xmlnsSasl, xmlnsSm3 } from '../xmpp/ns.js';
import { type Element, attr, childNs, el, errorCondition, isCountableStanza } from '../xmpp/stanza.js';
import { type Frame, RawText, StreamClose, StreamOpen, Whitespace, frameName, streamCloseFrame, whitespaceFrame } from '../xmpp/wire.js';

export interface Account {
  username: string;
  password: string;
  host: string;
}

/** How a login ends up using Stream Management. */
export type SmMode = 'none' | 'enable' | 'resume';

export interface LoginOptions {
  sm: SmMode;
  /** Send initial presence after binding (needed to receive bare-JID chat and offline messages). */
  presence: boolean;
  /** With SM: send that presence right after binding, before `<enable/>`, so neither side counts it
   * (xmpp.js); otherwise it goes out once `<enabled/>` arrived. */
  presenceBeforeEnable?: boolean;
  /** Resource to bind; undefined lets the server pick. */
  resource: string | undefined;
}

/**
 * `stranded`: the server resumed the session but the client took the resume as failed (xmpp.js after
 * the TypeError of a too-high `<resumed h/>`): it receives, counts and answers `<r/>`, but is not
 * online, until the connection breaks.
 */
export type ClientPhase = 'offline' | 'connecting' | 'authenticating' | 'binding' | 'enabling' | 'resuming' | 'online' | 'closing' | 'stranded';

/** What ends a connection attempt that gets nowhere (knob `loginTimeoutBy`): the client's own timer,
 * or only the kernel (SYN retransmissions, then TCP's give-up on unacknowledged data). */
export type LoginTimeoutBy = 'app' | 'kernel';

/** What the driving model hears about. Every callback is optional. */
export interface ClientEvents {
  onOnline?(how: 'login' | 'resumed'): void;
  /** A resume attempt failed with <failed/>; `h` is the server's count if it sent one. */
  onResumeFailed?(h: number | undefined): void;
  onStanza?(stanza: Element): void;
  /** The server acknowledged some of our stanzas (they left the unacked queue). */
  onAcked?(stanzas: Element[]): void;
  /** Any element or frame from the server (for probes: "any inbound counts"). */
  onInbound?(): void;
  /** An element was added to `received` (scripts wait on these). */
  onReceived?(element: Element): void;
  onDisconnected?(reason: string): void;
  onLoginFailed?(reason: string): void;
  /** Any <a/> arrived (answers an <r/>). */
  onAckReceived?(): void;
  /**
   * An ack (`<a/>` or `<resumed/>`) whose h acknowledges more than we sent or less than before. Return
   * true if the model dealt with it; otherwise the ack is clamped to what is possible (the "log only"
   * validation most clients have).
   */
  onInvalidAck?(h: number, kind: 'too-high' | 'too-low'): boolean;
  /** We wrote something (liveness probes count idle time from any traffic). */
  onOutbound?(): void;
  /** After `<resumed/>`: the unacknowledged stanzas we have just re-sent. */
  onResent?(stanzas: Element[]): void;
  /** Data arrived on a socket we had half-closed and no longer read (the first of each close). */
  onLateData?(): void;
}

export class XmppClient implements ConnectionEnd {
  phase: ClientPhase = 'offline';
  connection: ClientLink | undefined;
  fullJid: string | undefined;
  /** SM state (client side). */
  smNs = xmlnsSm3;
  isSmEnabled = false;
  smId: string | undefined;
  inboundH = 0;
  /** Our stanzas the server has not acknowledged yet, oldest first. */
  unacked: Element[] = [];
  /** Unacknowledged stanzas of an earlier SM session, set aside when a new one is enabled. */
  orphaned: Element[] = [];
  /** How many of our stanzas the server has acknowledged in total. */
  outboundAcked = 0;
  /** Answer <r/> with <a/> at once. */
  isAutoAck = true;
  /**
   * Every element received outside the login handshake, in order (for the `wire` report), while
   * `isRecording`: scripted clients record, population models do not (a day of 10,000 clients would
   * keep every stanza they ever received).
   */
  readonly received: Element[] = [];
  isRecording = true;
  readonly events: ClientEvents = {};
  /** `app`: a connection attempt ends after the timeout given to connect()/resume(); `kernel`: see
   * LoginTimeoutBy (SYN retransmissions on `kernelClock`). */
  loginTimeoutBy: LoginTimeoutBy = 'app';
  /** The clock of the device's kernel (TCP's timers run even when the OS holds the app's). */
  kernelClock: ClientClock;
  /** Ids of our own iq requests whose reply is not counted in h if it arrives before the deadline. */
  private readonly uncountedReplies = new Map<string, number>();
  private synTimers: Cancellable[] = [];
  /** A graceful close's second stage: FIN sent, the stream no longer read, the server's FIN awaited. */
  private halfClosed: { connection: ClientLink; isLateDataSeen: boolean } | undefined;
  private login: LoginOptions = { sm: 'resume', presence: true, resource: undefined };
  private resumeRequest: { previd: string; h: number | string } | undefined;
  private bindId = 0;
  private timeoutTimer: Cancellable | undefined;

  constructor(
    readonly name: string,
    readonly account: Account,
    /** The engine, or the clock of a device whose OS may hold the app's timers (device.ts). */
    private readonly engine: ClientClock,
    private readonly network: ClientNetwork,
    private readonly trace: TraceRecorder,
    /** The network path this client's connections use (defaults to its name). */
    private readonly pathName: string = name,
  ) {
    this.kernelClock = engine;
  }

  get isConnected(): boolean {
    return this.connection !== undefined;
  }

  // ---- connecting ----

  /** Open a new connection and log in (bind, then SM as asked). */
  connect(options: LoginOptions, timeoutMs = 60_000): void {
    this.login = options;
    this.resumeRequest = undefined;
    this.open(timeoutMs);
  }

  /**
   * Open a new connection, authenticate and resume `previd` with `h` (defaults: our own). A string
   * `h` goes on the wire verbatim (scripts test malformed counters).
   */
  resume(previd = this.smId, h: number | string = this.inboundH, timeoutMs = 60_000): void {
    this.resumeRequest = { previd: previd ?? '', h };
    this.open(timeoutMs);
  }

  private open(timeoutMs: number): void {
    this.dropConnection();
    this.setPhase('connecting');
    if (this.loginTimeoutBy === 'kernel') {
      this.openByKernel();
      return;
    }
    this.connection = this.network.connect(this.pathName, (connection) => {
      if (connection !== this.connection) return;
      this.write(new StreamOpen(this.account.host));
    });
    // Attached at once, so a refused connection (reset while connecting) reaches onClose.
    this.connection.clientEnd = this;
    this.timeoutTimer = this.engine.after(timeoutMs, () => {
      this.timeoutTimer = undefined;
      if (this.phase === 'online' || this.phase === 'offline') return;
      this.abort('login timeout');
      this.events.onLoginFailed?.('timeout');
    });
  }

  /**
   * No timer of our own: a SYN now and one at each retransmission (each a new simulated attempt, the
   * unanswered one let go, as the simulator drops a SYN in a black hole or an outage), ETIMEDOUT at
   * 127 s; once connected nothing but the connection's own end stops a stalled login.
   */
  private openByKernel(): void {
    this.synAttempt();
    const clock = this.kernelClock;
    for (const atMs of synRetransmitAtMs) this.synTimers.push(clock.after(atMs, () => this.synAttempt()));
    this.synTimers.push(
      clock.after(synGiveUpMs, () => {
        this.synTimers = [];
        if (this.phase !== 'connecting') return;
        // Nothing goes on the wire: the kernel just stops retransmitting the SYN.
        this.dropConnection();
        this.disconnected('ETIMEDOUT');
        this.events.onLoginFailed?.('timeout');
      }),
    );
  }

  private synAttempt(): void {
    if (this.phase !== 'connecting') return;
    const previous = this.connection;
    if (previous !== undefined) {
      previous.close('client', 'syn retransmit');
      if (previous.clientEnd === this) previous.clientEnd = undefined;
    }
    this.connection = this.network.connect(this.pathName, (connection) => {
      if (connection !== this.connection) return;
      this.cancelSyn();
      this.write(new StreamOpen(this.account.host));
    });
    this.connection.clientEnd = this;
  }

  private cancelSyn(): void {
    for (const timer of this.synTimers) timer.cancel();
    this.synTimers = [];
  }

  // ---- sending ----

  private write(frame: Frame): void {
    const connection = this.connection;
    if (connection === undefined) return;
    this.events.onOutbound?.();
    if (frame instanceof StreamOpen || frame instanceof StreamClose || frame instanceof Whitespace) {
      connection.write('client', frame);
      return;
    }
    if (frame instanceof RawText) {
      this.trace.emit({ t: this.engine.now, type: 'client.send', client: this.name, conn: connection.id, name: 'raw' });
      connection.write('client', frame);
      return;
    }
    this.traceElement('client.send', frame);
    connection.write('client', frame);
  }

  /** Send a stanza; with SM on it joins the unacked queue (XEP-0198 §4). */
  sendStanza(stanza: Element): void {
    if (this.isSmEnabled && isCountableStanza(stanza)) this.unacked.push(stanza);
    this.write(stanza);
  }

  /** Any XML text, sent as is (the server parses it). */
  sendRaw(text: string): void {
    this.write(new RawText(text));
  }

  sendElement(element: Element): void {
    this.write(element);
  }

  requestAck(): void {
    if (this.isSmEnabled) this.write(el('r', { xmlns: this.smNs }));
  }

  sendAck(h: number | string = this.inboundH): void {
    this.write(el('a', { xmlns: this.smNs, h }));
  }

  whitespacePing(): void {
    this.write(whitespaceFrame);
  }

  /**
   * Graceful close: </stream:stream>, then wait for the server's close. After `waitMs` without it,
   * drop the socket; or, with `socketWaitMs` > 0 (xmpp.js), half-close it (FIN), stop reading the
   * stream and wait that much longer for the server's FIN before counting as disconnected.
   */
  close(waitMs = 5000, socketWaitMs = 0): void {
    const connection = this.connection;
    if (connection === undefined) return;
    this.setPhase('closing');
    this.write(streamCloseFrame);
    this.engine.after(waitMs, () => {
      if (this.connection !== connection) return;
      if (socketWaitMs <= 0) {
        this.abort('close timeout');
        return;
      }
      connection.close('client', 'end');
      // Half-closed: we still hear the server (its data, its FIN) until we let go.
      connection.clientEnd = this;
      this.halfClosed = { connection, isLateDataSeen: false };
      this.engine.after(socketWaitMs, () => {
        if (this.connection !== connection) return;
        this.dropConnection();
        this.disconnected('close timeout');
      });
    });
  }

  /** Abortive disconnect: the socket is closed without a stream close (FIN only). */
  disconnect(reason = 'disconnect'): void {
    this.abort(reason);
  }

  private abort(reason: string): void {
    const connection = this.connection;
    // Close before letting go: a connection only carries the FIN of an end it still knows.
    connection?.close('client', reason);
    this.dropConnection();
    this.disconnected(reason);
  }

  private dropConnection(): void {
    this.timeoutTimer?.cancel();
    this.timeoutTimer = undefined;
    this.halfClosed = undefined;
    if (this.synTimers.length > 0) this.cancelSyn();
    const connection = this.connection;
    this.connection = undefined;
    if (connection !== undefined && connection.clientEnd === this) connection.clientEnd = undefined;
  }

  private disconnected(reason: string): void {
    const wasSession = this.phase !== 'offline';
    this.setPhase('offline', reason);
    if (wasSession) this.events.onDisconnected?.(reason);
  }

  // ---- receiving (ConnectionEnd) ----

  onClose(reason: string): void {
    this.dropConnection();
    this.disconnected(reason);
  }

  onFrame(frame: Frame): void {
    const halfClosed = this.halfClosed;
    if (halfClosed !== undefined && halfClosed.connection === this.connection) {
      // Not read: the stream is closed on our side.
      if (!halfClosed.isLateDataSeen) {
        halfClosed.isLateDataSeen = true;
        this.events.onLateData?.();
      }
      return;
    }
    this.events.onInbound?.();
    if (frame instanceof StreamOpen || frame instanceof Whitespace || frame instanceof RawText) return;
    if (frame instanceof StreamClose) {
      // Recorded whatever the phase: after a failed resume (binding) or a refused login the close is
      // part of what the server did, like the stream error before it.
      this.record(el('stream:close'));
      this.connection?.close('client', 'stream closed');
      this.dropConnection();
      this.disconnected('stream closed');
      return;
    }
    this.traceElement('client.recv', frame);
    switch (this.phase) {
      case 'connecting':
      case 'authenticating':
      case 'binding':
        this.handshake(frame);
        return;
      default:
        this.onSessionElement(frame);
    }
  }

  private handshake(element: Element): void {
    if (element.name === 'stream:features') {
      if (childNs(element, 'mechanisms', xmlnsSasl) !== undefined) {
        this.setPhase('authenticating');
        const credentials = Buffer.from(`\u0000${this.account.username}\u0000${this.account.password}`).toString('base64');
        this.write(el('auth', { xmlns: xmlnsSasl, mechanism: 'PLAIN' }).t(credentials) as Element);
        return;
      }
      if (this.resumeRequest !== undefined) {
        this.setPhase('resuming');
        this.write(el('resume', { xmlns: this.smNs, previd: this.resumeRequest.previd, h: this.resumeRequest.h }));
        return;
      }
      this.setPhase('binding');
      this.bindId++;
      const bind = el('iq', { type: 'set', id: `bind${this.bindId}` });
      const payload = bind.c('bind', { xmlns: xmlnsBind });
      if (this.login.resource !== undefined) payload.c('resource').t(this.login.resource);
      this.write(bind);
      return;
    }
    if (element.name === 'success' && element.attrs.xmlns === xmlnsSasl) {
      this.write(new StreamOpen(this.account.host));
      return;
    }
    if (element.name === 'failure' && element.attrs.xmlns === xmlnsSasl) {
      this.record(element);
      this.abort('auth failed');
      this.events.onLoginFailed?.('not-authorized');
      return;
    }
    if (element.name === 'iq' && attr(element, 'id') === `bind${this.bindId}`) {
      if (attr(element, 'type') !== 'result') {
        this.record(element);
        this.abort('bind failed');
        this.events.onLoginFailed?.('bind');
        return;
      }
      this.fullJid = element.getChild('bind')?.getChildText('jid') ?? undefined;
      this.afterBind();
      return;
    }
    this.record(element);
    if (element.name === 'stream:error') this.onStreamError();
  }

  private afterBind(): void {
    this.isSmEnabled = false;
    this.smId = this.login.sm === 'none' ? this.smId : undefined;
    if (this.login.sm === 'none') {
      this.becomeOnline('login');
      return;
    }
    // Not counted: SM is not on yet, and the server starts counting at <enable/>.
    if (this.isPresenceBeforeEnable) this.sendStanza(el('presence'));
    this.setPhase('enabling');
    this.write(el('enable', { xmlns: this.smNs, resume: this.login.sm === 'resume' ? 'true' : undefined }));
  }

  private becomeOnline(how: 'login' | 'resumed'): void {
    this.timeoutTimer?.cancel();
    this.timeoutTimer = undefined;
    this.setPhase('online');
    if (how === 'login' && this.login.presence && !this.isPresenceBeforeEnable) this.sendStanza(el('presence'));
    this.events.onOnline?.(how);
  }

  /** Initial presence goes out between binding and `<enable/>` (with SM, `presenceBeforeEnable`). */
  get isPresenceBeforeEnable(): boolean {
    return this.login.presence && this.login.presenceBeforeEnable === true && this.login.sm !== 'none';
  }

  private onSessionElement(element: Element): void {
    this.record(element);
    const xmlns = element.attrs.xmlns as string | undefined;
    if (xmlns === this.smNs || xmlns === 'urn:xmpp:sm:2') {
      this.onSmElement(element);
      return;
    }
    if (element.name === 'stream:error') {
      this.onStreamError();
      return;
    }
    if (isCountableStanza(element)) {
      if ((this.isSmEnabled || this.phase === 'stranded') && !this.isUncountedReply(element)) this.inboundH++;
      if (element.name === 'message') this.traceMessage(element);
      this.events.onStanza?.(element);
    }
  }

  /**
   * The reply to one of our own iq requests, arriving before its deadline, is not counted (and only
   * the first reply to an id is exempt).
   */
  private isUncountedReply(stanza: Element): boolean {
    if (this.uncountedReplies.size === 0 || stanza.name !== 'iq') return false;
    const type = attr(stanza, 'type');
    const id = attr(stanza, 'id');
    if ((type !== 'result' && type !== 'error') || id === undefined) return false;
    const deadline = this.uncountedReplies.get(id);
    if (deadline === undefined) return false;
    this.uncountedReplies.delete(id);
    return this.engine.now <= deadline;
  }

  /** Our iq request `id` has just gone out: its reply within `withinMs` will not count in h. */
  expectUncountedReply(id: string, withinMs: number): void {
    const now = this.engine.now;
    // Requests whose reply never came are forgotten once their deadline has passed.
    for (const [pending, deadline] of this.uncountedReplies) if (deadline < now) this.uncountedReplies.delete(pending);
    this.uncountedReplies.set(id, now + withinMs);
  }

  private traceMessage(message: Element): void {
    traceReceivedMessage(this.trace, this.engine.now, this.name, this.account.host, message);
  }

  private record(element: Element): void {
    if (this.isRecording) this.received.push(element);
    this.events.onReceived?.(element);
  }

  private onStreamError(): void {
    // The server follows a stream error with </stream:stream>; nothing to do until then.
  }

  private onSmElement(element: Element): void {
    switch (element.name) {
      case 'enabled':
        this.isSmEnabled = true;
        this.inboundH = 0;
        this.orphaned = this.orphaned.concat(this.unacked);
        this.unacked = [];
        this.outboundAcked = 0;
        this.smId = attr(element, 'id');
        if (this.phase === 'enabling') this.becomeOnline('login');
        return;
      case 'resumed': {
        this.isSmEnabled = true;
        this.applyAck(Number(attr(element, 'h') ?? '0'));
        // Re-send what the server did not get (XEP-0198 §5).
        const pending = this.unacked;
        this.unacked = [];
        if (this.phase === 'resuming') this.becomeOnline('resumed');
        if (this.phase === 'stranded') return;
        for (const stanza of pending) this.sendStanza(stanza);
        if (pending.length > 0) this.events.onResent?.(pending);
        return;
      }
      case 'failed':
        if (this.phase === 'resuming') {
          const h = attr(element, 'h');
          this.isSmEnabled = false;
          this.smId = undefined;
          this.setPhase('binding');
          this.events.onResumeFailed?.(h === undefined ? undefined : Number(h));
          return;
        }
        if (this.phase === 'enabling') this.becomeOnline('login');
        return;
      case 'r':
        if (this.isAutoAck) this.sendAck();
        return;
      case 'a':
        this.applyAck(Number(attr(element, 'h') ?? '0'));
        this.events.onAckReceived?.();
        return;
    }
  }

  /** Prune the unacknowledged queue with the h of a `<failed h='…'/>` (XEP-0198 1.5). */
  acknowledgeFailed(h: number): void {
    this.applyAck(h);
  }

  /**
   * Drop what the server acknowledged. An impossible h goes to the model first (`onInvalidAck`);
   * unless it takes over, the h is clamped (the "log only" validation).
   */
  private applyAck(h: number): void {
    if (h < this.outboundAcked || h > this.outboundAcked + this.unacked.length) {
      const onInvalidAck = this.events.onInvalidAck;
      if (onInvalidAck !== undefined && onInvalidAck(h, h < this.outboundAcked ? 'too-low' : 'too-high')) return;
    }
    const newly = Math.max(0, Math.min(h - this.outboundAcked, this.unacked.length));
    if (newly === 0) return;
    const acked = this.unacked.splice(0, newly);
    this.outboundAcked += newly;
    this.events.onAcked?.(acked);
  }

  /**
   * On `<resumed/>`, the model took the resume as failed although the server resumed the session
   * (xmpp.js after its `ackQueue` TypeError): forget the SM session and bind on the resumed stream,
   * which the server refuses; the client stays `stranded` on that stream until it breaks. The bind's
   * reply is not counted if `uncountedReplyMs` > 0 (xmpp.js's iq caller).
   */
  strand(resource: string | undefined, uncountedReplyMs: number): void {
    this.isSmEnabled = false;
    this.smId = undefined;
    this.timeoutTimer?.cancel();
    this.timeoutTimer = undefined;
    this.setPhase('stranded');
    this.bindId++;
    const id = `bind${this.bindId}`;
    const bind = el('iq', { type: 'set', id });
    const payload = bind.c('bind', { xmlns: xmlnsBind });
    if (resource !== undefined) payload.c('resource').t(resource);
    if (uncountedReplyMs > 0) this.expectUncountedReply(id, uncountedReplyMs);
    this.write(bind);
  }

  /** After a failed resume the model may bind a fresh session on the same connection. */
  bindAfterFailedResume(options: LoginOptions): void {
    this.login = options;
    this.resumeRequest = undefined;
    this.setPhase('binding');
    this.bindId++;
    const bind = el('iq', { type: 'set', id: `bind${this.bindId}` });
    const payload = bind.c('bind', { xmlns: xmlnsBind });
    if (options.resource !== undefined) payload.c('resource').t(options.resource);
    this.write(bind);
  }

  private setPhase(phase: ClientPhase, reason?: string): void {
    if (this.phase === phase) return;
    this.phase = phase;
    if (reason === undefined) this.trace.emit({ t: this.engine.now, type: 'client.state', client: this.name, state: phase });
    else this.trace.emit({ t: this.engine.now, type: 'client.state', client: this.name, state: phase, reason });
  }

  private traceElement(type: 'client.send' | 'client.recv', element: Element): void {
    const conn = this.connection?.id ?? 0;
    const id = element.attrs.id as string | undefined;
    const name = frameName(element);
    if (name === 'a') {
      this.trace.emit({ t: this.engine.now, type, client: this.name, conn, name, h: Number(element.attrs.h) });
    } else if (id === undefined) this.trace.emit({ t: this.engine.now, type, client: this.name, conn, name });
    else this.trace.emit({ t: this.engine.now, type, client: this.name, conn, name, id });
  }

  /** True when the stanza carries mod_offline's delay (from the host): it came out of storage. */
  static isFromOfflineStore(stanza: Element, host: string): boolean {
    for (const child of stanza.children) {
      if (typeof child !== 'string' && child.name === 'delay' && child.attrs.xmlns === xmlnsDelay && child.attrs.from === host) return true;
    }
    return false;
  }

  /** True when the stanza carries mod_smacks' delay (from a bare user JID): it was queued and re-sent. */
  static isSmacksResend(stanza: Element): boolean {
    for (const child of stanza.children) {
      if (typeof child !== 'string' && child.name === 'delay' && child.attrs.xmlns === xmlnsDelay && String(child.attrs.from).includes('@')) return true;
    }
    return false;
  }
}

/**
 * Fates of tracked messages are read off what clients receive (outcome/ledger.ts): an error with a
 * message's id bounces it; a copy with a body delivers it, from offline storage or live (a resent
 * copy carries mod_smacks' delay stamp).
 */
export function traceReceivedMessage(trace: TraceRecorder, nowMs: number, client: string, host: string, message: Element): void {
  const id = attr(message, 'id');
  if (id === undefined) return;
  if (attr(message, 'type') === 'error') {
    trace.emit({ t: nowMs, type: 'message.bounced', client, id, condition: errorCondition(message) ?? 'undefined-condition' });
    return;
  }
  if (message.getChild('body') === undefined) return;
  const offline = XmppClient.isFromOfflineStore(message, host);
  trace.emit({ t: nowMs, type: 'message.delivered', client, id, offline, resent: !offline && XmppClient.isSmacksResend(message) });
}
