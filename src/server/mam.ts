/**
 * A stand-in for mod_mam (Prosody 0.12.3 modules/mod_mam/mod_mam.lua), with what matters to Stream
 * Management's disposal rules (spec §10, §14.7):
 * - messages to and from local users are archived when `should_store` says so (chat/normal with a
 *   body, among others; never headline or groupchat) and the copy that goes on to mod_message carries
 *   `<stanza-id xmlns='urn:xmpp:sid:0' by='user@host' id='…'/>` (ids drawn from the server's seeded
 *   RNG, the length of util.id.medium);
 * - a MAM query (`<iq type='set'><query xmlns='urn:xmpp:mam:2'/></iq>`) sets `session.mamRequested`,
 *   which makes mod_smacks drop archived messages at disposal ("the client will get it from MAM") and
 *   makes this module suppress mod_offline's broadcast for that session;
 * - `message/offline/handle` at −2 claims archived messages when nothing stored them (mod_offline
 *   absent), so no error goes back.
 *
 * Simplified: the archive keeps only a count per user. A query is answered as if nothing matched
 * (`<fin complete='true'>` with an RSM count of 0): there is no replay of archived messages, no form
 * or RSM validation, no prefs or metadata queries, no quota or expiry. Archiving preferences are
 * Prosody's default (`default_archive_policy = true`: archive everything), and
 * `dont_archive_namespaces` is its default (chat states).
 */
import { bareJid, splitJid } from '../xmpp/jid.js';
import { xmlnsMam2, xmlnsSid } from '../xmpp/ns.js';
import { type Element, attr, childNs, deepClone, el } from '../xmpp/stanza.js';
import type { MessageEvent } from './router.js';
import type { Server } from './server.js';
import type { Session } from './session.js';

const xmlnsRsm = 'http://jabber.org/protocol/rsm';
const xmlnsHints = 'urn:xmpp:hints';
/** dont_archive_namespaces default. */
const stripNamespaces = new Set(['http://jabber.org/protocol/chatstates']);

interface IqEvent {
  origin: Session;
  stanza: Element;
}

function tags(element: Element): Element[] {
  return element.children.filter((child): child is Element => typeof child !== 'string');
}

/** get_child(nil, xmlns): the first child in that namespace. */
function childInNamespace(stanza: Element, xmlns: string): Element | undefined {
  return tags(stanza).find((child) => child.attrs.xmlns === xmlns);
}

/** get_child(name): the first child with that name in the parent's namespace. */
function child(stanza: Element, name: string): Element | undefined {
  return childNs(stanza, name, stanza.attrs.xmlns as string);
}

/** should_store(stanza) → store, reason */
export function shouldStore(stanza: Element): [boolean, string] {
  const type = attr(stanza, 'type') ?? 'normal';
  if (type === 'headline') return [false, 'headline']; // Headline messages are ephemeral by definition
  if (type === 'error') {
    // Store delivery failure notifications so you know if your own messages were not delivered.
    const to = attr(stanza, 'to');
    return [to !== undefined && splitJid(to).resource !== undefined, 'bounce'];
  }
  if (type === 'groupchat') return [false, 'groupchat']; // usually archived by the MUC
  if (childNs(stanza, 'no-store', xmlnsHints) !== undefined || childNs(stanza, 'no-permanent-store', xmlnsHints) !== undefined) return [false, 'hint'];
  if (childNs(stanza, 'store', xmlnsHints) !== undefined) return [true, 'hint'];
  if (child(stanza, 'body') !== undefined) return [true, 'body'];
  if (child(stanza, 'subject') !== undefined) return [true, 'subject'];
  if (childNs(stanza, 'encryption', 'urn:xmpp:eme:0') !== undefined) return [true, 'encrypted'];
  if (childInNamespace(stanza, 'urn:xmpp:receipts') !== undefined) return [true, 'receipt'];
  if (childInNamespace(stanza, 'urn:xmpp:chat-markers:0') !== undefined) return [true, 'marker'];
  const mucUser = childNs(stanza, 'x', 'http://jabber.org/protocol/muc#user');
  if (childNs(stanza, 'x', 'jabber:x:conference') !== undefined || (mucUser !== undefined && child(mucUser, 'invite') !== undefined)) return [true, 'invite'];
  if (childInNamespace(stanza, 'urn:xmpp:jingle-message:0') !== undefined || childInNamespace(stanza, 'urn:xmpp:jingle-message:1') !== undefined) return [true, 'jingle call'];
  return [false, 'default'];
}

export class Mam {
  /** Archived messages per user (the archive itself is not kept; see the top comment). */
  private readonly archived = new Map<string, number>();

  constructor(private readonly server: Server) {
    const hooks = server.hooks;
    hooks.hook<{ stanza: Element; reason?: string }>(
      'archive-should-store',
      (event) => {
        const [should, why] = shouldStore(event.stanza);
        event.reason = why;
        return should;
      },
      -1,
    );
    // Stanzas sent by local clients, and stanzas to local clients.
    for (const toType of ['bare', 'full'] as const) {
      hooks.hook<MessageEvent>(`pre-message/${toType}`, (event) => this.messageHandler(event, true), 0);
      hooks.hook<MessageEvent>(`pre-message/${toType}`, (event) => this.stripStanzaIdAfterOtherEvents(event), -1);
      hooks.hook<MessageEvent>(`message/${toType}`, (event) => this.messageHandler(event, false), 0);
    }
    server.hook('message/offline/handle', (event) => this.offlineHandle(event.username, event.stanza), -2);
    // Don't broadcast offline messages to clients that have queried the archive.
    server.hook('message/offline/broadcast', (event) => (event.origin.mamRequested ? true : undefined), 0);
    hooks.hook<IqEvent>(`iq-set/self/${xmlnsMam2}:query`, (event) => this.handleQuery(event.origin, event.stanza));
    hooks.hook<IqEvent>(`iq-get/self/${xmlnsMam2}:query`, (event) => this.serveForm(event.origin, event.stanza));
  }

  /** How many messages were archived for a user. */
  count(username: string): number {
    return this.archived.get(username) ?? 0;
  }

  /** strip_stanza_id(stanza, user): drop <stanza-id> elements that claim to be from this user. */
  private stripStanzaId(stanza: Element, user: string | undefined): Element {
    if (childNs(stanza, 'stanza-id', xmlnsSid) === undefined) return stanza;
    const copy = deepClone(stanza);
    copy.children = copy.children.filter((node) => {
      if (typeof node === 'string' || node.name !== 'stanza-id' || node.attrs.xmlns !== xmlnsSid) return true;
      const by = splitJid(attr(node, 'by') ?? '');
      return !(by.resource === undefined && by.host === this.server.host && by.node === user);
    });
    return copy;
  }

  /** strip_stanza_id_after_other_events(event), pre-message/* at −1: no privacy leak of the sender's id. */
  private stripStanzaIdAfterOtherEvents(event: MessageEvent): undefined {
    event.stanza = this.stripStanzaId(event.stanza, event.origin?.username);
    return undefined;
  }

  /** message_handler(event, c2s) */
  private messageHandler(event: MessageEvent, isC2s: boolean): undefined {
    const server = this.server;
    const { origin, stanza } = event;
    const origFrom = attr(stanza, 'from');
    const origTo = attr(stanza, 'to') ?? origFrom; // Stanzas without 'to' are treated as if to their own bare JID
    const storeUser = isC2s ? origin?.username : origTo === undefined ? undefined : splitJid(origTo).node;
    // Filter out <stanza-id> that claim to be from us.
    // COMPAT: only event.stanza is stripped; the archived copy below is cloned from the original.
    event.stanza = this.stripStanzaId(stanza, storeUser);
    const shouldEvent: { stanza: Element; session: Session | undefined; reason?: string } = { stanza, session: origin };
    if (!server.hooks.fire('archive-should-store', shouldEvent)) return undefined;
    const storable = tags(stanza).filter((tag) => !stripNamespaces.has(tag.attrs.xmlns as string));
    if (storable.length === 0) return undefined; // empty when stripped
    // shall_store(user, with): the account exists, and the default policy archives everything.
    if (storeUser === undefined || !server.hasAccount(storeUser)) return undefined;
    const id = Buffer.from(server.ids.bytes(18)).toString('base64url'); // util.id.medium()
    this.archived.set(storeUser, this.count(storeUser) + 1);
    const messageId = attr(stanza, 'id');
    const trace = { t: server.engine.now, type: 'mam.archive' as const, user: storeUser, stanzaId: id };
    server.trace.emit(messageId === undefined ? trace : { ...trace, id: messageId });
    const forOthers = deepClone(stanza);
    forOthers.cnode(el('stanza-id', { xmlns: xmlnsSid, by: `${storeUser}@${server.host}`, id }));
    event.stanza = forOthers;
    server.hooks.fire('archive-message-added', { origin, stanza, for_user: storeUser, id });
    return undefined;
  }

  /** hook "message/offline/handle" at −2: archived messages count as stored when mod_offline did not. */
  private offlineHandle(username: string, stanza: Element): true | undefined {
    const user = `${username}@${this.server.host}`;
    const isArchived = tags(stanza).some((tag) => tag.name === 'stanza-id' && tag.attrs.xmlns === xmlnsSid && tag.attrs.by === user);
    return isArchived ? true : undefined;
  }

  /** hook "iq-set/self/urn:xmpp:mam:2:query": sets mam_requested; answers with an empty page. */
  private handleQuery(origin: Session, stanza: Element): true {
    origin.mamRequested = true;
    this.server.trace.emit({ t: this.server.engine.now, type: 'mam.query', jid: origin.label });
    const fin = el('fin', { xmlns: xmlnsMam2, complete: 'true' });
    fin.c('set', { xmlns: xmlnsRsm }).c('count').t('0');
    const reply = this.reply(origin, stanza);
    reply.cnode(fin);
    origin.send(reply);
    return true;
  }

  /** hook "iq-get/self/urn:xmpp:mam:2:query": the query form (the internal store's fields). */
  private serveForm(origin: Session, stanza: Element): true {
    const form = el('x', { xmlns: 'jabber:x:data', type: 'form' });
    form.c('field', { type: 'hidden', var: 'FORM_TYPE' }).c('value').t(xmlnsMam2);
    form.c('field', { type: 'jid-single', var: 'with' });
    for (const name of ['start', 'end']) {
      form.c('field', { type: 'text-single', var: name }).c('validate', { xmlns: 'http://jabber.org/protocol/xdata-validate', datatype: 'xs:dateTime' });
    }
    form.c('field', { type: 'text-single', var: 'before-id' });
    form.c('field', { type: 'text-single', var: 'after-id' });
    form.c('field', { type: 'list-multi', var: 'ids' });
    const query = el('query', { xmlns: xmlnsMam2 });
    query.cnode(form);
    const reply = this.reply(origin, stanza);
    reply.cnode(query);
    origin.send(reply);
    return true;
  }

  /** st.reply(stanza) as the router hands it over: a stanza to the user's own bare JID has lost its `to`. */
  private reply(origin: Session, stanza: Element): Element {
    const to = attr(stanza, 'to');
    const from = to === undefined || (origin.fullJid !== undefined && to === bareJid(origin.fullJid)) ? undefined : to;
    return el('iq', { type: 'result', id: attr(stanza, 'id'), to: attr(stanza, 'from'), from });
  }
}
