/**
 * core/stanza_router.lua with the routing parts of mod_message, mod_presence and mod_iq, for one
 * virtual host and empty rosters.
 *
 * Modelled: stamping `from` on c2s stanzas; iq validation errors; message to full JID (falls back to
 * the bare JID when that resource is gone), to bare JID (top resources, then
 * `message/offline/handle`, then service-unavailable), headline and groupchat rules; presence
 * reflection to the sender and to its other resources, initial presence firing the offline
 * broadcast, unavailable broadcast on unbind; iq to a full JID or answered by the server (ping,
 * roster, session), service-unavailable otherwise. Modules see `pre-message/<bare|full>`,
 * `message/<bare|full>` and `iq-<type>/<self|bare|host>/<xmlns>:<name>` first, as in Prosody (mod_mam
 * hooks them). Not modelled: rosters and subscriptions, directed
 * presence bookkeeping, privacy lists, carbons, s2s (remote domains get
 * remote-server-not-found).
 */
import { bareJid, splitJid } from '../xmpp/jid.js';
import { xmlnsPing } from '../xmpp/ns.js';
import { type Element, attr, el, errorReply, shallowCopy } from '../xmpp/stanza.js';
import type { Server } from './server.js';
import type { Session } from './session.js';

/** Where a stanza comes from: a client session, or the host itself (module:send). */
type Origin = Session | undefined;

/** The event of `pre-message/*` and `message/*`: handlers may replace the stanza (mod_mam does). */
export interface MessageEvent {
  origin: Origin;
  stanza: Element;
}

export class Router {
  constructor(private readonly server: Server) {}

  /** core_process_stanza for a bound c2s session. */
  fromClient(origin: Session, received: Element): void {
    const name = received.name;
    const type = attr(received, 'type');
    // core_process_stanza: an error stanza without a child element is discarded (handle_unhandled_stanza).
    if (type === 'error' && (name === 'message' || name === 'presence' || name === 'iq') && received.children.every((child) => typeof child === 'string')) return;
    if (name === 'iq') {
      if (type !== 'get' && type !== 'set' && type !== 'result' && type !== 'error') {
        this.server.replyError(origin, received, 'modify', 'bad-request', 'Invalid IQ type');
        return;
      }
      if (attr(received, 'id') === undefined) {
        this.server.replyError(origin, received, 'modify', 'bad-request', "Missing required 'id' attribute");
        return;
      }
      if ((type === 'get' || type === 'set') && received.children.filter((child) => typeof child !== 'string').length !== 1) {
        this.server.replyError(origin, received, 'modify', 'bad-request', 'Incorrect number of children for IQ stanza');
        return;
      }
    }
    const stanza = shallowCopy(received);
    stanza.attrs.from = origin.fullJid!;
    let to = attr(stanza, 'to');
    if (to !== undefined && name !== 'presence' && to === bareJid(origin.fullJid!)) {
      // core_post_stanza: a stanza to the sender's own bare JID loses its `to` (to_self).
      delete stanza.attrs.to;
      to = undefined;
    }
    if (name === 'presence' && to === undefined) {
      this.normalPresence(origin, stanza);
      return;
    }
    if (to === undefined || to === this.server.host) {
      this.toServer(origin, stanza, to === undefined ? bareJid(origin.fullJid!) : this.server.host);
      return;
    }
    this.post(origin, stanza);
  }

  /**
   * A stanza from a remote domain over an incoming s2s stream (core_process_stanza for s2sin): the
   * `from` must belong to the stream's domain ("Received a stanza claiming to be from …").
   */
  fromRemote(origin: Session, stanza: Element): void {
    const from = attr(stanza, 'from');
    const to = attr(stanza, 'to');
    if (from === undefined || to === undefined || splitJid(from).host !== origin.fromHost) return;
    if (splitJid(to).host !== this.server.host) return;
    this.post(origin, stanza);
  }

  /** module:send from the host: errors it provokes go nowhere. */
  fromHost(stanza: Element): void {
    if (attr(stanza, 'to') === undefined) return;
    this.post(undefined, stanza);
  }

  /** core_post_stanza: deliver to a local JID or fail for remote ones. */
  private post(origin: Origin, stanza: Element): void {
    const to = attr(stanza, 'to')!;
    const parts = splitJid(to);
    if (parts.host !== this.server.host) {
      if (origin?.isS2s) return; // no relaying between remote domains
      if (!this.server.s2s.route(stanza, parts.host)) this.errorTo(origin, stanza, 'cancel', 'remote-server-not-found');
      return;
    }
    if (parts.node === undefined) {
      if (stanza.name === 'iq') this.toServer(origin, stanza, this.server.host);
      return;
    }
    if (stanza.name === 'message') this.message(origin, stanza, parts.resource !== undefined);
    else if (stanza.name === 'presence') this.directedPresence(stanza, parts.resource !== undefined);
    else this.iq(origin, stanza, parts.resource !== undefined);
  }

  private errorTo(origin: Origin, stanza: Element, type: string, condition: string, text?: string): void {
    if (origin === undefined || attr(stanza, 'type') === 'error') return;
    if (stanza.name === 'iq' && attr(stanza, 'type') === 'result') return;
    if (origin.isS2s) {
      // The error goes back to the remote sender over our own outgoing stream.
      this.server.sendFromHost(errorReply(stanza, type, condition, text));
      return;
    }
    this.server.replyError(origin, stanza, type, condition, text);
  }

  // ---- mod_message ----

  /**
   * core_post_stanza's events before mod_message's own handlers (priority −1, the code that follows):
   * `pre-message/<bare|full>` for c2s senders, then `message/<bare|full>`, sharing one event so that a
   * module may replace the stanza (mod_mam adds <stanza-id>). Undefined when a handler took it.
   */
  private messageEvents(origin: Origin, stanza: Element, toType: 'bare' | 'full'): Element | undefined {
    const event: MessageEvent = { origin, stanza };
    const hooks = this.server.hooks;
    if (origin?.fullJid !== undefined && hooks.fire(`pre-message/${toType}`, event)) return undefined;
    if (hooks.fire(`message/${toType}`, event)) return undefined;
    return event.stanza;
  }

  private message(origin: Origin, received: Element, isFull: boolean): void {
    const stanza = this.messageEvents(origin, received, isFull ? 'full' : 'bare');
    if (stanza === undefined) return;
    if (isFull) {
      const session = this.server.fullSessions.get(attr(stanza, 'to')!);
      if (session !== undefined && session.send(stanza)) return;
    }
    this.processToBare(bareJid(attr(stanza, 'to')!), origin, stanza);
  }

  /** mod_message process_to_bare */
  private processToBare(bare: string, origin: Origin, stanza: Element): void {
    const type = attr(stanza, 'type');
    const username = splitJid(bare).node!;
    const user = this.server.userSessions.get(username);
    if (type === 'error') return;
    if (type === 'groupchat') {
      this.errorTo(origin, stanza, 'cancel', 'service-unavailable');
      return;
    }
    if (type === 'headline') {
      if (user !== undefined && attr(stanza, 'to') === bare) {
        for (const session of [...user.sessions.values()]) {
          if (session.presence !== undefined && (session.priority ?? 0) >= 0) session.send(stanza);
        }
      }
      return;
    }
    if (user !== undefined) {
      let sent = false;
      for (const session of this.topResources(username)) sent = session.send(stanza) || sent;
      if (sent) return;
    }
    let ok: unknown;
    if (this.server.hasAccount(username)) {
      ok = this.server.fire('message/offline/handle', { origin, username, stanza });
    }
    if (!ok) this.errorTo(origin, stanza, 'cancel', 'service-unavailable');
  }

  /** The user's available resources with the highest non-negative priority (user.top_resources). */
  topResources(username: string): Session[] {
    const user = this.server.userSessions.get(username);
    if (user === undefined) return [];
    let best = -1;
    let top: Session[] = [];
    for (const session of user.sessions.values()) {
      if (session.presence === undefined) continue;
      const priority = session.priority ?? 0;
      if (priority < 0 || priority < best) continue;
      if (priority > best) {
        best = priority;
        top = [];
      }
      top.push(session);
    }
    return top;
  }

  // ---- mod_iq and the server's own iq handlers ----

  private iq(origin: Origin, stanza: Element, isFull: boolean): void {
    const type = attr(stanza, 'type');
    if (isFull) {
      const session = this.server.fullSessions.get(attr(stanza, 'to')!);
      if (session !== undefined) {
        session.send(stanza);
        return;
      }
      if (type === 'get' || type === 'set') this.errorTo(origin, stanza, 'cancel', 'service-unavailable');
      return;
    }
    this.toServer(origin, stanza, bareJid(attr(stanza, 'to')!));
  }

  /** Stanzas addressed to the server or to an account's bare JID, answered by the server. */
  private toServer(origin: Origin, stanza: Element, from: string): void {
    const type = attr(stanza, 'type');
    if (stanza.name === 'message') {
      if (origin === undefined) return;
      if (from === this.server.host) {
        this.processToBare(bareJid(origin.fullJid!), origin, stanza);
        return;
      }
      const routed = this.messageEvents(origin, stanza, 'bare');
      if (routed !== undefined) this.processToBare(from, origin, routed);
      return;
    }
    if (stanza.name !== 'iq' || (type !== 'get' && type !== 'set')) return;
    if (origin === undefined) return;
    const payload = stanza.children.find((child) => typeof child !== 'string') as Element | undefined;
    const xmlns = payload?.attrs.xmlns as string | undefined;
    // mod_iq: `iq-<type>/<self|bare|host>/<xmlns>:<name>` for the payload, before the built-in answers.
    const toType = from === this.server.host ? 'host' : origin.fullJid !== undefined && from === bareJid(origin.fullJid) ? 'self' : 'bare';
    if (payload !== undefined && this.server.hooks.fire(`iq-${type}/${toType}/${xmlns ?? ''}:${payload.name}`, { origin, stanza })) return;
    const known = (xmlns === xmlnsPing && type === 'get') || xmlns === 'jabber:iq:roster' || xmlns === 'urn:ietf:params:xml:ns:xmpp-session';
    if (!known) {
      this.errorTo(origin, stanza, 'cancel', 'service-unavailable');
      return;
    }
    const result = el('iq', { type: 'result', id: attr(stanza, 'id'), to: attr(stanza, 'from'), from: attr(stanza, 'to') });
    if (xmlns === 'jabber:iq:roster' && type === 'get') result.c('query', { xmlns: 'jabber:iq:roster' });
    origin.send(result);
  }

  // ---- mod_presence ----

  /** handle_normal_presence (outbound presence without `to`). */
  private normalPresence(origin: Session, stanza: Element): void {
    const type = attr(stanza, 'type');
    if (type !== undefined && type !== 'unavailable') return;
    const priorityText = stanza.getChildText('priority');
    let priority = 0;
    if (priorityText !== null && /^[+-]?[0-9]+$/.test(priorityText)) priority = Math.max(-128, Math.min(127, Number(priorityText)));
    if (this.server.fullSessions.has(origin.fullJid!)) origin.send(stanza);
    const user = this.server.userSessions.get(origin.username!);
    const others = user === undefined ? [] : [...user.sessions.values()].filter((session) => session !== origin && session.presence !== undefined);
    for (const session of others) session.send(withTo(stanza, session.fullJid!));
    if (type === undefined && origin.presence === undefined) {
      origin.presence = stanza;
      for (const session of others) session.presence !== undefined && origin.send(withTo(session.presence, origin.fullJid!));
      if (priority >= 0) this.server.fire('message/offline/broadcast', { origin });
    }
    if (type === 'unavailable') {
      origin.presence = undefined;
      origin.priority = undefined;
    } else {
      const stored = shallowCopy(stanza);
      stored.children = [...stanza.children, el('delay', { xmlns: 'urn:xmpp:delay', from: this.server.host, stamp: this.server.datetime() })];
      origin.presence = stored;
      origin.priority = priority;
    }
  }

  /** Presence to a JID of this host (no rosters: delivered to the addressed available sessions). */
  private directedPresence(stanza: Element, isFull: boolean): void {
    const to = attr(stanza, 'to')!;
    if (isFull) {
      this.server.fullSessions.get(to)?.send(stanza);
      return;
    }
    const user = this.server.userSessions.get(splitJid(to).node!);
    if (user === undefined) return;
    for (const session of [...user.sessions.values()]) if (session.presence !== undefined) session.send(stanza);
  }

  /** On unbind of an available session: unavailable presence to the user's other resources. */
  broadcastUnavailable(session: Session, error?: string): void {
    if (session.presence === undefined) return;
    const user = this.server.userSessions.get(session.username!);
    if (user === undefined) return;
    const unavailable = el('presence', { type: 'unavailable', from: session.fullJid });
    // mod_presence resource-unbind: the destroy error, if any, becomes a status.
    if (error !== undefined) unavailable.c('status').t(`Disconnected: ${error}`);
    for (const other of [...user.sessions.values()]) {
      if (other !== session && other.presence !== undefined) other.send(withTo(unavailable, other.fullJid!));
    }
  }
}

function withTo(stanza: Element, to: string): Element {
  const copy = shallowCopy(stanza);
  copy.attrs.to = to;
  return copy;
}

