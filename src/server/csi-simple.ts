/**
 * mod_csi_simple (Prosody 0.12.3 modules/mod_csi_simple.lua): while a client says it is inactive,
 * hold its writes until something important comes along.
 *
 * - `csi-client-inactive` → enable_optimizations: pause the connection's writes and install two
 *   filters, `manage_buffer` on `stanzas/out` (priority 0, so it runs before mod_smacks' −999) and
 *   `flush_buffer` on `bytes/in`.
 * - manage_buffer: while `session.state == "inactive"`, an unimportant stanza is held and gets a
 *   `<delay from='user@host'>` (so mod_smacks adds none of its own); an important one (see
 *   `isImportant`, asked through the `csi-is-stanza-important` event), any nonza (mod_smacks' `<r/>`
 *   and `<a/>` included) or the `csi_queue_size`-th stanza flushes: state "flushing",
 *   `csi-flushing` (mod_smacks may append an `<r/>` there, judged by the *active* threshold), resume
 *   writes. The flushing stanza itself goes out last.
 * - flush_buffer: any data from the client (even a whitespace keepalive) flushes a non-empty buffer.
 * - `c2s-ondrain` after a flush → `csi_resume_inactive_delay` s later writes are held again.
 * - `csi-client-active` and `pre-resource-unbind` (priority 1, before mod_smacks) → disable: remove
 *   the filters and resume writes. `session.state` is left alone, so a hibernated session that is
 *   resumed stays "inactive" for mod_smacks' ack threshold without any buffering (spec §5.6).
 *
 * Simplified: the write hold is modelled on the connection's frame buffer (C2sConn pause/resume), not
 * on bytes; `csi_important_payloads` (empty by default) and the buffer-hold metrics are left out;
 * strings such as whitespace keepalives never pass `stanzas/out` (as in mod_c2s), so is_important's
 * string branches cannot be reached and are not ported.
 */
import type { Timer } from '../engine/engine.js';
import { xmlnsDelay } from '../xmpp/ns.js';
import { type Element, childNs, deepClone, el } from '../xmpp/stanza.js';
import type { Frame } from '../xmpp/wire.js';
import type { Server } from './server.js';
import type { Session } from './session.js';

const xmlnsCarbons = 'urn:xmpp:carbons:2';
const xmlnsForward = 'urn:xmpp:forward:0';

/** The fields mod_csi_simple hangs on a session. */
interface CsiSimpleState {
  /** session.csi_counter: stanzas through manage_buffer since the hold began; undefined when disabled. */
  counter: number | undefined;
  /** session.csi_resume: the timer that re-enters inactive mode after a flush. */
  resume: Timer | undefined;
}

/** The `csi-is-stanza-important` event; handlers may set `reason`. */
export interface StanzaImportantEvent {
  stanza: Element;
  session: Session;
  reason?: string | undefined;
}

/** The first child with this name in the parent's own namespace (util.stanza get_child(name)). */
function child(stanza: Element, name: string): Element | undefined {
  return childNs(stanza, name, stanza.attrs.xmlns as string);
}

/** get_child(nil, xmlns): the first child in that namespace. */
function childInNamespace(stanza: Element, xmlns: string): Element | undefined {
  for (const node of stanza.children) if (typeof node !== 'string' && node.attrs.xmlns === xmlns) return node;
  return undefined;
}

/**
 * is_important(stanza) → important, reason. `undefined` (Lua nil) means "no opinion", which the
 * event turns into "not important" (names other than the three stanzas, e.g. `stream:error`).
 */
export function isImportant(stanza: Element): [boolean | undefined, string | undefined] {
  if (stanza.attrs.xmlns !== undefined) return [true, 'nonza']; // stream errors, stream management etc
  const type = stanza.attrs.type as string | undefined;
  if (stanza.name === 'presence') {
    if (type === undefined || type === 'unavailable' || type === 'error') return [false, 'presence update'];
    return [true, 'subscription request'];
  }
  if (stanza.name === 'message') {
    if (type === 'headline') return [false, 'headline']; // Headline messages are ephemeral by definition
    if (type === 'error') return [true, 'delivery failure'];
    if (childNs(stanza, 'sent', xmlnsCarbons) !== undefined) return [true, 'carbon'];
    // stanza:find("{urn:xmpp:carbons:2}received/{urn:xmpp:forward:0}/{jabber:client}message")
    const received = childNs(stanza, 'received', xmlnsCarbons);
    const forwardedWrapper = received === undefined ? undefined : childInNamespace(received, xmlnsForward);
    const forwarded = forwardedWrapper === undefined ? undefined : childNs(forwardedWrapper, 'message', 'jabber:client');
    const message = forwarded ?? stanza;
    if (child(message, 'body') !== undefined) return [true, 'body'];
    if (child(message, 'subject') !== undefined) return [true, 'subject']; // Last step of a MUC join
    if (childNs(message, 'encryption', 'urn:xmpp:eme:0') !== undefined) return [true, 'encrypted'];
    const mucUser = childNs(message, 'x', 'http://jabber.org/protocol/muc#user');
    if (childNs(message, 'x', 'jabber:x:conference') !== undefined || (mucUser !== undefined && child(mucUser, 'invite') !== undefined)) return [true, 'invite'];
    if (childInNamespace(message, 'urn:xmpp:jingle-message:0') !== undefined || childInNamespace(message, 'urn:xmpp:jingle-message:1') !== undefined) return [true, 'jingle call'];
    return [false, undefined];
  }
  if (stanza.name === 'iq') return [true, undefined];
  return [undefined, undefined];
}

export class CsiSimple {
  private readonly states = new WeakMap<Session, CsiSimpleState>();
  private readonly queueSize: number;
  private readonly resumeDelaySeconds: number;
  private readonly manageBuffer = (stanza: Element, session: Session): Element => this.manageBufferFilter(stanza, session);
  private readonly flushBuffer = (data: Frame, session: Session): Frame => this.flushBufferFilter(data, session);

  constructor(private readonly server: Server) {
    this.queueSize = server.options.csi_queue_size;
    this.resumeDelaySeconds = server.options.csi_resume_inactive_delay;
    const hooks = server.hooks;
    hooks.hook<StanzaImportantEvent>(
      'csi-is-stanza-important',
      (event) => {
        const [important, why] = isImportant(event.stanza);
        event.reason = why;
        return important;
      },
      -1,
    );
    hooks.hook<{ origin: Session }>('csi-client-inactive', (event) => void this.enableOptimizations(event.origin));
    hooks.hook<{ origin: Session }>('csi-client-active', (event) => void this.disableOptimizations(event.origin));
    server.hook('pre-resource-unbind', (event) => void this.disableOptimizations(event.session), 1);
    hooks.hook<{ session: Session }>('c2s-ondrain', (event) => void this.onDrain(event.session));
  }

  private state(session: Session): CsiSimpleState {
    let state = this.states.get(session);
    if (state === undefined) {
      state = { counter: undefined, resume: undefined };
      this.states.set(session, state);
    }
    return state;
  }

  /** should_flush(stanza, session, ctr) */
  private shouldFlush(stanza: Element, session: Session, counter: number): [boolean, string | undefined] {
    if (counter >= this.queueSize) return [true, 'queue size limit reached'];
    const event: StanzaImportantEvent = { stanza, session };
    const important = this.server.hooks.fire('csi-is-stanza-important', event);
    return [Boolean(important), event.reason];
  }

  /** with_timestamp(stanza, from) */
  private withTimestamp(stanza: Element, from: string): Element {
    if (stanza.attrs.xmlns !== undefined || stanza.name === 'iq') return stanza;
    const copy = deepClone(stanza);
    copy.cnode(el('delay', { xmlns: xmlnsDelay, from, stamp: this.server.datetime() }));
    return copy;
  }

  /** manage_buffer(stanza, session), `stanzas/out` at priority 0. */
  private manageBufferFilter(stanza: Element, session: Session): Element {
    const state = this.state(session);
    const counter = state.counter ?? 0;
    if (session.state !== 'inactive') {
      state.counter = counter + 1;
      return stanza;
    }
    let out = stanza;
    const [flush, why] = this.shouldFlush(stanza, session, counter);
    if (flush) {
      this.flushing(session, why ?? 'important', counter);
    } else {
      out = this.withTimestamp(stanza, `${session.username}@${session.host}`);
    }
    state.counter = counter + 1;
    return out;
  }

  /** flush_buffer(data, session), `bytes/in`: client activity flushes. */
  private flushBufferFilter(data: Frame, session: Session): Frame {
    const counter = this.state(session).counter ?? 0;
    if (counter === 0 || session.state !== 'inactive') return data;
    this.flushing(session, 'client activity', counter);
    return data;
  }

  /** The flush common to both filters: state "flushing", `csi-flushing`, resume writes. */
  private flushing(session: Session, reason: string, held: number): void {
    const server = this.server;
    session.state = 'flushing';
    server.trace.emit({ t: server.engine.now, type: 'csi.flush', jid: session.label, reason, held });
    server.hooks.fire('csi-flushing', { session });
    session.conn?.resumeWrites?.();
  }

  /** enable_optimizations(session) */
  private enableOptimizations(session: Session): void {
    const conn = session.conn;
    if (conn?.pauseWrites === undefined) return; // "Session connection does not support write pausing"
    conn.pauseWrites();
    this.state(session).counter = 0;
    session.filters.add('stanzas/out', this.manageBuffer, 0);
    session.filters.addBytesIn(this.flushBuffer, 0);
  }

  /** disable_optimizations(session) */
  private disableOptimizations(session: Session): void {
    session.filters.remove('stanzas/out', this.manageBuffer);
    session.filters.removeBytesIn(this.flushBuffer);
    this.state(session).counter = undefined;
    session.conn?.resumeWrites?.();
  }

  /** hook "c2s-ondrain": after a flush, stay in pseudo-flushing mode for csi_resume_inactive_delay. */
  private onDrain(session: Session): void {
    if ((session.state !== 'flushing' && session.state !== 'inactive') || session.conn?.pauseWrites === undefined) return;
    const state = this.state(session);
    if (state.resume !== undefined) return;
    state.resume = this.server.engine.after(this.resumeDelaySeconds * 1000, () => this.resumeOptimizations(session));
  }

  /** resume_optimizations(_, _, session): the timer callback. */
  private resumeOptimizations(session: Session): void {
    const state = this.state(session);
    const conn = session.conn;
    if ((session.state === 'flushing' || session.state === 'inactive') && conn?.pauseWrites !== undefined) {
      session.state = 'inactive';
      conn.pauseWrites();
      state.counter = 0;
      this.server.trace.emit({ t: this.server.engine.now, type: 'csi.state', jid: session.label, state: 'inactive' });
    }
    state.resume = undefined;
  }
}
