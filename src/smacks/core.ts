/**
 * Port of Prosody 0.12.3's core mod_smacks (variant `core-0.12`) (plugins/mod_smacks.lua), registered on the server's hooks
 * the way the Lua module is. Each handler names the Lua function it ports; `COMPAT:` marks places
 * that mirror a Prosody quirk on purpose.
 *
 * Differences from the Lua, all about environment rather than behaviour: state lives in a per-session
 * record instead of fields on the session table; the persistent `smacks_h` store is in memory (it
 * survives only as long as the simulated server process); metrics become trace events.
 */
import { assert } from '../engine/assert.js';
import type { Timer } from '../engine/engine.js';
import type { Hooks } from '../server/hooks.js';
import type { Server } from '../server/server.js';
import type { Session } from '../server/session.js';
import { bareJid } from '../xmpp/jid.js';
import { xmlnsDelay, xmlnsSm2, xmlnsSm3, xmlnsStanzaErrors, xmlnsStreams } from '../xmpp/ns.js';
import { type Element, approxBytes, attr, childNs, deepClone, el, errorReply, isCountableStanza, luaToNumber } from '../xmpp/stanza.js';
import type { SmacksOptions } from './options.js';
import { type BugId, BugSet } from './bugs.js';
import { type SmacksApi, type SmacksMetrics, type SmView, emptyMetrics } from './api.js';
import { defaultDeliveryFailure, traceDispose } from './delivery-failure.js';
import { SmQueue } from './smqueue.js';
import { Watchdog } from './watchdog.js';

type SmNs = typeof xmlnsSm2 | typeof xmlnsSm3;

/** The fields mod_smacks keeps on a session (spec §2). */
export interface SmState {
  /** session.smacks: the namespace, or false once the queue is being bounced. */
  smacks: SmNs | false;
  outgoingQueue: SmQueue<QueuedStanza> | undefined;
  handledCount: number;
  resumptionToken: string | undefined;
  /** os.time() when hibernation started. */
  hibernating: number | undefined;
  hibernatingWatchdog: Watchdog | undefined;
  awaitingAck: boolean;
  delayedAckTimer: Timer | undefined;
  lastRequestedH: number | undefined;
  resendingUnacked: boolean;
  resumptionCounter: number;
}

export interface QueuedStanza {
  stanza: Element;
  bytes: number;
}

interface OldSession {
  h: number;
  t: number;
}

/** ack_errors (util.error.init("mod_smacks", …)). */
const ackErrors = {
  head: { condition: 'undefined-condition', text: 'Client acknowledged more stanzas than sent by server' },
  tail: { condition: 'undefined-condition', text: 'Client acknowledged less stanzas than already acknowledged' },
  overflow: { condition: 'resource-constraint', text: "Too many unacked stanzas remaining, session can't be resumed" },
} as const;

export class CoreSmacks implements SmacksApi {
  private readonly states = new WeakMap<Session, SmState>();
  /** session_registry: "user@host/token" → live session. */
  private readonly sessionRegistry = new Map<string, Session>();
  /** old_session_registry (the `smacks_h` store): user → token → {h, t}. */
  private readonly oldSessions = new Map<string, Map<string, OldSession>>();
  readonly metrics: SmacksMetrics = emptyMetrics();
  /** Historic bugs switched back on (smacks/bugs.ts); each branch is marked `BUG <id>`. */
  private readonly bugs: BugSet;
  private readonly outgoingFilter = (stanza: Element, session: Session): Element | undefined => this.outgoingStanzaFilter(stanza, session);
  private readonly incomingFilter = (stanza: Element, session: Session): Element => this.countIncomingStanzas(stanza, session);

  constructor(
    private readonly server: Server,
    private readonly options: SmacksOptions,
  ) {
    assert(options.variant === 'core-0.12', `variant ${options.variant} is not handled by the core module`);
    this.bugs = new BugSet(options.bugs, options.variant);
    this.register(server.hooks);
  }

  /** A switched-on historic bug changed what happens to `session`: say so in the trace. */
  private noteBug(id: BugId, session: Session): void {
    this.server.trace.emit({ t: this.now(), type: 'smacks.bug', id, jid: session.label });
  }

  private register(hooks: Hooks): void {
    const server = this.server;
    const advertise = (event: { origin: Session; features: Element }): undefined => {
      if (this.canDoSmacks(event.origin, true) === true) {
        event.features.c('sm', { xmlns: xmlnsSm2 }).c('optional');
        event.features.c('sm', { xmlns: xmlnsSm3 }).c('optional');
      }
      return undefined;
    };
    server.hook('stream-features', advertise);
    hooks.hook('s2s-stream-features', advertise);
    hooks.hook<NonzaEvent>(`stanza/${xmlnsStreams}:features`, (event) => this.s2sFeatures(event.origin, event.stanza));
    for (const ns of [xmlnsSm2, xmlnsSm3] as const) {
      hooks.hook<NonzaEvent>(`stanza/${ns}:enabled`, (event) => this.handleEnabled(event.origin, ns), 100);
      hooks.hook<NonzaEvent>(`stanza/${ns}:enable`, (event) => this.handleEnable(event.origin, event.stanza, ns), 100);
      hooks.hook<NonzaEvent>(`stanza/${ns}:r`, (event) => this.handleR(event.origin, ns));
      hooks.hook<NonzaEvent>(`stanza/${ns}:a`, (event) => this.handleA(event.origin, event.stanza));
      hooks.hook<NonzaEvent>(`stanza/${ns}:resume`, (event) => this.handleResume(event.origin, event.stanza, ns));
    }
    server.hook('pre-session-close', (event) => this.preSessionClose(event.session));
    server.hook('delivery/failure', (event) => defaultDeliveryFailure(this.server, event.session, event.stanza));
    server.hook('pre-resource-unbind', (event) => this.preResourceUnbind(event.session, event.error));
    // request_ack_events: c2s-pre-ondrain (force = false)
    for (const name of ['c2s-pre-ondrain', 's2s-pre-ondrain']) {
      hooks.hook<{ session: Session }>(name, (event) => void this.requestAckNowIfNeeded(event.session, false));
    }
    // request_ack_events: `event.session or event.origin` (mod_csi fires {origin, stanza}, mod_csi_simple {session})
    hooks.hook<{ session?: Session; origin?: Session }>('csi-client-active', (event) => void this.requestAckNowIfNeeded((event.session ?? event.origin)!, true));
    hooks.hook<{ session?: Session; origin?: Session }>('csi-flushing', (event) => void this.requestAckNowIfNeeded((event.session ?? event.origin)!, false));
    server.hook('c2s-read-timeout', (event) => this.handleReadTimeout(event.session));
    hooks.hook<{ session: Session }>('s2s-read-timeout', (event) => this.handleReadTimeout(event.session));
    for (const name of ['s2sout-destroyed', 's2sin-destroyed']) {
      hooks.hook<{ session: Session }>(name, (event) => this.handleS2sDestroyed(event.session));
    }
    server.hook('server-stopping', (event) => this.serverStopping(event.reason), -90);
    server.hook('server-started', () => {
      this.sessionRegistry.clear(); // module:shared tables live in memory
      return undefined;
    });
  }

  /**
   * hook_global "server-stopping" (−90): close resumable sessions ourselves so their counter is kept
   * in the smacks_h store, and a resume after the restart gets <failed h>.
   */
  private serverStopping(reason: string): undefined {
    if (this.bugs.has('B30')) {
      // BUG B30 (before 685974b5d, 2021-12; the community module still): no server-stopping handler.
      // mod_c2s closes only connected sessions, so hibernating ones die with the process: their
      // queues are neither bounced nor stored offline, and no h is kept for a later <resume>.
      for (const user of this.server.userSessions.values()) {
        for (const session of user.sessions.values()) if (this.states.get(session)?.hibernating !== undefined) this.noteBug('B30', session);
      }
      return undefined;
    }
    for (const user of [...this.server.userSessions.values()]) {
      for (const session of [...user.sessions.values()]) {
        const state = this.states.get(session);
        if (state?.resumptionToken === undefined) continue;
        this.setOldSession(session.username!, state.resumptionToken, state.handledCount);
        state.resumptionToken = undefined;
        if (state.outgoingQueue !== undefined) this.handleUnackedStanzas(session, state);
        const conn = session.conn;
        if (conn !== undefined) {
          // COMPAT: the socket is closed first, so the close below finds no connection and the
          // client sees no stream error, only the connection closing.
          conn.close();
          session.conn = undefined;
        }
        this.server.closeSession(session, { condition: 'system-shutdown', text: reason });
      }
    }
    return undefined;
  }

  /** The module's own record of a session (tests). */
  state(session: Session): SmState | undefined {
    return this.states.get(session);
  }

  view(session: Session): SmView | undefined {
    const state = this.states.get(session);
    if (state === undefined) return undefined;
    return {
      isEnabled: state.smacks !== false,
      isHibernating: state.hibernating !== undefined,
      isResumable: state.resumptionToken !== undefined,
      handledCount: state.handledCount,
      unacked: state.outgoingQueue?.countUnacked() ?? 0,
    };
  }

  private now(): number {
    return this.server.engine.now;
  }

  /** can_do_smacks(session, advertise_only): true, or the error condition. */
  private canDoSmacks(session: Session, advertiseOnly: boolean): true | 'unexpected-request' | 'service-unavailable' {
    if (this.states.get(session)?.smacks) return 'unexpected-request';
    if (session.username !== undefined) {
      if (!advertiseOnly && session.resource === undefined) return 'unexpected-request';
      return true;
    }
    if (this.options.smacks_enabled_s2s && session.isS2s) return true;
    return 'service-unavailable';
  }

  private newState(ns: SmNs): SmState {
    return {
      smacks: ns,
      outgoingQueue: undefined,
      handledCount: 0,
      resumptionToken: undefined,
      hibernating: undefined,
      hibernatingWatchdog: undefined,
      awaitingAck: false,
      delayedAckTimer: undefined,
      lastRequestedH: undefined,
      resendingUnacked: false,
      resumptionCounter: 0,
    };
  }

  /**
   * hook_tag(streams, "features") on s2sout: after 1 µs (so the send queue has been flushed as raw
   * data first), send <enable/> in the best namespace offered and queue what follows.
   */
  private s2sFeatures(session: Session, features: Element): true {
    this.server.engine.after(0, () => {
      if (session.destroyed || this.canDoSmacks(session, false) !== true) return;
      const ns = childNs(features, 'sm', xmlnsSm3) !== undefined ? xmlnsSm3 : childNs(features, 'sm', xmlnsSm2) !== undefined ? xmlnsSm2 : undefined;
      if (ns === undefined) return;
      session.send(el('enable', { xmlns: ns }));
      const state = this.newState(ns);
      this.states.set(session, state);
      this.wrapSessionOut(session, state, false);
    });
    return true;
  }

  /** handle_enabled(session, stanza, xmlns_sm): the remote accepted our <enable/> (s2sout). */
  private handleEnabled(session: Session, ns: SmNs): true {
    let state = this.states.get(session);
    if (state === undefined) {
      state = this.newState(ns);
      this.states.set(session, state);
    }
    state.smacks = ns;
    this.wrapSessionIn(session, state, false);
    return true;
  }

  /** handle_s2s_destroyed(event): resend or bounce what the remote never acknowledged. */
  private handleS2sDestroyed(session: Session): undefined {
    const state = this.states.get(session);
    const queue = state?.outgoingQueue;
    if (state === undefined || queue === undefined || queue.countUnacked() === 0) return undefined;
    if (this.options.smacks_s2s_resend) {
      const items = queue.consume();
      this.noteReleased(items);
      state.outgoingQueue = undefined;
      for (const { stanza } of items) {
        traceDispose(this.server, session, stanza, 'resend');
        this.server.sendFromHost(stanza);
      }
      return undefined;
    }
    this.handleUnackedStanzas(session, state);
    return undefined;
  }

  /** should_ack(session, force) */
  private shouldAck(session: Session, force: boolean): boolean {
    const state = this.states.get(session);
    if (session.destroyed || state === undefined || !state.smacks) return false;
    if (state.hibernating !== undefined || state.awaitingAck) return false;
    if (force) return true;
    const queue = state.outgoingQueue!;
    const expectedH = this.expectedH(queue);
    const maxUnacked = session.state === 'inactive' ? this.options.smacks_max_inactive_unacked_stanzas : this.options.smacks_max_unacked_stanzas;
    // This check of last_requested_h prevents ack-loops with clients that report wrong counts.
    return queue.countUnacked() > maxUnacked && expectedH !== state.lastRequestedH;
  }

  /** The h the client will report once it has handled everything sent so far. */
  private expectedH(queue: SmQueue<QueuedStanza>): number {
    // BUG B18 (#1757, 0.12.0, fixed in 8027b67f1): both should_ack and request_ack added the unacked
    // count to a counter that was no longer updated (always 0), so an <r/> is skipped whenever the
    // unacked count equals the count at the last <r/>, however many stanzas were acked in between.
    if (this.bugs.has('B18')) return 0 + queue.countUnacked();
    return queue.countAcked() + queue.countUnacked();
  }

  /** request_ack(session, reason) */
  private requestAck(session: Session, state: SmState): void {
    const queue = state.outgoingQueue!;
    state.awaitingAck = true; // set BEFORE sending (fix for #1761)
    session.send(el('r', { xmlns: state.smacks as SmNs }));
    if (session.destroyed) return; // sending something can trigger destruction
    state.lastRequestedH = this.expectedH(queue);
    this.metrics.acksRequested++;
    this.server.trace.emit({ t: this.now(), type: 'smacks.r', jid: session.label, lastRequestedH: state.lastRequestedH });
    if (state.delayedAckTimer === undefined) {
      state.delayedAckTimer = this.server.engine.after(this.options.smacks_max_ack_delay * 1000, () => this.ackDelayed(session, state));
    }
  }

  /** request_ack_now_if_needed(session, force, reason) */
  private requestAckNowIfNeeded(session: Session, force: boolean): void {
    if (this.shouldAck(session, force)) this.requestAck(session, this.states.get(session)!);
  }

  /** ack_delayed(session, stanza) */
  private ackDelayed(session: Session, state: SmState): void {
    if (this.options.smacks_max_ack_delay > 0 && state.awaitingAck && state.hibernating === undefined && !session.destroyed) {
      const unacked = state.outgoingQueue?.countUnacked() ?? 0;
      this.metrics.acksDelayed++;
      this.server.trace.emit({ t: this.now(), type: 'smacks.ack-delayed', jid: session.label, unacked });
      this.server.hooks.fire('smacks-ack-delayed', { origin: session, queue: stanzasOf(state.outgoingQueue?.items() ?? []), stanza: undefined });
    }
    state.delayedAckTimer = undefined;
  }

  /** outgoing_stanza_filter(stanza, session), stanzas/out at priority −999. */
  private outgoingStanzaFilter(stanza: Element, session: Session): Element | undefined {
    const state = this.states.get(session);
    if (state === undefined || state.resendingUnacked || !state.smacks) return stanza;
    if (!isCountableStanza(stanza)) return stanza;
    let cached = deepClone(stanza);
    if (cached.name !== 'iq' && childNs(cached, 'delay', xmlnsDelay) === undefined) {
      cached = cached.c('delay', { xmlns: xmlnsDelay, from: bareJid(session.fullJid ?? session.host), stamp: this.server.datetime() }).up() as Element;
    }
    const bytes = approxBytes(cached);
    const queue = state.outgoingQueue!;
    queue.push({ stanza: cached, bytes });
    this.noteQueued(queue, bytes);
    // Every push is traced, so the checks can give each queued stanza exactly one disposition.
    const id = attr(stanza, 'id');
    const unacked = queue.countUnacked();
    const hibernating = state.hibernating !== undefined;
    if (id === undefined) this.server.trace.emit({ t: this.now(), type: 'smacks.queue', jid: session.label, unacked, hibernating });
    else this.server.trace.emit({ t: this.now(), type: 'smacks.queue', jid: session.label, id, unacked, hibernating });
    if (hibernating) {
      this.server.hooks.fire('smacks-hibernation-stanza-queued', { origin: session, queue: stanzasOf(queue.items()), stanza: cached });
      return undefined;
    }
    return stanza;
  }

  private noteQueued(queue: SmQueue<QueuedStanza>, bytes: number): void {
    const metrics = this.metrics;
    metrics.queuedBytesNow += bytes;
    if (metrics.queuedBytesNow > metrics.queuedBytesPeak) metrics.queuedBytesPeak = metrics.queuedBytesNow;
    const buffered = queue.countBuffered();
    if (buffered > metrics.queuePeak) metrics.queuePeak = buffered;
  }

  private noteReleased(items: readonly QueuedStanza[]): void {
    for (const item of items) this.metrics.queuedBytesNow -= item.bytes;
  }

  /** count_incoming_stanzas(stanza, session), stanzas/in at priority 999. */
  private countIncomingStanzas(stanza: Element, session: Session): Element {
    if (stanza.attrs.xmlns === undefined) this.states.get(session)!.handledCount++;
    return stanza;
  }

  /** wrap_session(session, resume): wrap_session_out + wrap_session_in. */
  private wrapSession(session: Session, state: SmState, resume: boolean): void {
    this.wrapSessionOut(session, state, resume);
    this.wrapSessionIn(session, state, resume);
  }

  /** wrap_session_out(session, resume) */
  private wrapSessionOut(session: Session, state: SmState, resume: boolean): void {
    if (!resume) state.outgoingQueue = new SmQueue<QueuedStanza>(this.options.smacks_max_queue_size, (item) => this.discarded(session, item));
    session.filters.add('stanzas/out', this.outgoingFilter, -999);
  }

  /** wrap_session_in(session, resume) */
  private wrapSessionIn(session: Session, state: SmState, resume: boolean): void {
    if (!resume) state.handledCount = 0;
    session.filters.add('stanzas/in', this.incomingFilter, 999);
  }

  /** COMPAT: util.queue with allow_wrapping drops the oldest item silently (C-3). */
  private discarded(session: Session, item: QueuedStanza): void {
    this.noteReleased([item]);
    const id = attr(item.stanza, 'id');
    if (id === undefined) this.server.trace.emit({ t: this.now(), type: 'smacks.overflow', jid: session.label });
    else this.server.trace.emit({ t: this.now(), type: 'smacks.overflow', jid: session.label, id });
  }

  /** hook "pre-session-close" */
  private preSessionClose(session: Session): undefined {
    const state = this.states.get(session);
    if (state === undefined) return undefined;
    if (this.bugs.has('B22')) {
      // BUG B22 (#1800, 0.12.0–0.12.2, fixed in 4dcabd36c): mod_websocket's session close did not fire
      // pre-session-close, so none of this ran for a WebSocket session: the token stays, and the
      // destroy that follows the close hibernates the session, even after a clean logout. (Streams
      // here have no transport: the switch treats every session as a WebSocket one.)
      if (state.resumptionToken !== undefined) this.noteBug('B22', session);
      return undefined;
    }
    if (state.resumptionToken !== undefined) {
      this.sessionRegistry.delete(this.registryKey(session.username!, state.resumptionToken));
      this.oldSessions.get(session.username!)?.delete(state.resumptionToken);
      state.resumptionToken = undefined;
    }
    if (state.hibernatingWatchdog !== undefined) {
      state.hibernatingWatchdog.cancel();
      state.hibernatingWatchdog = undefined;
    }
    // send out last ack as per revision 1.5.2 of XEP-0198
    if (state.smacks && session.conn !== undefined) {
      session.send(el('a', { xmlns: state.smacks, h: state.handledCount }));
    }
    return undefined;
  }

  private registryKey(username: string, token: string): string {
    return `${username}@${this.server.host}/${token}`;
  }

  /** handle_enable(session, stanza, xmlns_sm) */
  private handleEnable(session: Session, stanza: Element, ns: SmNs): true {
    const ok = this.canDoSmacks(session, false);
    if (ok !== true) {
      session.send(failed(ns, ok));
      return true;
    }
    if (session.username !== undefined) this.pruneOldSessions(session.username);
    const state = this.newState(ns);
    this.states.set(session, state);
    this.wrapSession(session, state, false);
    const resume = attr(stanza, 'resume');
    let token: string | undefined;
    if ((resume === 'true' || resume === '1') && session.username !== undefined) {
      token = Buffer.from(this.server.ids.bytes(9)).toString('base64url'); // util.id.short()
      this.sessionRegistry.set(this.registryKey(session.username, token), session);
      state.resumptionToken = token;
      if (this.bugs.has('M-2')) this.evictOldestResumable(session.username);
    }
    const maxSeconds = token === undefined ? undefined : this.options.smacks_hibernation_time;
    session.send(el('enabled', { xmlns: ns, id: token, resume, max: maxSeconds }));
    this.server.trace.emit({ t: this.now(), type: 'smacks.enable', jid: session.label, resumable: token !== undefined });
    return true;
  }

  /**
   * BUG M-2 (the community module's per-user session cache, faithful there; a switch here): at most
   * smacks_max_hibernated_sessions resumable sessions per user, live or hibernating. One more
   * `<enable resume>` pushes out the oldest (registry order is `<enable>` order; a resume does not
   * refresh it). The victim is not closed and keeps its token: it keeps working, and if its connection
   * is lost it still hibernates, but it is no longer registered, so it cannot be resumed. Only its h at
   * this moment is saved: a resume gets `<failed h>` with that stale value, and a client that prunes
   * with it re-sends stanzas the server already handled (duplicates). Spec §9.1.
   */
  private evictOldestResumable(username: string): void {
    const prefix = this.registryKey(username, '');
    const keys = [...this.sessionRegistry.keys()].filter((key) => key.startsWith(prefix));
    if (keys.length <= this.options.smacks_max_hibernated_sessions) return;
    const key = keys[0]!;
    const victim = this.sessionRegistry.get(key)!;
    this.sessionRegistry.delete(key);
    if (victim.destroyed) return; // a destroyed session can always be removed
    const state = this.states.get(victim)!;
    this.noteBug('M-2', victim);
    this.setOldSession(username, key.slice(prefix.length), state.handledCount);
    this.metrics.hibernationsEvicted++;
    this.server.trace.emit({ t: this.now(), type: 'smacks.evict', jid: victim.label, h: state.handledCount });
  }

  /** C: at each <enable/>, keep only the newest smacks_max_old_sessions records of the user (by t). */
  private pruneOldSessions(username: string): void {
    const records = this.oldSessions.get(username);
    if (records === undefined) return;
    const sorted = [...records.entries()].sort((a, b) => b[1].t - a[1].t || (a[0] < b[0] ? -1 : 1));
    const keep = new Map(sorted.slice(0, Math.max(0, this.options.smacks_max_old_sessions)));
    this.oldSessions.set(username, keep);
  }

  /** handle_r(origin, stanza, xmlns_sm) */
  private handleR(session: Session, ns: SmNs): true | undefined {
    const state = this.states.get(session);
    if (state === undefined || !state.smacks) return undefined;
    session.send(el('a', { xmlns: ns, h: state.handledCount }));
    this.requestAckNowIfNeeded(session, false);
    return true;
  }

  /** handle_a(origin, stanza) */
  private handleA(session: Session, stanza: Element): true | undefined {
    const state = this.states.get(session);
    if (state === undefined || !state.smacks) return undefined;
    state.awaitingAck = false;
    if (state.delayedAckTimer !== undefined) {
      state.delayedAckTimer.cancel();
      state.delayedAckTimer = undefined;
    }
    const h = luaToNumber(attr(stanza, 'h'));
    if (h === undefined) {
      this.server.closeSession(session, { condition: 'invalid-xml', text: "Missing or invalid 'h' attribute" });
      return true; // COMPAT: the Lua returns nothing here; the stream is already closed either way
    }
    const queue = state.outgoingQueue!;
    const result = this.ackQueue(session, queue, h);
    this.metrics.acksReceived++;
    this.server.trace.emit({ t: this.now(), type: 'smacks.a', jid: session.label, h, unacked: queue.countUnacked() });
    if (result === 'head' || result === 'tail') {
      this.server.closeSession(session, ackErrors[result]);
      return true;
    }
    this.noteReleased(result);
    this.requestAckNowIfNeeded(session, false);
    return true;
  }

  /** queue:ack(h) of handle_a and handle_resume. */
  private ackQueue(session: Session, queue: SmQueue<QueuedStanza>, h: number): QueuedStanza[] | 'head' | 'tail' {
    const result = queue.ack(h);
    if (result !== 'tail' || !this.bugs.has('M-1')) return result;
    // BUG M-1 (the community module's handle_a, faithful there; a switch here): no lower bound. An h
    // below what was already acknowledged (a stale or reordered ack, a client restoring an old h) is
    // accepted and the counter goes back, so the next valid ack removes stanzas the client never
    // acknowledged, and a resume does not replay them: silent loss.
    this.noteBug('M-1', session);
    return queue.rewind(h);
  }

  /** handle_unacked_stanzas(session) */
  private handleUnackedStanzas(session: Session, state: SmState): void {
    const queue = state.outgoingQueue;
    if (queue === undefined || queue.countUnacked() === 0) return;
    state.smacks = false; // Disable queueing
    state.outgoingQueue = undefined;
    const items = queue.consume();
    this.noteReleased(items);
    for (const { stanza } of items) {
      if (this.server.fire('delivery/failure', { session, stanza })) continue;
      if (this.bugs.has('B19')) {
        // BUG B19 (#1758, 0.12.0, fixed in 568aa7944): the guard compared `to` instead of `from` with
        // the session's JID, so everything addressed to this session is dropped without an error.
        const isBounced = attr(stanza, 'type') !== 'error' && attr(stanza, 'to') !== session.fullJid;
        if (isBounced !== (attr(stanza, 'type') !== 'error' && attr(stanza, 'from') !== session.fullJid)) this.noteBug('B19', session);
        if (isBounced) this.bounce(session, stanza);
        else traceDispose(this.server, session, stanza, 'drop');
        continue;
      }
      if (attr(stanza, 'type') !== 'error' && attr(stanza, 'from') !== session.fullJid) {
        this.bounce(session, stanza);
      } else {
        traceDispose(this.server, session, stanza, 'drop');
      }
    }
  }

  /** The bounce of handle_unacked_stanzas: recipient-unavailable, routed from the host. */
  private bounce(session: Session, stanza: Element): void {
    traceDispose(this.server, session, stanza, 'bounce');
    const reply = errorReply(stanza, 'cancel', 'recipient-unavailable');
    if (this.bugs.has('B20') && session.isS2s) {
      // BUG B20 (#1759, 0.12.0, fixed in d7e7558ba): the bounce was injected with core_process_stanza
      // and the dying s2s session as origin; the router refuses a stanza "claiming to be from" a
      // domain the stream is not authenticated for, so the sender never learns.
      this.noteBug('B20', session);
      this.server.router.fromRemote(session, reply);
      return;
    }
    this.server.sendFromHost(reply);
  }

  /** hook "pre-resource-unbind" */
  private preResourceUnbind(session: Session, error: string | undefined): true | undefined {
    const state = this.states.get(session);
    if (state === undefined || !state.smacks) return undefined;
    if (state.resumptionToken === undefined) {
      if (state.outgoingQueue!.countUnacked() > 0) this.handleUnackedStanzas(session, state);
      return undefined;
    }
    if (state.hibernating !== undefined) {
      // COMPAT: returns nothing ⇒ destruction proceeds without disposing of the queue (C-2).
      if (!this.bugs.has('B15')) return undefined;
      // BUG B15 (trunk, fixed in eb65a8b39): no "already hibernating" test: the session hibernates
      // again with a second watchdog; the first one, no longer referenced, is never cancelled.
      this.noteBug('B15', session);
    }
    state.hibernating = this.server.osTime();
    state.hibernatingWatchdog = new Watchdog(this.server, this.options.smacks_hibernation_time, () => this.hibernationTimeout(session, state));
    const conn = session.conn;
    if (conn !== undefined) {
      this.server.forgetConn(conn);
      session.conn = undefined;
      conn.close();
    }
    this.metrics.hibernationsStarted++;
    this.server.trace.emit({ t: this.now(), type: 'smacks.hibernation-start', jid: session.label, unacked: state.outgoingQueue!.countUnacked() });
    this.server.hooks.fire('smacks-hibernation-start', { origin: session, queue: stanzasOf(state.outgoingQueue!.items()) });
    if (conn !== undefined && (this.bugs.has('C-2') || this.bugs.has('B15'))) {
      // The trigger of C-2 and B15: net.server reports the lost connection twice (upstream's diagnosis
      // of B25), so mod_c2s calls destroy_session again on the now hibernating session.
      if (this.bugs.has('C-2')) this.noteBug('C-2', session);
      this.server.engine.after(0, () => this.server.destroySession(session, error));
    }
    return true; // Postpone destruction for now
  }

  /** The watchdog callback of pre-resource-unbind: "Destroying session for hibernating too long". */
  private hibernationTimeout(session: Session, state: SmState): void {
    if (session.destroyed) return;
    if (state.resumptionToken === undefined) return; // already resumed or replaced
    this.sessionRegistry.delete(this.registryKey(session.username!, state.resumptionToken));
    this.setOldSession(session.username!, state.resumptionToken, state.handledCount);
    state.resumptionToken = undefined;
    state.resendingUnacked = true; // stop outgoing_stanza_filter from re-queueing anything anymore
    this.metrics.hibernationsExpired++;
    this.server.trace.emit({ t: this.now(), type: 'smacks.expire', jid: session.label, h: state.handledCount, unacked: state.outgoingQueue?.countUnacked() ?? 0 });
    this.server.destroySession(session, 'Hibernating too long');
  }

  private setOldSession(username: string, token: string, h: number): void {
    let records = this.oldSessions.get(username);
    if (records === undefined) {
      records = new Map();
      this.oldSessions.set(username, records);
    }
    records.set(token, { h, t: this.server.osTime() });
  }

  /** handle_resume(session, stanza, xmlns_sm) */
  private handleResume(session: Session, stanza: Element, ns: SmNs): boolean {
    if (session.fullJid !== undefined) {
      session.send(failed(ns, 'unexpected-request'));
      return true;
    }
    const id = attr(stanza, 'previd') ?? '';
    const original = session.username === undefined ? undefined : this.sessionRegistry.get(this.registryKey(session.username, id));
    if (original === undefined) {
      this.resumeNotFound(session, id, ns);
      return true;
    }
    const state = this.states.get(original)!;
    if (original.destroyed) {
      // COMPAT (B25): the registry still names a session that destroy_session retired (reachable only
      // through the C-2 switch). The retired session has no queue left: the Lua raises an error at
      // `queue:ack(h)` and nothing is answered.
      this.noteBug('C-2', original);
      return true;
    }
    if (state.hibernatingWatchdog !== undefined) {
      if (this.bugs.has('B23')) {
        // BUG B23 (0.12.3, fixed in 0.12.4): a watchdog left running (here: forgotten instead of
        // cancelled) calls back later, and the callback checks neither `hibernating` nor which
        // watchdog it is: it destroys the resumed session "for hibernating too long".
        this.noteBug('B23', original);
      } else {
        state.hibernatingWatchdog.cancel();
      }
      state.hibernatingWatchdog = undefined;
    }
    const wasHibernating = state.hibernating !== undefined;
    this.transplant(session, original, state);
    const queue = state.outgoingQueue!;
    const h = luaToNumber(attr(stanza, 'h'));
    if (h === undefined) {
      // COMPAT (C-1): queue:ack(nil) raises a Lua error here: no reply; the session stays attached to
      // the new connection, not hibernating, without a watchdog.
      return true;
    }
    const result = this.ackQueue(original, queue, h);
    let error: (typeof ackErrors)[keyof typeof ackErrors] | undefined;
    if (result === 'head' || result === 'tail') error = ackErrors[result];
    else {
      this.noteReleased(result);
      if (!queue.resumable()) error = ackErrors.overflow;
    }
    if (error !== undefined) {
      original.send(el('failed', { xmlns: ns, h: state.handledCount, previd: id }));
      this.server.trace.emit({ t: this.now(), type: 'smacks.resume-failed', jid: original.label, condition: error.condition, h: state.handledCount, resumeH: h });
      this.server.closeSession(original, error);
      return false;
    }
    original.send(el('resumed', { xmlns: ns, h: state.handledCount, previd: id }));
    // Re-send what the client did not see, without queueing it again.
    const items = queue.items();
    state.resendingUnacked = true;
    if (this.bugs.has('B9') && items.length > 0) {
      // BUG B9 (trunk Dec 2021, fixed in 9c747a1db): the replay's send() closure belonged to the other
      // session object, so the resumed session's resending flag was not set: every replayed stanza
      // is queued again and goes out again at the next resumption.
      this.noteBug('B9', original);
      state.resendingUnacked = false;
    }
    for (const item of items) original.send(item.stanza);
    state.resendingUnacked = false;
    session.isSendDisabled = true; // "Tried to send stanza on old session migrated by smacks resume"
    if (wasHibernating) this.metrics.hibernationsResumed++;
    else this.metrics.resumptionsOfLiveSessions++;
    this.metrics.stanzasReplayed += items.length;
    this.server.trace.emit({ t: this.now(), type: 'smacks.hibernation-end', jid: original.label, replayed: items.length, conn: original.conn?.connId ?? 0, resumeH: h });
    this.server.hooks.fire('smacks-hibernation-end', { origin: session, resumed: original, queue: stanzasOf(items) });
    if (this.bugs.has('B16')) {
      // BUG B16 (trunk, fixed in 11e5efc23): awaiting_ack is left as it was, so after an <r/> lost with
      // the old connection should_ack refuses every request, this forced one included, for good.
      if (state.awaitingAck) this.noteBug('B16', original);
      this.requestAckNowIfNeeded(original, true);
      return true;
    }
    state.awaitingAck = false; // Don't wait for acks from before the resumption
    this.requestAckNowIfNeeded(original, true);
    return true;
  }

  private resumeNotFound(session: Session, id: string, ns: SmNs): void {
    const old = session.username === undefined ? undefined : this.oldSessions.get(session.username)?.get(id);
    const reply = el('failed', { xmlns: ns, h: old?.h });
    reply.c('item-not-found', { xmlns: xmlnsStanzaErrors });
    session.send(reply);
    if (old !== undefined) this.oldSessions.get(session.username!)!.delete(id);
    this.server.trace.emit({ t: this.now(), type: 'smacks.resume-failed', condition: 'item-not-found', ...(old === undefined ? {} : { h: old.h }) });
  }

  /** The transplant block of handle_resume: the original session takes over the new connection. */
  private transplant(temp: Session, original: Session, state: SmState): void {
    const server = this.server;
    const oldConn = original.conn;
    if (oldConn !== undefined && this.bugs.has('B28')) {
      // BUG B28 (trunk, fixed in 33c20d9cf): the replaced connection is closed while still mapped to
      // the session, so its disconnect runs mod_c2s's handler: destroy_session → hibernation with a
      // watchdog that this resumption (which already cancelled the old one) never cancels.
      this.noteBug('B28', original);
      server.connDisconnected(oldConn, 'closed');
      oldConn.close();
    } else if (oldConn !== undefined) {
      server.forgetConn(oldConn as never);
      oldConn.close(); // closed silently: no stream error
    }
    const conn = temp.conn!;
    original.conn = conn;
    original.filters = temp.filters;
    original.notopen = temp.notopen;
    state.hibernating = undefined;
    state.resumptionCounter++;
    // COMPAT: the temporary session keeps the connection (the Lua never clears it), so after a
    // rejected resume the router's close of the temporary session closes it a second time.
    temp.type = original.type;
    this.wrapSession(original, state, true);
    server.mapConn(conn, original);
  }

  /** handle_read_timeout(event) */
  private handleReadTimeout(session: Session): boolean | undefined {
    const state = this.states.get(session);
    if (state === undefined || !state.smacks) return undefined;
    if (state.awaitingAck) {
      if (state.delayedAckTimer !== undefined) {
        state.delayedAckTimer.cancel();
        state.delayedAckTimer = undefined;
      }
      return false; // Kick the session
    }
    this.requestAckNowIfNeeded(session, true);
    return true;
  }

  /** Registered resumable sessions (live or hibernating), for checks. */
  get resumableCount(): number {
    return this.sessionRegistry.size;
  }
}

interface NonzaEvent {
  origin: Session;
  stanza: Element;
}

/** queue:table(): the queued stanza copies, oldest first (what the smacks-* events carry). */
function stanzasOf(items: readonly QueuedStanza[]): Element[] {
  return items.map((item) => item.stanza);
}

function failed(ns: SmNs, condition: string): Element {
  const reply = el('failed', { xmlns: ns });
  reply.c(condition, { xmlns: xmlnsStanzaErrors });
  return reply;
}
