/**
 * Port of the community mod_smacks (variant `community`): prosody-modules `mod_smacks/mod_smacks.lua`
 * at git `a7543269` (2021-11-16, "Send <r> immediately from csi-flushing event"), the file's last
 * change (spec §0). Registered on the server's hooks the way the Lua module is; each handler names the
 * Lua function it ports (`[M:fn]`), and `COMPAT:` marks places that mirror a quirk of the module on
 * purpose (bugs M-1, M-2, M-3, B30 of the spec are *faithful* behaviour here).
 *
 * Source: read from the git mirror at `0abd41b1` (2021-04-01) and brought to `a7543269` with the two
 * later changes the spec describes: `76f3b70e` (an `<a h>` above what was sent closes the stream,
 * instead of only logging) and `a7543269` (`csi-flushing` sends `<r/>` at once); `1e5438cf`
 * (2021-04-12, the push-deferred timeout re-arms with the *remaining* time) is in as well.
 *
 * What differs from the Lua, all about environment rather than behaviour:
 * - State lives in a per-session record (a WeakMap) instead of fields on the session table.
 * - M wraps `session.close` at enable and resume (`wrap_session_out`); here the wrapper's body runs on
 *   the server's `pre-session-close` hook, which mod_c2s fires first thing in `session_close`, i.e. at
 *   the same moment as the wrapper. It does exactly what the wrapper does (revoke the token in both
 *   registries, send a last `<a h>` if connected) and nothing C does there (no watchdog, no
 *   `handled_stanza_count ~= nil` test). Only sessions that enabled SM or were resumed (the ones M
 *   wrapped) have a record, so the hook acts on exactly the wrapped sessions.
 * - `stanza._cached` (a field Lua hangs on the clone) is a WeakMap from queued clone to its size in
 *   bytes (the size only feeds the metrics).
 * - The 1 µs `<r/>` timer is `engine.after(0)`: same virtual millisecond, after the write already
 *   scheduled for the stanza, so the `<r/>` leaves in a flush of its own right behind it.
 * - Resume replays through `original.send` with the clones still marked `_cached`; M uses the
 *   temporary session's `send`, which after the transplant runs the same filter chain (the filters
 *   moved with the connection) into the same connection, so the wire is the same.
 * - s2s (`s2s-stream-features`, outgoing `<enable/>`, `<enabled/>`, `s2s*-destroyed`, resend, and the
 *   `sends2s` sends) is not ported yet; the seam is `register()` (spec §11: B20, the bounces the router
 *   rejects, is M's s2s behaviour to keep).
 * - No `server-stopping` handler, as in M (B30): on a restart hibernating sessions are dropped with
 *   their queues (mod_c2s closes only connected sessions) and no h survives. `server-started` empties
 *   both registries, because M keeps them in the process's memory.
 */
import type { Timer } from '../engine/engine.js';
import type { Hooks } from '../server/hooks.js';
import type { Server } from '../server/server.js';
import type { CloseReason, Session } from '../server/session.js';
import { bareJid } from '../xmpp/jid.js';
import { xmlnsDelay, xmlnsSm2, xmlnsSm3, xmlnsStanzaErrors } from '../xmpp/ns.js';
import { type Element, approxBytes, attr, childNs, deepClone, el, errorReply, isCountableStanza, luaToNumber } from '../xmpp/stanza.js';
import { type SmacksApi, type SmacksMetrics, type SmView, emptyMetrics } from './api.js';
import type { SmacksOptions } from './options.js';
import { type BugId, BugSet } from './bugs.js';
import { defaultDeliveryFailure, traceDispose } from './delivery-failure.js';

type SmNs = typeof xmlnsSm2 | typeof xmlnsSm3;

/** The fields the community module keeps on a session (spec §2, column M). */
export interface CommunitySmState {
  /** session.smacks: the namespace. M never sets it back (not even while bouncing the queue). */
  smacks: SmNs;
  /** outgoing_stanza_queue: a plain array of queued clones, unbounded (a ring with BUG C-3). Replaced, never mutated, by handle_unacked_stanzas. */
  outgoingQueue: Element[];
  /** last_acknowledged_stanza: outbound stanzas acknowledged so far (can go backwards, M-1; with BUG C-3 also those pushed out of the ring). */
  lastAcknowledgedStanza: number;
  /** handled_stanza_count: the h we report. */
  handledCount: number;
  resumptionToken: string | undefined;
  /** os.time() when hibernation started. */
  hibernating: number | undefined;
  /** awaiting_ack: undefined = idle (nil), false = `<r/>` scheduled on the 1 µs timer, true = `<r/>` sent. */
  awaitingAck: boolean | undefined;
  awaitingAckTimer: Timer | undefined;
  delayedAckTimer: Timer | undefined;
  lastRequestedH: number | undefined;
}

/** An old_session_registry record: `{ h, username, host }`. */
interface OldSession {
  h: number;
  username: string;
  host: string;
}

/**
 * util.cache (0.12): a size-bounded map; `set` of a new key when full evicts the least recently *set*
 * entry (`get` does not refresh), after asking `onEvict` (returning false refuses the eviction and
 * the new key is not stored); `set(key, undefined)` removes.
 */
class UtilCache<V> {
  private readonly data = new Map<string, V>();

  constructor(
    private readonly size: number,
    private readonly onEvict: ((key: string, value: V) => boolean) | undefined,
  ) {}

  get(key: string): V | undefined {
    return this.data.get(key);
  }

  set(key: string, value: V | undefined): boolean {
    if (this.data.has(key)) {
      this.data.delete(key);
      if (value !== undefined) this.data.set(key, value); // bump to the head
      return true;
    }
    if (value === undefined) return true;
    if (this.data.size >= this.size) {
      const [tailKey, tailValue] = this.data.entries().next().value as [string, V];
      if (this.onEvict !== undefined && !this.onEvict(tailKey, tailValue)) return false;
      this.data.delete(tailKey);
    }
    this.data.set(key, value);
    return true;
  }

  get count(): number {
    return this.data.size;
  }
}

/**
 * init_session_cache(max_entries, evict_callback): one util.cache per user. COMPAT: the per-user
 * cache is never freed (M tests `not stores[user]:count()`, and a number is always truthy), and `get`
 * creates it too — a tiny leak per user that ever touched the registry.
 */
class PerUserCache<V> {
  private readonly stores = new Map<string, UtilCache<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly onEvict: ((key: string, value: V) => boolean) | undefined,
  ) {}

  private store(user: string): UtilCache<V> {
    let store = this.stores.get(user);
    if (store === undefined) {
      store = new UtilCache<V>(this.maxEntries, this.onEvict);
      this.stores.set(user, store);
    }
    return store;
  }

  get(user: string | undefined, key: string | undefined): V | undefined {
    if (user === undefined || key === undefined) return undefined;
    return this.store(user).get(key);
  }

  set(user: string | undefined, key: string | undefined, value: V | undefined): void {
    if (user === undefined || key === undefined) return;
    this.store(user).set(key, value);
  }

  /** Entries over all users (checks). */
  get size(): number {
    let total = 0;
    for (const store of this.stores.values()) total += store.count;
    return total;
  }

  /** The module's memory is gone (process restart). */
  clear(): void {
    this.stores.clear();
  }
}

export class CommunitySmacks implements SmacksApi {
  private readonly states = new WeakMap<Session, CommunitySmState>();
  /** The `_cached` mark of queued clones, with each clone's size for the byte metrics. */
  private readonly cached = new WeakMap<Element, number>();
  /** session_registry: per user, token → session (live or hibernating), at most smacks_max_hibernated_sessions. */
  private readonly sessionRegistry: PerUserCache<Session>;
  /** old_session_registry: per user, token → {h}, at most smacks_max_old_sessions, in memory. */
  private readonly oldSessionRegistry: PerUserCache<OldSession>;
  /** The condition of the last stream close handle_a made (for the M-3 trace of a failed resume). */
  private ackCloseCondition: string | undefined;
  /** handle_resume is feeding handle_a its fake `<a>`: not an ack received from the wire (metrics). */
  private isFakeAck = false;
  readonly metrics: SmacksMetrics = emptyMetrics();
  /** Historic bugs switched back on (smacks/bugs.ts); each branch is marked `BUG <id>`. */
  private readonly bugs: BugSet;
  private readonly outgoingFilter = (stanza: Element, session: Session): Element | undefined => this.outgoingStanzaFilter(stanza, session);
  private readonly incomingFilter = (stanza: Element, session: Session): Element => this.countIncomingStanzas(stanza, session);

  constructor(
    private readonly server: Server,
    private readonly options: SmacksOptions,
  ) {
    if (options.variant !== 'community') throw new RangeError(`variant ${options.variant} is not handled by the community module`);
    // assert(max_hibernated_sessions > 0) and assert(max_old_sessions > 0) at module load.
    if (!(options.smacks_max_hibernated_sessions > 0)) throw new RangeError('smacks_max_hibernated_sessions must be greater than 0');
    if (!(options.smacks_max_old_sessions > 0)) throw new RangeError('smacks_max_old_sessions must be greater than 0');
    this.oldSessionRegistry = new PerUserCache<OldSession>(options.smacks_max_old_sessions, undefined);
    this.sessionRegistry = new PerUserCache<Session>(options.smacks_max_hibernated_sessions, (token, victim) => this.evictSession(token, victim));
    this.bugs = new BugSet(options.bugs, options.variant);
    this.register(server.hooks);
  }

  /** A switched-on historic bug changed what happens to `session`: say so in the trace. */
  private noteBug(id: BugId, session: Session): void {
    this.server.trace.emit({ t: this.now(), type: 'smacks.bug', id, jid: session.label });
  }

  private register(hooks: Hooks): void {
    const server = this.server;
    server.hook('stream-features', (event) => {
      if (this.canDoSmacks(event.origin, true) === true) {
        event.features.c('sm', { xmlns: xmlnsSm2 }).c('optional');
        event.features.c('sm', { xmlns: xmlnsSm3 }).c('optional');
      }
      return undefined;
    });
    for (const ns of [xmlnsSm2, xmlnsSm3] as const) {
      hooks.hook<NonzaEvent>(`stanza/${ns}:enable`, (event) => this.handleEnable(event.origin, event.stanza, ns), 100);
      hooks.hook<NonzaEvent>(`stanza/${ns}:r`, (event) => this.handleR(event.origin, ns));
      hooks.hook<NonzaEvent>(`stanza/${ns}:a`, (event) => this.handleA(event.origin, event.stanza));
      hooks.hook<NonzaEvent>(`stanza/${ns}:resume`, (event) => this.handleResume(event.origin, event.stanza, ns));
    }
    // The session.close wrapper of wrap_session_out (see the file comment).
    server.hook('pre-session-close', (event) => this.closeWrapper(event.session, event.reason));
    server.hook('delivery/failure', (event) => defaultDeliveryFailure(this.server, event.session, event.stanza));
    server.hook('pre-resource-unbind', (event) => this.preResourceUnbind(event.session));
    hooks.hook<{ origin?: Session; session?: Session }>('csi-client-active', (event) => {
      const session = event.origin ?? event.session;
      const state = session === undefined ? undefined : this.states.get(session);
      if (session !== undefined && state !== undefined) this.requestAckIfNeeded(session, state, true, undefined);
      return undefined;
    });
    hooks.hook<{ session: Session }>('csi-flushing', (event) => this.handleCsiFlushing(event.session));
    server.hook('c2s-read-timeout', (event) => this.handleReadTimeout(event.session));
    // Seam for restarts: M has no server-stopping handler; its registries die with the process.
    server.hook('server-started', () => {
      this.sessionRegistry.clear();
      this.oldSessionRegistry.clear();
      return undefined;
    });
  }

  /** The module's own record of a session (tests). */
  state(session: Session): CommunitySmState | undefined {
    return this.states.get(session);
  }

  view(session: Session): SmView | undefined {
    const state = this.states.get(session);
    if (state === undefined) return undefined;
    return {
      isEnabled: true,
      isHibernating: state.hibernating !== undefined,
      isResumable: state.resumptionToken !== undefined,
      handledCount: state.handledCount,
      unacked: state.outgoingQueue.length,
    };
  }

  /** Registered resumable sessions (live or hibernating) over all users, for checks. */
  get resumableCount(): number {
    return this.sessionRegistry.size;
  }

  private now(): number {
    return this.server.engine.now;
  }

  /** [M:session_registry evict callback] an 11th resumable `<enable>` of a user pushes out the oldest. */
  private evictSession(token: string, victim: Session): boolean {
    if (victim.destroyed) return true; // destroyed session can always be removed from cache
    // COMPAT (M-2): "User has too much hibernated sessions, removing oldest session". The victim is not
    // closed and keeps its resumption_token; only h at this moment is saved, so a later resume gets
    // <failed h> with this stale value.
    const state = this.states.get(victim)!;
    this.oldSessionRegistry.set(victim.username, token, { h: state.handledCount, username: victim.username!, host: victim.host });
    this.metrics.hibernationsEvicted++;
    this.server.trace.emit({ t: this.now(), type: 'smacks.evict', jid: victim.label, h: state.handledCount });
    return true; // allow session to be removed from full cache to make room for new one
  }

  /** [M:can_do_smacks] true, or the error condition. */
  private canDoSmacks(session: Session, advertiseOnly: boolean): true | 'unexpected-request' | 'service-unavailable' {
    if (this.states.has(session)) return 'unexpected-request'; // "Stream management is already enabled"
    if (session.username !== undefined) {
      if (!advertiseOnly && session.resource === undefined) return 'unexpected-request';
      return true;
    }
    return 'service-unavailable';
  }

  /**
   * [M:request_ack_if_needed] Schedules `<r/>` on a 1 µs timer when idle and either forced or over the
   * threshold with new stanzas since the last `<r/>`; then re-fires smacks-ack-delayed for a new
   * stanza once the first one has fired.
   */
  private requestAckIfNeeded(session: Session, state: CommunitySmState, force: boolean, stanza: Element | undefined): void {
    const queue = state.outgoingQueue; // the timer below sees this array even if the queue is swapped
    const expectedH = this.expectedH(state, queue);
    if (state.awaitingAck === undefined && state.hibernating === undefined) {
      const maxUnacked = session.state === 'inactive' ? this.options.smacks_max_inactive_unacked_stanzas : this.options.smacks_max_unacked_stanzas;
      // This check of last_requested_h prevents ack-loops if misbehaving clients report wrong counts.
      if ((queue.length > maxUnacked && expectedH !== state.lastRequestedH) || force) {
        state.awaitingAck = false;
        state.awaitingAckTimer = this.server.engine.after(0, () => {
          // only request ack if needed and our session is not already hibernated or destroyed
          if (state.awaitingAck || state.hibernating !== undefined || session.destroyed) return;
          session.send(el('r', { xmlns: state.smacks }));
          if (session.destroyed) return; // sending something can trigger destruction
          state.awaitingAck = true;
          state.lastRequestedH = this.expectedH(state, queue);
          this.noteR(session, state);
          this.armDelayedAck(session, state);
        });
      }
    }
    // COMPAT: the Lua compares with smacks_max_unacked_stanzas here, also while CSI-inactive.
    if (queue.length > this.options.smacks_max_unacked_stanzas && state.awaitingAck === true && state.delayedAckTimer === undefined) {
      this.ackDelayed(session, state, stanza); // this is the only new stanza in the queue
    }
  }

  /** expected_h: the h the client will report once it has handled everything queued. */
  private expectedH(state: CommunitySmState, queue: readonly Element[]): number {
    // BUG B6 (2019-07, ebf151bb; fixed in dab90188): the ack-loop guard compared queue lengths, not
    // absolute counts, so after an <a/> an <r/> is skipped whenever the queue is as long as it was at
    // the last <r/>, and that stanza stays unacked until more traffic comes.
    if (this.bugs.has('B6')) return queue.length;
    return state.lastAcknowledgedStanza + queue.length;
  }

  private noteR(session: Session, state: CommunitySmState): void {
    this.metrics.acksRequested++;
    // last_requested_h is unchanged by the read-timeout and csi-flushing <r/>; the trace shows its value.
    this.server.trace.emit({ t: this.now(), type: 'smacks.r', jid: session.label, lastRequestedH: state.lastRequestedH ?? 0 });
  }

  private armDelayedAck(session: Session, state: CommunitySmState): void {
    if (state.delayedAckTimer !== undefined) return;
    state.delayedAckTimer = this.server.engine.after(this.options.smacks_max_ack_delay * 1000, () => this.ackDelayed(session, state, undefined));
  }

  /** [M:delayed_ack_function] */
  private ackDelayed(session: Session, state: CommunitySmState, stanza: Element | undefined): void {
    // fire event only if configured to do so and our session is not already hibernated or destroyed
    if (this.options.smacks_max_ack_delay > 0 && state.awaitingAck === true && state.hibernating === undefined && !session.destroyed) {
      this.metrics.acksDelayed++;
      this.server.trace.emit({ t: this.now(), type: 'smacks.ack-delayed', jid: session.label, unacked: state.outgoingQueue.length });
      this.server.hooks.fire('smacks-ack-delayed', { origin: session, queue: state.outgoingQueue, stanza });
    }
    state.delayedAckTimer = undefined;
  }

  /** [M:outgoing_stanza_filter] stanzas/out at priority −999. */
  private outgoingStanzaFilter(stanza: Element, session: Session): Element | undefined {
    const state = this.states.get(session);
    if (state === undefined || !isCountableStanza(stanza) || this.cached.has(stanza)) return stanza;
    const queue = state.outgoingQueue;
    let cachedStanza = deepClone(stanza);
    if (cachedStanza.name !== 'iq' && childNs(cachedStanza, 'delay', xmlnsDelay) === undefined) {
      cachedStanza = cachedStanza.c('delay', { xmlns: xmlnsDelay, from: bareJid(session.fullJid ?? session.host), stamp: this.server.datetime() }).up() as Element;
    }
    const bytes = approxBytes(cachedStanza);
    this.cached.set(cachedStanza, bytes); // cached_stanza._cached = true
    if (this.bugs.has('C-3') && queue.length >= this.options.smacks_max_queue_size) this.discardOldest(session, state);
    queue.push(cachedStanza);
    this.noteQueued(queue.length, bytes);
    // Every push is traced, so the checks can give each queued stanza exactly one disposition.
    const id = attr(stanza, 'id');
    const hibernating = state.hibernating !== undefined;
    if (id === undefined) this.server.trace.emit({ t: this.now(), type: 'smacks.queue', jid: session.label, unacked: queue.length, hibernating });
    else this.server.trace.emit({ t: this.now(), type: 'smacks.queue', jid: session.label, id, unacked: queue.length, hibernating });
    if (hibernating) {
      this.server.hooks.fire('smacks-hibernation-stanza-queued', { origin: session, queue, stanza: cachedStanza });
      return undefined; // swallowed: session.send() still returns true
    }
    this.requestAckIfNeeded(session, state, false, stanza);
    return stanza;
  }

  /**
   * BUG C-3 (core 0.12.3's util.smqueue, faithful there; a switch here): the queue is a ring of
   * smacks_max_queue_size. When it is full, the next stanza pushes out the oldest unacknowledged one:
   * it is never resent, bounced or stored offline, and nobody is told. As in smqueue, whose counters
   * are absolute, the stanza keeps its number: last_acknowledged_stanza moves past it, so a later
   * `<a h>` still names the stanzas still queued (and a `<resume h>` below it replays them all, M-1).
   */
  private discardOldest(session: Session, state: CommunitySmState): void {
    const discarded = state.outgoingQueue.shift()!;
    state.lastAcknowledgedStanza++;
    this.noteReleased([discarded]);
    this.noteBug('C-3', session);
    const id = attr(discarded, 'id');
    if (id === undefined) this.server.trace.emit({ t: this.now(), type: 'smacks.overflow', jid: session.label });
    else this.server.trace.emit({ t: this.now(), type: 'smacks.overflow', jid: session.label, id });
  }

  private noteQueued(length: number, bytes: number): void {
    const metrics = this.metrics;
    metrics.queuedBytesNow += bytes;
    if (metrics.queuedBytesNow > metrics.queuedBytesPeak) metrics.queuedBytesPeak = metrics.queuedBytesNow;
    if (length > metrics.queuePeak) metrics.queuePeak = length;
  }

  private noteReleased(stanzas: readonly Element[]): void {
    for (const stanza of stanzas) this.metrics.queuedBytesNow -= this.cached.get(stanza) ?? 0;
  }

  /** [M:count_incoming_stanzas] stanzas/in at priority 999. */
  private countIncomingStanzas(stanza: Element, session: Session): Element {
    if (stanza.attrs.xmlns === undefined) this.states.get(session)!.handledCount++;
    return stanza;
  }

  /** [M:wrap_session] wrap_session_out + wrap_session_in (the close wrapper: see closeWrapper). */
  private wrapSession(session: Session, state: CommunitySmState, resume: boolean): void {
    if (!resume) {
      state.outgoingQueue = [];
      state.lastAcknowledgedStanza = 0;
      state.handledCount = 0;
    }
    session.filters.add('stanzas/out', this.outgoingFilter, -999);
    session.filters.add('stanzas/in', this.incomingFilter, 999);
  }

  /** [M:wrap_session_out, the session.close wrapper] revoke the token, send a last `<a h>`. */
  private closeWrapper(session: Session, reason: CloseReason): undefined {
    const state = this.states.get(session);
    if (state === undefined) return undefined; // not wrapped
    if (state.resumptionToken !== undefined && reason === false && this.bugs.has('B2')) {
      // BUG B2 (2012, fixed in ea092b0e): the client's own </stream:stream> did not revoke the token,
      // so the destroy that follows hibernates the session: a ghost that keeps the user's presence
      // until the hibernation times out (the close already disabled its send: it swallows iqs).
      this.noteBug('B2', session);
    } else if (state.resumptionToken !== undefined) {
      this.sessionRegistry.set(session.username, state.resumptionToken, undefined);
      this.oldSessionRegistry.set(session.username, state.resumptionToken, undefined);
      state.resumptionToken = undefined;
    }
    // send out last ack as per revision 1.5.2 of XEP-0198
    if (session.conn !== undefined) session.send(el('a', { xmlns: state.smacks, h: state.handledCount }));
    return undefined;
  }

  /** [M:handle_enable] (hook priority 100, both namespaces) */
  private handleEnable(session: Session, stanza: Element, ns: SmNs): true {
    const ok = this.canDoSmacks(session, false);
    if (ok !== true) {
      session.send(failed(ns, ok));
      return true;
    }
    const state: CommunitySmState = {
      smacks: ns,
      outgoingQueue: [],
      lastAcknowledgedStanza: 0,
      handledCount: 0,
      resumptionToken: undefined,
      hibernating: undefined,
      awaitingAck: undefined,
      awaitingAckTimer: undefined,
      delayedAckTimer: undefined,
      lastRequestedH: undefined,
    };
    this.states.set(session, state);
    this.wrapSession(session, state, false);
    const resume = attr(stanza, 'resume');
    let token: string | undefined;
    if (resume === 'true' || resume === '1') {
      token = this.uuidGenerate();
      // May evict the user's oldest resumable session (M-2); a no-op without a username (s2s).
      this.sessionRegistry.set(session.username, token, session);
      state.resumptionToken = token;
    }
    // M always sends max = tostring(resume_timeout), resumable or not.
    session.send(el('enabled', { xmlns: ns, id: token, resume, max: String(this.options.smacks_hibernation_time) }));
    this.server.trace.emit({ t: this.now(), type: 'smacks.enable', jid: session.label, resumable: token !== undefined });
    return true;
  }

  /**
   * util.uuid.generate (0.12): RFC 4122 version 4 from random nibbles,
   * `nibbles(8)-nibbles(4)-4nibbles(3)-twobits nibbles(3)-nibbles(12)`, from the server's seeded ids.
   */
  private uuidGenerate(): string {
    const ids = this.server.ids;
    const nibbles = (count: number): string => Buffer.from(ids.bytes(Math.ceil(count / 2))).toString('hex').slice(0, count);
    const twoBits = ((ids.bytes(1)[0]! % 4) + 8).toString(16);
    return `${nibbles(8)}-${nibbles(4)}-4${nibbles(3)}-${twoBits}${nibbles(3)}-${nibbles(12)}`;
  }

  /** [M:handle_r] answer with `<a h>`, then a *forced* piggybacked `<r/>` if new stanzas went out since the last one. */
  private handleR(session: Session, ns: SmNs): true | undefined {
    const state = this.states.get(session);
    if (state === undefined) return undefined; // "Received ack request from non-smack-enabled session"
    session.send(el('a', { xmlns: ns, h: state.handledCount }));
    const queue = state.outgoingQueue;
    const expectedH = this.expectedH(state, queue);
    if (queue.length > 0 && expectedH !== state.lastRequestedH) this.requestAckIfNeeded(session, state, true, undefined);
    return true;
  }

  /** [M:handle_a] */
  private handleA(session: Session, stanza: Element): true | undefined {
    const state = this.states.get(session);
    if (state === undefined) return undefined;
    state.awaitingAck = undefined;
    state.awaitingAckTimer?.cancel(); // COMPAT: stopped, the field is left as is
    if (state.delayedAckTimer !== undefined) {
      state.delayedAckTimer.cancel();
      state.delayedAckTimer = undefined;
    }
    const h = luaToNumber(attr(stanza, 'h'));
    if (h === undefined) {
      this.ackCloseCondition = 'invalid-xml';
      this.server.closeSession(session, { condition: 'invalid-xml', text: "Missing or invalid 'h' attribute" });
      return true; // COMPAT: the Lua returns nothing here; the stream is already closed either way
    }
    const queue = state.outgoingQueue;
    const handledStanzaCount = h - state.lastAcknowledgedStanza;
    if (!this.isFakeAck) this.metrics.acksReceived++;
    if (handledStanzaCount > queue.length && this.bugs.has('B11')) {
      // BUG B11 (before 76f3b70e, 2021-11): "The client says it handled %d new stanzas, but we only sent
      // %d :)" was only logged. The code below then empties the queue, stanzas the client never got
      // included, and moves last_acknowledged_stanza past what was ever sent.
      this.noteBug('B11', session);
    } else if (handledStanzaCount > queue.length) {
      // "The client says it handled %d new stanzas, but we only sent %d :)" — a close since 76f3b70e (B11).
      this.server.trace.emit({ t: this.now(), type: 'smacks.a', jid: session.label, h, unacked: queue.length });
      this.ackCloseCondition = 'undefined-condition';
      this.server.closeSession(session, { condition: 'undefined-condition', text: 'Client acknowledged more stanzas than sent by server' });
      return true; // COMPAT: as above
    }
    // COMPAT (M-1): no lower bound. A negative count removes nothing and moves the counter backwards.
    const removed = queue.splice(0, Math.max(0, Math.floor(Math.min(handledStanzaCount, queue.length))));
    this.noteReleased(removed);
    for (const handled of removed) this.server.hooks.fire('delivery/success', { session, stanza: handled });
    state.lastAcknowledgedStanza += handledStanzaCount;
    this.server.trace.emit({ t: this.now(), type: 'smacks.a', jid: session.label, h, unacked: queue.length });
    this.requestAckIfNeeded(session, state, false, undefined);
    return true;
  }

  /**
   * [M:handle_unacked_stanzas] Swaps in a fresh empty queue (the session stays SM-enabled) and disposes
   * of each stanza: delivery/failure first, else an error reply injected through core_process_stanza
   * with the dying session as origin, so the router stamps `from` = this session's full JID.
   */
  private handleUnackedStanzas(session: Session, state: CommunitySmState): void {
    const queue = state.outgoingQueue;
    if (queue.length === 0) return;
    state.outgoingQueue = [];
    this.noteReleased(queue);
    for (const stanza of queue) {
      if (this.server.fire('delivery/failure', { session, stanza })) continue;
      if (attr(stanza, 'type') !== 'error' && attr(stanza, 'from') !== session.fullJid) {
        traceDispose(this.server, session, stanza, 'bounce');
        this.server.router.fromClient(session, errorReply(stanza, 'cancel', 'recipient-unavailable'));
      } else {
        traceDispose(this.server, session, stanza, 'drop');
      }
    }
  }

  /**
   * [M: hook "pre-resource-unbind"] Hibernate a resumable session. COMPAT: no "already hibernating"
   * guard (a second call re-stamps `hibernating` and adds a second timer), and the connection is left
   * alone (mod_c2s drops it).
   */
  private preResourceUnbind(session: Session): true | undefined {
    const state = this.states.get(session);
    if (state === undefined) return undefined;
    if (state.resumptionToken === undefined) {
      if (state.outgoingQueue.length > 0) this.handleUnackedStanzas(session, state);
      return undefined;
    }
    const hibernateTime = this.server.osTime(); // Track the time we went into hibernation
    state.hibernating = hibernateTime;
    const resumptionToken = state.resumptionToken;
    this.metrics.hibernationsStarted++;
    this.server.trace.emit({ t: this.now(), type: 'smacks.hibernation-start', jid: session.label, unacked: state.outgoingQueue.length });
    this.server.hooks.fire('smacks-hibernation-start', { origin: session, queue: state.outgoingQueue });
    // util.timer.add_task: fires at exactly smacks_hibernation_time; never cancelled.
    this.addTask(this.options.smacks_hibernation_time, () => this.hibernationTimeout(session, state, resumptionToken, hibernateTime));
    return true; // Postpone destruction for now
  }

  /** util.timer.add_task: a callback returning a number is scheduled again after that many seconds. */
  private addTask(delaySeconds: number, callback: () => number | undefined): void {
    this.server.engine.after(delaySeconds * 1000, () => {
      const again = callback();
      if (again !== undefined) this.addTask(again, callback);
    });
  }

  /** The add_task callback of pre-resource-unbind: "mod_smacks hibernation timeout reached...". */
  private hibernationTimeout(session: Session, state: CommunitySmState, resumptionToken: string, hibernateTime: number): number | undefined {
    // We need to check the current resumption token for this resource matches the smacks session this
    // timer is for, in case it changed (the client may have bound a new resource and started a new
    // smacks session, or not be using smacks).
    const current = session.fullJid === undefined ? undefined : this.server.fullSessions.get(session.fullJid);
    if (this.bugs.has('B1') && current !== undefined && current !== session) {
      // BUG B1 (2011, fixed in 01e42371): the timer destroyed "the current session for this resource",
      // which may be a new session that bound the resource without resuming.
      this.noteBug('B1', current);
      this.server.destroySession(current, undefined);
      return undefined;
    }
    if (session.destroyed) return undefined; // "The session has already been destroyed"
    const currentToken = current === undefined ? undefined : this.states.get(current)?.resumptionToken;
    // Check the hibernate time still matches what we think it is, otherwise the session resumed and re-hibernated.
    if (current === undefined || currentToken !== resumptionToken || state.hibernating !== hibernateTime) return undefined; // "all is well"
    // Wait longer if push was enabled for this session: first_hibernated_push is the starting point of
    // the timeout for push clients; wait a whole extra period if no push happened since hibernation.
    const timeoutSeconds = this.options.smacks_hibernation_time;
    const currentTime = this.server.osTime();
    const timeoutStart = Math.max(state.hibernating, session.firstHibernatedPush ?? state.hibernating);
    if (session.pushIdentifier !== undefined && session.firstHibernatedPush === undefined) return timeoutSeconds;
    if (currentTime - timeoutStart < timeoutSeconds && session.pushIdentifier !== undefined) {
      if (this.bugs.has('B12')) {
        // BUG B12 (2018-06 to 1e5438cf, 2021-04): re-armed with the time elapsed since the push instead
        // of the time remaining, so the session wakes ever more rarely and expires late.
        this.noteBug('B12', session);
        return currentTime - timeoutStart;
      }
      return timeoutSeconds - (currentTime - timeoutStart);
    }
    // "Destroying session for hibernating too long"
    this.sessionRegistry.set(session.username, resumptionToken, undefined);
    // save only actual h value and username/host (for security)
    this.oldSessionRegistry.set(session.username, resumptionToken, { h: state.handledCount, username: session.username!, host: session.host });
    state.resumptionToken = undefined;
    this.metrics.hibernationsExpired++;
    this.server.trace.emit({ t: this.now(), type: 'smacks.expire', jid: session.label, h: state.handledCount, unacked: state.outgoingQueue.length });
    this.server.destroySession(session, undefined);
    return undefined;
  }

  /** [M:handle_resume] */
  private handleResume(session: Session, stanza: Element, ns: SmNs): true {
    if (session.fullJid !== undefined) {
      session.send(failed(ns, 'unexpected-request')); // "Tried to resume after resource binding"
      return true;
    }
    const id = attr(stanza, 'previd');
    const original = this.sessionRegistry.get(session.username, id);
    if (original === undefined) {
      this.resumeNotFound(session, id, ns);
      return true;
    }
    if (session.username !== original.username || session.host !== original.host) {
      session.send(failed(ns, 'not-authorized')); // unreachable: the registry is per user and per host
      return true;
    }
    const state = this.states.get(original)!;
    const wasHibernating = state.hibernating !== undefined;
    this.transplant(session, original, state);
    original.send(el('resumed', { xmlns: ns, h: state.handledCount, previd: id }));
    // Fake an <a> with the h of the <resume/> from the client, through the normal input path
    // (session:dispatch_stanza = filters, then core_process_stanza).
    this.ackCloseCondition = undefined;
    const fakeAck = original.filters.run('stanzas/in', el('a', { xmlns: ns, h: attr(stanza, 'h') }), original);
    this.isFakeAck = true;
    if (fakeAck !== undefined) this.server.dispatch(original, fakeAck);
    this.isFakeAck = false;
    if (original.destroyed) {
      // COMPAT (M-3): <resumed/> went out before h was checked; handle_a closed the stream, and the
      // next line of the Lua (`#queue` of the retired session) raises an error: nothing more happens.
      this.server.trace.emit({ t: this.now(), type: 'smacks.resume-failed', jid: original.label, condition: this.ackCloseCondition ?? 'closed', h: state.handledCount });
      return true;
    }
    // Re-send the stanzas the client did not see: what is left in the queue. They carry the _cached
    // mark, so they are not queued again.
    const queue = state.outgoingQueue;
    const count = queue.length;
    if (this.bugs.has('B8') && count > 0) {
      // BUG B8 (fixed in 52a5ce82, 2020-01): the replay went through the resumed session's send as new
      // stanzas, without the _cached mark: the outgoing filter queues each one again, so the queue
      // doubles and the next resumption sends them once more.
      this.noteBug('B8', original);
      for (let index = 0; index < count; index++) original.send(deepClone(queue[index]!));
    } else {
      for (let index = 0; index < count; index++) original.send(queue[index]!);
    }
    session.isSendDisabled = true; // "Tried to send stanza on old session migrated by smacks resume"
    if (wasHibernating) this.metrics.hibernationsResumed++;
    else this.metrics.resumptionsOfLiveSessions++;
    this.metrics.stanzasReplayed += count;
    const resumeH = luaToNumber(attr(stanza, 'h'));
    const resumed = { t: this.now(), type: 'smacks.hibernation-end' as const, jid: original.label, replayed: count, conn: original.conn?.connId ?? 0 };
    this.server.trace.emit(resumeH === undefined ? resumed : { ...resumed, resumeH });
    this.server.hooks.fire('smacks-hibernation-end', { origin: session, resumed: original, queue });
    this.requestAckIfNeeded(original, state, true, undefined);
    return true;
  }

  /** The not-found branch of handle_resume: `<failed [h]>` from old_session_registry, which keeps the record. */
  private resumeNotFound(session: Session, id: string | undefined, ns: SmNs): void {
    const old = this.oldSessionRegistry.get(session.username, id);
    const h = old !== undefined && old.username === session.username && old.host === session.host ? old.h : undefined;
    const reply = el('failed', { xmlns: ns, h });
    reply.c('item-not-found', { xmlns: xmlnsStanzaErrors });
    session.send(reply);
    this.server.trace.emit({ t: this.now(), type: 'smacks.resume-failed', condition: 'item-not-found', ...(h === undefined ? {} : { h }) });
  }

  /** The transplant block of handle_resume: the original session takes over the new connection. */
  private transplant(temp: Session, original: Session, state: CommunitySmState): void {
    const server = this.server;
    const oldConn = original.conn;
    if (oldConn !== undefined) {
      // "mod_smacks closing an old connection for this session": unmapped first, closed silently.
      server.forgetConn(oldConn);
      oldConn.close();
    }
    const conn = temp.conn!;
    original.conn = conn;
    original.filters = temp.filters;
    original.notopen = temp.notopen;
    state.hibernating = undefined;
    temp.conn = undefined;
    temp.type = original.type;
    this.wrapSession(original, state, true);
    server.mapConn(conn, original);
  }

  /** [M: hook "csi-flushing"] since a7543269: `<r/>` at once, awaiting_ack set first (sending may re-enter). */
  private handleCsiFlushing(session: Session): undefined {
    const state = this.states.get(session);
    if (state === undefined) return undefined;
    // The guard and the order are as the spec (§5.2) describes the change; no threshold, no
    // last_requested_h, no delayed-ack timer.
    if (!state.awaitingAck && state.hibernating === undefined && !session.destroyed) {
      state.awaitingAck = true;
      session.send(el('r', { xmlns: state.smacks }));
      this.noteR(session, state);
    }
    return undefined;
  }

  /** [M:handle_read_timeout] */
  private handleReadTimeout(session: Session): boolean | undefined {
    const state = this.states.get(session);
    if (state === undefined) return undefined;
    if (state.awaitingAck === true) {
      state.awaitingAckTimer?.cancel();
      if (state.delayedAckTimer !== undefined) {
        state.delayedAckTimer.cancel();
        state.delayedAckTimer = undefined;
      }
      return false; // Kick the session
    }
    // "Sending <r> (read timeout)": directly, not through request_ack_if_needed.
    session.send(el('r', { xmlns: state.smacks }));
    state.awaitingAck = true;
    this.noteR(session, state);
    this.armDelayedAck(session, state);
    return true;
  }
}

interface NonzaEvent {
  origin: Session;
  stanza: Element;
}

function failed(ns: SmNs, condition: string): Element {
  const reply = el('failed', { xmlns: ns });
  reply.c(condition, { xmlns: xmlnsStanzaErrors });
  return reply;
}
