/**
 * The `xmppjs-real` client model: the real xmpp.js 0.14 (`@xmpp/client` with
 * `@xmpp/stream-management`, from npm) running its own code inside the simulation. Its SM behaviour is
 * xmpp.js's, not a paraphrase (spec xep0198-clients.md §2.1): `<a/>` for every `<r/>`; `<r/>` 250 ms
 * after a burst and after 30 s idle; a 60 s ack timeout that closes the stream gracefully; `<resume/>`
 * on reconnect (its reconnect plugin: a fixed 1 s after every disconnect); re-sending the unacked queue
 * with a delay stamp after `<resumed/>`; `fail` for every queued stanza after a failed resume.
 *
 * What is ours, around it:
 * - the transport: xmpp.js's own TCP transport class, with its Socket swapped for one over the
 *   simulated network (virtual-socket.ts), reached through the service `sim://<host>`;
 * - time and randomness: virtual globals (virtual-globals.ts) while the run lasts;
 * - the app: initial presence on every fresh session (as xmpp.js's README does, `xmpp.on("online")`);
 *   chat messages `<client>-<n>` written through `sendMessage`, sent at once when xmpp.js is online;
 *   otherwise the message fails (`message.failed`, reason `offline`: xmpp.js throws on a send without
 *   a socket, and before it is online a send would go out unauthenticated), or with the knob
 *   `queueWhileOffline` waits in an outbox until xmpp.js is online; no re-send of what xmpp.js reports
 *   as failed (its README: the stanza "will not be retried").
 *
 * Knobs (the `xmppjs-real` entry of presets.ts): those that are xmpp.js's own tunables apply
 * (`resource`; `ackDebounce` → `requestAckDebounce`, `probeIdle` → `requestAckInterval`,
 * `probeTimeout` → `timeout`, `reconnectBase` → the reconnect delay), and the app's
 * `queueWhileOffline`; the rest describe the library and cannot be changed (`fixedKnobProblem`).
 *
 * What it observes without changing anything: every status change and error event is traced as
 * `client.state`, every `fail` as `message.failed`; a synchronous throw out of xmpp.js into the
 * simulator is traced as `crashed`; so is the moment xmpp.js's `ackQueue(h)` shifts past the end of
 * its queue (an `h` acknowledging more than it sent: the TypeError of xmpp.js PR #1119, also traced
 * as `client.crash` like the xmppjs preset's `ackValidation: overcount`), which xmpp.js itself may
 * swallow (on `<resumed/>` its stream-feature handler catches it and treats the resume as failed).
 */
import { type StreamManagement, type TransportClass, type XmppjsClient, client, xml } from '@xmpp/client';
import type { Engine } from '../../engine/engine.js';
import type { ClientLink, ClientNetwork } from '../../net/client-network.js';
import type { TraceRecorder } from '../../trace/recorder.js';
import type { ChatSender } from '../../workload/traffic.js';
import { type Element, attr } from '../../xmpp/stanza.js';
import { type Frame, frameName, isElementFrame } from '../../xmpp/wire.js';
import type { ClientKnobs } from '../knobs.js';
import type { ModelStats } from '../model.js';
import { type Account, traceReceivedMessage } from '../xmpp-client.js';
import type { VirtualGlobals } from './virtual-globals.js';
import { virtualSocketClass } from './virtual-socket.js';

/** The knobs xmpp.js lets an app set (`xmpp.streamManagement.*`, `xmpp.reconnect.delay`). */
const tunableKnobs: ReadonlySet<keyof ClientKnobs> = new Set(['resource', 'ackDebounceMs', 'probeIdleMs', 'probeTimeoutMs', 'reconnectBaseMs', 'queueWhileOffline']);

/**
 * The first knob that differs from the preset although xmpp.js has no such setting (the real library
 * cannot be told to, say, close abortively), or undefined.
 */
export function fixedKnobProblem(knobs: Readonly<ClientKnobs>, preset: Readonly<ClientKnobs>): keyof ClientKnobs | undefined {
  for (const key of Object.keys(preset) as Array<keyof ClientKnobs>) {
    if (tunableKnobs.has(key)) continue;
    if (JSON.stringify(knobs[key]) !== JSON.stringify(preset[key])) return key;
  }
  return undefined;
}

/** The SM state an app keeps across a page reload to resume (what PR #1119's apps persist). */
interface PersistedSm {
  id: string;
  inbound: number;
}

export class XmppjsRealClient implements ChatSender {
  readonly preset = 'xmppjs-real';
  /** The live xmpp.js instance (a reload replaces it). */
  xmpp: XmppjsClient;
  readonly stats: ModelStats = { presenceSent: 0, pingsSent: 0, pingsAnswered: 0, pingRttMsTotal: 0, pushesReceived: 0, crashes: 0 };
  /** Messages xmpp.js reported with `fail` (dropped after a failed resume), by id. */
  readonly failedIds: string[] = [];
  private generation = 0;
  private owner = '';
  private messageSeq = 0;
  private isAway = false;
  private readonly outbox: Element[] = [];
  private lastTracedError: unknown;
  /** A crash was traced and xmpp.js's status has not changed since: further throws are the same incident. */
  private isCrashOpen = false;

  constructor(
    readonly name: string,
    private readonly account: Account,
    private readonly knobs: Readonly<ClientKnobs>,
    private readonly engine: Engine,
    private readonly network: ClientNetwork,
    private readonly trace: TraceRecorder,
    private readonly globals: VirtualGlobals,
    /** The network path its connections use (defaults to its name). */
    private readonly pathName: string = name,
  ) {
    this.xmpp = this.create(undefined);
  }

  /** A new xmpp.js instance, as an app builds it with `client()`, on our transport. */
  private create(restored: PersistedSm | undefined): XmppjsClient {
    this.owner = `${this.name}#${++this.generation}`;
    const owner = this.owner;
    this.globals.register(owner, this.name, (error) => this.crashed(`${errorText(error)}`));
    const host = this.account.host;
    const entity = client({
      service: `sim://${host}`,
      domain: host,
      username: this.account.username,
      password: this.account.password,
      resource: this.knobs.resource,
      // Passed so that client() does not draw one from crypto.randomUUID() (used only by SASL2).
      userAgent: xml('user-agent', { id: `smacksim-${this.name}` }),
    });
    entity.transports.unshift(this.transport(entity, owner));
    const sm = entity.streamManagement;
    sm.requestAckDebounce = this.knobs.ackDebounceMs;
    sm.requestAckInterval = this.knobs.probeIdleMs;
    sm.timeout = this.knobs.probeTimeoutMs;
    entity.reconnect.delay = this.knobs.reconnectBaseMs;
    this.observeAckQueue(sm, owner);
    if (restored !== undefined) Object.assign(sm, restored);
    this.listen(entity, owner);
    return entity;
  }

  /** xmpp.js's own TCP transport (framing, stream header and footer) with a simulated socket. */
  private transport(entity: XmppjsClient, owner: string): TransportClass {
    const tcp = entity.transports.find((transport) => {
      try {
        return (transport.prototype as { socketParameters(service: string): unknown }).socketParameters('xmpp://localhost') !== undefined;
      } catch {
        return false;
      }
    });
    if (tcp === undefined) throw new Error('xmpp.js has no TCP transport to build on');
    const SimTransport = class extends tcp {};
    Object.assign(SimTransport.prototype, {
      Socket: virtualSocketClass({
        owner,
        pathName: this.pathName,
        engine: this.engine,
        network: this.network,
        globals: this.globals,
        onSent: (frame, link) => this.traceFrame('client.send', frame, link),
        onReceived: (frame, link) => this.traceFrame('client.recv', frame, link),
        onBadOutput: (error) => this.crashed(`xmpp.js wrote malformed XML: ${error.message}`),
      }),
      socketParameters: (service: string) => (service.startsWith('sim://') ? { host: service.slice('sim://'.length) } : undefined),
    });
    return SimTransport;
  }

  private listen(entity: XmppjsClient, owner: string): void {
    const isLive = (): boolean => owner === this.owner;
    entity.on('status', (status: string, detail?: { clean?: boolean }) => {
      if (!isLive()) return;
      this.isCrashOpen = false;
      if (status === 'disconnect') this.traceState('offline', detail?.clean === false ? 'disconnect (dirty)' : 'disconnect');
      else if (status === 'offline') this.traceState('offline', 'stopped');
      else this.traceState(status);
    });
    entity.on('online', () => {
      if (!isLive()) return;
      this.stats.presenceSent++;
      this.send(xml('presence'));
      this.flushOutbox();
    });
    entity.on('error', (error: unknown) => {
      if (isLive()) this.traceError(error);
    });
    entity.on('stanza', (stanza: Element) => {
      if (isLive() && stanza.name === 'message') this.traceMessage(stanza);
    });
    const sm = entity.streamManagement;
    sm.on('resumed', () => {
      if (!isLive()) return;
      // xmpp.js sets status 'online' without emitting it on a resume (Connection._ready(true)).
      this.traceState('online', 'resumed');
      this.flushOutbox();
    });
    sm.on('fail', (stanza: Element) => {
      if (!isLive()) return;
      const id = attr(stanza, 'id');
      if (stanza.name !== 'message' || id === undefined) return;
      this.failedIds.push(id);
      this.trace.emit({ t: this.engine.now, type: 'message.failed', client: this.name, id, reason: 'resume failed' });
    });
  }

  /**
   * Watch xmpp.js's `outbound_q` without changing it: `ackQueue(h)` shifting an empty queue is the
   * moment it reads `item.stanza` of undefined (an `h` beyond what it sent). `failQueue()` empties the
   * queue with the same `shift()`, so the caller is told apart by name on the (rare) empty shift.
   */
  private observeAckQueue(sm: StreamManagement, owner: string): void {
    const onEmptyShift = (): void => {
      if (owner !== this.owner || !/\backQueue\b/.test(new Error().stack ?? '')) return;
      this.trace.emit({ t: this.engine.now, type: 'client.crash', client: this.name, reason: 'h too-high', unacked: 0 });
      this.crashed(`ackQueue: h acknowledges more than the ${sm.outbound} stanzas sent (outbound_q is empty: TypeError on item.stanza)`);
    };
    const watch = <T>(queue: T[]): T[] => {
      const shift = queue.shift;
      Object.defineProperty(queue, 'shift', {
        value(this: T[]) {
          const item = shift.call(this);
          if (item === undefined) onEmptyShift();
          return item;
        },
        configurable: true,
        writable: true,
      });
      return queue;
    };
    let queue = watch(sm.outbound_q);
    Object.defineProperty(sm, 'outbound_q', {
      get: () => queue,
      set: (value: StreamManagement['outbound_q']) => {
        queue = watch(value);
      },
      enumerable: true,
      configurable: true,
    });
  }

  // ---- the app ----

  start(): void {
    this.globals.enter(this.owner, () => {
      this.xmpp.start().catch((error: unknown) => this.traceError(error));
    });
  }

  /** Write a chat message to `to` (a bare JID); it goes out now or once xmpp.js is online. */
  sendMessage(to: string): void {
    const id = `${this.name}-${++this.messageSeq}`;
    const message = xml('message', { to, type: 'chat', id }, xml('body', {}, `hello ${this.messageSeq}`));
    this.trace.emit({ t: this.engine.now, type: 'message.sent', client: this.name, id, to });
    if (this.xmpp.status === 'online') this.send(message);
    else if (this.knobs.queueWhileOffline) this.outbox.push(message);
    else this.trace.emit({ t: this.engine.now, type: 'message.failed', client: this.name, id, reason: 'offline' });
  }

  /** A presence update (available ↔ away), only while online. */
  sendPresence(): void {
    if (this.xmpp.status !== 'online') return;
    this.isAway = !this.isAway;
    this.stats.presenceSent++;
    this.send(this.isAway ? xml('presence', {}, xml('show', {}, 'away')) : xml('presence'));
  }

  /**
   * An XEP-0199 ping to another client's full JID, the way an xmpp.js app asks: `iqCaller.request`
   * (only while online). Its answer reaches the iq caller before the SM counter sees it (the caller's
   * middleware comes first and does not pass replies on), so xmpp.js does not count it in `h`.
   */
  sendPing(to: string): void {
    if (this.xmpp.status !== 'online') return;
    const owner = this.owner;
    const sentAt = this.engine.now;
    this.stats.pingsSent++;
    this.globals.enter(owner, () => {
      this.xmpp.iqCaller.request(xml('iq', { type: 'get', to }, xml('ping', { xmlns: 'urn:xmpp:ping' }))).then(
        () => {
          if (owner !== this.owner) return;
          this.stats.pingsAnswered++;
          this.stats.pingRttMsTotal += this.engine.now - sentAt;
        },
        () => {},
      );
    });
  }

  private flushOutbox(): void {
    for (const message of this.outbox.splice(0)) this.send(message);
  }

  /** `xmpp.send()`; a message it refuses (no socket, closing) waits or fails as one written offline. */
  private send(stanza: Element): void {
    const owner = this.owner;
    this.globals.enter(owner, () => {
      this.xmpp.send(stanza).catch(() => {
        const id = attr(stanza, 'id');
        if (owner !== this.owner || stanza.name !== 'message' || id === undefined) return;
        if (this.knobs.queueWhileOffline) this.outbox.push(stanza);
        else this.trace.emit({ t: this.engine.now, type: 'message.failed', client: this.name, id, reason: 'offline' });
      });
    });
  }

  /**
   * A page reload, the case of xmpp.js PR #1119: the page and its xmpp.js instance vanish (timers
   * gone, the socket closed without `</stream:stream>`, so the server hibernates the session), and a
   * new instance starts with the SM id and inbound count the app persisted, but an empty outbound
   * queue and `outbound` 0.
   */
  reload(): void {
    const old = this.xmpp;
    const persisted: PersistedSm = { id: old.streamManagement.id, inbound: old.streamManagement.inbound };
    this.globals.kill(this.owner);
    (old as unknown as { socket: { destroy(): void } | null }).socket?.destroy();
    this.traceState('reload', persisted.id === '' ? 'no SM state' : `resume h=${persisted.inbound}`);
    this.xmpp = this.create(persisted.id === '' ? undefined : persisted);
    this.start();
  }

  /** Settle: xmpp.js reconnects on its own (fixed 1 s), so there is nothing to hurry. */
  settle(): void {}

  /** Online with SM on, nothing unacknowledged and nothing waiting in the outbox. */
  get isDrained(): boolean {
    const sm = this.xmpp.streamManagement;
    return this.xmpp.status === 'online' && sm.enabled && sm.outbound_q.length === 0 && this.outbox.length === 0;
  }

  // ---- trace ----

  /** Every throw is traced; `stats.crashes` counts incidents (throws without a status change between). */
  private crashed(reason: string): void {
    if (!this.isCrashOpen) this.stats.crashes++;
    this.isCrashOpen = true;
    this.traceState('crashed', reason);
  }

  private traceError(error: unknown): void {
    if (error === this.lastTracedError) return;
    this.lastTracedError = error;
    this.traceState('error', errorText(error));
  }

  private traceState(state: string, reason?: string): void {
    if (reason === undefined) this.trace.emit({ t: this.engine.now, type: 'client.state', client: this.name, state });
    else this.trace.emit({ t: this.engine.now, type: 'client.state', client: this.name, state, reason });
  }

  private traceFrame(type: 'client.send' | 'client.recv', frame: Frame, link: ClientLink): void {
    if (!isElementFrame(frame)) return;
    const name = frameName(frame);
    const id = frame.attrs.id as string | undefined;
    if (name === 'a') this.trace.emit({ t: this.engine.now, type, client: this.name, conn: link.id, name, h: Number(frame.attrs.h) });
    else if (id === undefined) this.trace.emit({ t: this.engine.now, type, client: this.name, conn: link.id, name });
    else this.trace.emit({ t: this.engine.now, type, client: this.name, conn: link.id, name, id });
  }

  private traceMessage(message: Element): void {
    traceReceivedMessage(this.trace, this.engine.now, this.name, this.account.host, message);
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const condition = (error as { condition?: unknown }).condition;
    return `${error.name}: ${typeof condition === 'string' && condition !== '' ? condition : error.message}`;
  }
  return String(error);
}
