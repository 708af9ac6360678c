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
 *   chat messages `<client>-<n>` written through `sendMessage`, sent at once when xmpp.js is online,
 *   otherwise kept in an outbox until it is (xmpp.js itself throws on a send without a socket); no
 *   re-send of what xmpp.js reports as failed (its README: the stanza "will not be retried").
 *
 * What it observes without changing anything: every status change, error event and `fail` is traced
 * as `client.state`; a synchronous throw out of xmpp.js into the simulator is traced as `crashed`; so
 * is the moment xmpp.js's `ackQueue(h)` shifts past the end of its queue (an `h` acknowledging more
 * than it sent: the TypeError of xmpp.js PR #1119), which xmpp.js itself may swallow (on `<resumed/>`
 * its stream-feature handler catches it and treats the resume as failed).
 */
import { type StreamManagement, type TransportClass, type XmppjsClient, client, xml } from '@xmpp/client';
import type { Engine } from '../../engine/engine.js';
import type { ClientLink, ClientNetwork } from '../../net/client-network.js';
import type { TraceRecorder } from '../../trace/recorder.js';
import type { ChatSender } from '../../workload/traffic.js';
import { type Element, attr, errorCondition } from '../../xmpp/stanza.js';
import { type Frame, frameName, isElementFrame } from '../../xmpp/wire.js';
import { type Account, XmppClient } from '../xmpp-client.js';
import type { VirtualGlobals } from './virtual-globals.js';
import { virtualSocketClass } from './virtual-socket.js';

/** The SM state an app keeps across a page reload to resume (what PR #1119's apps persist). */
interface PersistedSm {
  id: string;
  inbound: number;
}

export class XmppjsRealClient implements ChatSender {
  /** The live xmpp.js instance (a reload replaces it). */
  xmpp: XmppjsClient;
  /** Messages xmpp.js reported with `fail` (dropped after a failed resume), by id. */
  readonly failedIds: string[] = [];
  /** Times the client crashed (see the top comment). */
  crashes = 0;
  private generation = 0;
  private owner = '';
  private messageSeq = 0;
  private readonly outbox: Element[] = [];
  private lastTracedError: unknown;

  constructor(
    readonly name: string,
    private readonly account: Account,
    private readonly resource: string,
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
      resource: this.resource,
      // Passed so that client() does not draw one from crypto.randomUUID() (used only by SASL2).
      userAgent: xml('user-agent', { id: `smacksim-${this.name}` }),
    });
    entity.transports.unshift(this.transport(entity, owner));
    this.observeAckQueue(entity.streamManagement, owner);
    if (restored !== undefined) Object.assign(entity.streamManagement, restored);
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
      if (status === 'disconnect') this.traceState('offline', detail?.clean === false ? 'disconnect (dirty)' : 'disconnect');
      else if (status === 'offline') this.traceState('offline', 'stopped');
      else this.traceState(status);
    });
    entity.on('online', () => {
      if (!isLive()) return;
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
      if (stanza.name === 'message' && id !== undefined) this.failedIds.push(id);
      this.traceState('sm-fail', `${stanza.name}${id === undefined ? '' : `#${id}`} will not be retried`);
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
    else this.outbox.push(message);
  }

  private flushOutbox(): void {
    for (const message of this.outbox.splice(0)) this.send(message);
  }

  /** `xmpp.send()`; a message it refuses (no socket, closing) goes back to the outbox. */
  private send(stanza: Element): void {
    const owner = this.owner;
    this.globals.enter(owner, () => {
      this.xmpp.send(stanza).catch(() => {
        if (owner === this.owner && stanza.name === 'message') this.outbox.push(stanza);
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

  private crashed(reason: string): void {
    this.crashes++;
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

  /** As XmppClient.traceMessage: fates are read off what clients receive (outcome/ledger.ts). */
  private traceMessage(message: Element): void {
    const id = attr(message, 'id');
    if (id === undefined) return;
    if (attr(message, 'type') === 'error') {
      this.trace.emit({ t: this.engine.now, type: 'message.bounced', client: this.name, id, condition: errorCondition(message) ?? 'undefined-condition' });
      return;
    }
    if (message.getChild('body') === undefined) return;
    const offline = XmppClient.isFromOfflineStore(message, this.account.host);
    this.trace.emit({ t: this.engine.now, type: 'message.delivered', client: this.name, id, offline, resent: !offline && XmppClient.isSmacksResend(message) });
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const condition = (error as { condition?: unknown }).condition;
    return `${error.name}: ${typeof condition === 'string' && condition !== '' ? condition : error.message}`;
  }
  return String(error);
}
