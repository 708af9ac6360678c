/**
 * What both mod_smacks variants share when they give up on a queued stanza: the default
 * `delivery/failure` handler (offline storage for chat/normal messages when the session was the
 * user's only resource; MAM results and MAM-covered messages dropped; spec §10) and the
 * `smacks.dispose` trace event.
 */
import type { Server } from '../server/server.js';
import type { Session } from '../server/session.js';
import { bareJid } from '../xmpp/jid.js';
import { xmlnsMam2, xmlnsSid } from '../xmpp/ns.js';
import { type Element, attr, childNs } from '../xmpp/stanza.js';

export type Disposition = 'offline' | 'bounce' | 'drop' | 'resend';

export function traceDispose(server: Server, session: Session, stanza: Element, disposition: Disposition): void {
  const id = attr(stanza, 'id');
  const base = { t: server.engine.now, type: 'smacks.dispose' as const, jid: session.label };
  if (id === undefined) server.trace.emit({ ...base, name: stanza.name, disposition });
  else server.trace.emit({ ...base, id, name: stanza.name, disposition });
}

/** [C|M: hook "delivery/failure"]: true (or the offline handler's answer) when the stanza is handled. */
export function defaultDeliveryFailure(server: Server, session: Session, stanza: Element): unknown {
  if (session.username === undefined) return undefined; // Only deal with authenticated (c2s) sessions
  const type = attr(stanza, 'type') ?? 'normal';
  if (stanza.name !== 'message' || stanza.attrs.xmlns !== undefined || (type !== 'chat' && type !== 'normal')) return undefined;
  if (childNs(stanza, 'result', xmlnsMam2) !== undefined) {
    traceDispose(server, session, stanza, 'drop');
    return true; // a MAM query result: already handled
  }
  const by = bareJid(session.fullJid!);
  const stanzaId = stanza.children.find(
    (child): child is Element => typeof child !== 'string' && child.name === 'stanza-id' && child.attrs.xmlns === xmlnsSid && child.attrs.by === by,
  );
  if (session.mamRequested && stanzaId?.attrs.id !== undefined) {
    traceDispose(server, session, stanza, 'drop');
    return true; // the client will get it from MAM
  }
  // The user's only bound resource (other hibernating sessions count as resources).
  const user = server.userSessions.get(session.username);
  if (user !== undefined && user.sessions.size === 1 && user.sessions.get(session.resource!) === session) {
    const ok = server.fire('message/offline/handle', { origin: session, username: session.username, stanza });
    if (ok) traceDispose(server, session, stanza, 'offline');
    return ok;
  }
  return undefined;
}
