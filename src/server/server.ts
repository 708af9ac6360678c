/**
 * The Prosody-like host: accounts, sessions (core/sessionmanager.lua), session close (mod_c2s
 * session_close), stream features, nonza dispatch (`stanza/<xmlns>:<name>` events) and the hooks
 * modules register on. Routing lives in router.ts, offline storage in offline.ts.
 *
 * One virtual host; s2s is not modelled here. Rosters are empty (fresh accounts), so presence goes
 * only to the user's own resources, as on a fresh Prosody.
 */
import type { Engine } from '../engine/engine.js';
import type { Rng } from '../engine/rng.js';
import { datetimeStamp, unixSeconds } from '../engine/time.js';
import type { Connection } from '../net/connection.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { xmlnsBind, xmlnsClient, xmlnsSasl, xmlnsStanzaErrors } from '../xmpp/ns.js';
import { type Element, attr, el, streamError } from '../xmpp/stanza.js';
import { type Frame, StreamOpen, frameName, isElementFrame, streamCloseFrame, whitespaceFrame } from '../xmpp/wire.js';
import { C2sConn } from './c2s.js';
import { Hooks } from './hooks.js';
import type { ServerOptions } from './options.js';
import { Router } from './router.js';
import { S2sManager } from './s2s.js';
import { type CloseReason, Session, type SessionConn } from './session.js';

export interface UserSessions {
  /** Bound resources in bind order (hibernating sessions included: they are still bound). */
  readonly sessions: Map<string, Session>;
}

export interface ServerEventMap {
  'pre-session-close': { session: Session; reason: CloseReason };
  'pre-resource-unbind': { session: Session; error: string | undefined };
  'resource-unbind': { session: Session; error: string | undefined };
  'c2s-pre-ondrain': { session: Session };
  'c2s-read-timeout': { session: Session };
  'stream-features': { origin: Session; features: Element };
  'message/offline/handle': { origin: Session | undefined; username: string; stanza: Element };
  'message/offline/broadcast': { origin: Session };
  'delivery/failure': { session: Session; stanza: Element };
  'server-stopping': { reason: string };
  'server-started': Record<string, never>;
}

export class Server {
  readonly hooks = new Hooks();
  readonly router: Router;
  readonly s2s: S2sManager;
  readonly userSessions = new Map<string, UserSessions>();
  readonly fullSessions = new Map<string, Session>();
  private readonly conns = new Map<SessionConn, Session>();
  private sessionSeq = 0;
  /** Between stop() and start(): the process is down and connections are refused. */
  isStopped = false;

  constructor(
    readonly host: string,
    readonly engine: Engine,
    readonly trace: TraceRecorder,
    readonly options: ServerOptions,
    private readonly accounts: ReadonlyMap<string, string>,
    readonly ids: Rng,
    readonly epochMs: number,
  ) {
    this.router = new Router(this);
    this.s2s = new S2sManager(this);
    // mod_c2s keepalive (−1): a read timeout nobody else answered (no SM) sends a whitespace ping
    // and keeps the connection.
    this.hook('c2s-read-timeout', (event) => (event.session.notopen ? undefined : event.session.send(whitespaceFrame)), -1);
    // mod_s2s keepalive (−1): the same for s2s streams (sends2s(' ') keeps the connection).
    this.hooks.hook<{ session: Session }>('s2s-read-timeout', (event) => (event.session.notopen ? undefined : event.session.send(whitespaceFrame)), -1);
    // mod_c2s "server-stopping" (−100): close every connected session.
    this.hook('server-stopping', (event) => {
      for (const session of [...this.conns.values()]) {
        if (!session.destroyed && !session.isS2s) this.closeSession(session, { condition: 'system-shutdown', text: event.reason });
      }
      return undefined;
    }, -100);
  }

  // ---- restarts ----

  /**
   * prosody.shutdown(reason): fire `server-stopping` (mod_smacks −90, mod_c2s −100), then the process
   * exits: every socket still open closes and all in-memory state is gone. What modules keep in
   * storage (offline messages, core mod_smacks' smacks_h records) survives in their own objects.
   */
  stop(reason = 'Received SIGTERM'): void {
    this.fire('server-stopping', { reason });
    this.isStopped = true;
    for (const conn of [...this.conns.keys()]) conn.close();
    this.conns.clear();
    for (const session of this.fullSessions.values()) this.retire(session);
    this.fullSessions.clear();
    this.userSessions.clear();
  }

  /** The process starts again with empty memory. */
  start(): void {
    this.isStopped = false;
    this.fire('server-started', {});
  }

  // ---- time, as Prosody's modules see it ----

  /** util.datetime.datetime(): the virtual wall clock at 1 s resolution. */
  datetime(): string {
    return datetimeStamp(this.epochMs, this.engine.now);
  }

  /** os.time(). */
  osTime(): number {
    return unixSeconds(this.epochMs, this.engine.now);
  }

  // ---- typed hooks ----

  hook<K extends keyof ServerEventMap>(name: K, handler: (event: ServerEventMap[K]) => unknown, priority = 0): void {
    this.hooks.hook(name, handler, priority);
  }

  fire<K extends keyof ServerEventMap>(name: K, event: ServerEventMap[K]): unknown {
    return this.hooks.fire(name, event);
  }

  // ---- connections (mod_c2s listener) ----

  /** listener.onconnect */
  accept(connection: Connection): void {
    if (this.isStopped) {
      connection.reset();
      return;
    }
    const session = new Session(`c2s${++this.sessionSeq}`, this.host);
    const conn = new C2sConn(this, connection, session);
    connection.serverEnd = conn;
    session.conn = conn;
    this.conns.set(conn, session);
  }

  /** The session mapped to a connection (mod_c2s `sessions[conn]`), if any. */
  connSession(conn: SessionConn): Session | undefined {
    return this.conns.get(conn);
  }

  /** Unmap a connection (mod_smacks: `c2s_sessions[conn] = nil` before closing it). */
  forgetConn(conn: SessionConn): void {
    this.conns.delete(conn);
  }

  /** Map a connection to a session (resumption moves a connection to the original session). */
  mapConn(conn: SessionConn, session: Session): void {
    this.conns.set(conn, session);
    conn.session = session;
  }

  /** listener.ondisconnect */
  connDisconnected(conn: SessionConn, reason: string): void {
    const session = this.conns.get(conn);
    this.conns.delete(conn);
    if (session === undefined) return;
    if (session.isS2s) this.s2s.destroy(session, reason);
    // server_epoll: LuaSocket reports a FIN and a reset alike as "closed", and interface:close()
    // then fires "disconnect" without an error.
    else this.destroySession(session, reason === 'closed' || reason === 'connection reset' ? undefined : reason);
    if (session.conn === conn) session.conn = undefined;
  }

  /** The s2s listener (another domain connects to us). */
  acceptS2s(connection: Connection): void {
    if (this.isStopped) {
      connection.reset();
      return;
    }
    this.s2s.accept(connection);
  }

  checkPassword(username: string, password: string): boolean {
    return this.accounts.get(username) === password;
  }

  hasAccount(username: string): boolean {
    return this.accounts.has(username);
  }

  // ---- streams ----

  /** stream_callbacks.streamopened: header back, then features. */
  streamOpened(session: Session): void {
    session.notopen = false;
    session.send(new StreamOpen(this.host));
    const features = el('stream:features');
    if (session.username === undefined) {
      features.c('mechanisms', { xmlns: xmlnsSasl }).c('mechanism').t('PLAIN');
    } else {
      if (session.resource === undefined) features.c('bind', { xmlns: xmlnsBind });
      this.fire('stream-features', { origin: session, features });
    }
    session.send(features);
  }

  /** stream_callbacks.handlestanza after filters: nonzas as events, stanzas to the router. */
  dispatch(session: Session, element: Element): void {
    const xmlns = element.attrs.xmlns as string | undefined;
    if (xmlns !== undefined && xmlns !== xmlnsClient) {
      const handled = this.hooks.fire(`stanza/${xmlns}:${element.name}`, { origin: session, stanza: element });
      // stanza_router: a falsy result (nil or false) means unhandled.
      if (!handled) this.closeSession(session, 'unsupported-stanza-type');
      return;
    }
    if (session.type === 's2sin') {
      this.router.fromRemote(session, element);
      return;
    }
    if (session.type !== 'c2s') {
      this.closeSession(session, 'not-authorized');
      return;
    }
    this.router.fromClient(session, element);
  }

  // ---- sessionmanager ----

  /** sessionmanager.bind_resource; returns an error condition or true. */
  bindResource(session: Session, wanted: string | undefined): true | string {
    if (session.username === undefined) return 'not-authorized';
    if (session.resource !== undefined) return 'not-allowed';
    const username = session.username;
    let resource = wanted !== undefined && wanted !== '' ? wanted : this.generateResource();
    let user = this.userSessions.get(username);
    if (user === undefined) {
      user = { sessions: new Map() };
      this.userSessions.set(username, user);
    } else {
      const existing = user.sessions.get(resource);
      if (existing !== undefined) {
        const policy = this.options.conflict_resolve;
        if (policy === 'kick_new') return 'conflict';
        if (policy === 'random') resource = this.generateResource();
        else if (policy === 'increment') resource = this.incrementResource(user, resource);
        else {
          this.closeSession(existing, { condition: 'conflict', text: 'Replaced by new connection' });
          if (!this.userSessions.has(username)) this.userSessions.set(username, user);
        }
      }
    }
    session.resource = resource;
    session.fullJid = `${username}@${this.host}/${resource}`;
    user.sessions.set(resource, session);
    this.fullSessions.set(session.fullJid, session);
    session.type = 'c2s';
    this.trace.emit({ t: this.engine.now, type: 'session.bind', jid: session.fullJid, conn: session.conn?.connId ?? 0 });
    return true;
  }

  private incrementResource(user: UserSessions, resource: string): string {
    let count = 1;
    while (user.sessions.has(`${resource}#${count}`)) count++;
    return `${resource}#${count}`;
  }

  /** util.id.medium-like random resource. */
  private generateResource(): string {
    return Buffer.from(this.ids.bytes(6)).toString('base64url');
  }

  /** sessionmanager.destroy_session */
  destroySession(session: Session, error: string | undefined): void {
    if (session.destroyed) return;
    if (session.fullJid !== undefined) {
      if (this.fire('pre-resource-unbind', { session, error }) !== undefined) return;
      session.destroyed = true;
      const user = this.userSessions.get(session.username!);
      user?.sessions.delete(session.resource!);
      this.fullSessions.delete(session.fullJid);
      if (user !== undefined && user.sessions.size === 0) this.userSessions.delete(session.username!);
      this.trace.emit({ t: this.engine.now, type: 'session.destroy', jid: session.fullJid, reason: error ?? 'destroyed' });
      this.fire('resource-unbind', { session, error });
      this.router.broadcastUnavailable(session, error);
    }
    this.retire(session);
  }

  /** sessionmanager.retire_session: the object stays, but sends go nowhere. */
  retire(session: Session): void {
    session.destroyed = true;
    session.isSendDisabled = true;
    session.presence = undefined;
  }

  /** mod_c2s session_close (mod_s2s's for s2s streams: no grace period, no pre-session-close). */
  closeSession(session: Session, reason: CloseReason): void {
    if (session.isS2s) {
      this.closeS2s(session, reason);
      return;
    }
    const payload = { session, reason };
    this.fire('pre-session-close', payload);
    const conn = session.conn;
    const reasonText = reason === undefined || reason === false ? reason : typeof reason === 'string' ? reason : (reason.text ?? reason.condition);
    this.trace.emit({ t: this.engine.now, type: 'session.close', jid: session.label, reason: reasonText === undefined ? 'server' : reasonText === false ? 'peer' : reasonText });
    if (conn === undefined) {
      this.destroySession(session, reasonText === false || reasonText === undefined ? undefined : reasonText);
      return;
    }
    if (session.notopen) session.send(new StreamOpen(this.host));
    if (reason) {
      // mod_c2s sends tostring(stream_error): a string, so no stanzas/out filter sees it.
      if (!session.isSendDisabled) conn.write(typeof reason === 'string' ? streamError(reason) : streamError(reason.condition, reason.text));
    }
    session.send(streamCloseFrame);
    session.isSendDisabled = true;
    if (reasonText === undefined && session.type === 'c2s') {
      this.engine.after(this.options.c2s_close_timeout * 1000, () => {
        if (session.destroyed) return;
        this.destroySession(session, undefined);
        conn.close();
      });
      return;
    }
    this.destroySession(session, reasonText === false ? undefined : reasonText);
    conn.close();
  }

  private closeS2s(session: Session, reason: CloseReason): void {
    const conn = session.conn;
    const reasonText = reason === undefined || reason === false ? undefined : typeof reason === 'string' ? reason : (reason.text ?? reason.condition);
    if (conn !== undefined && !session.isSendDisabled) {
      if (reason) session.send(typeof reason === 'string' ? streamError(reason) : streamError(reason.condition, reason.text));
      session.send(streamCloseFrame);
    }
    session.isSendDisabled = true;
    this.s2s.destroy(session, reasonText);
    conn?.close();
  }

  // ---- module:send and errors ----

  /** module:send(stanza): route a stanza from the host itself. */
  sendFromHost(stanza: Element): void {
    this.router.fromHost(stanza);
  }

  /** An error stanza (util.stanza error_reply) back to `origin`. */
  replyError(origin: Session, stanza: Element, type: string, condition: string, text?: string): void {
    const reply = el(stanza.name, { to: attr(stanza, 'from'), from: attr(stanza, 'to'), id: attr(stanza, 'id'), type: 'error' });
    const error = reply.c('error', { type });
    error.c(condition, { xmlns: xmlnsStanzaErrors });
    if (text !== undefined) error.c('text', { xmlns: xmlnsStanzaErrors }).t(text);
    origin.send(reply);
  }

  // ---- trace helpers used by the connection layer ----

  traceSend(conn: number, frame: Frame): void {
    if (!isElementFrame(frame)) return;
    const id = frame.attrs.id as string | undefined;
    if (frame.name === 'a' || frame.name === 'resumed') {
      // The counter goes into the trace, so the checks can hold it against what the client sent.
      this.trace.emit({ t: this.engine.now, type: 'server.send', conn, name: frame.name, h: Number(frame.attrs.h) });
    } else if (id === undefined) this.trace.emit({ t: this.engine.now, type: 'server.send', conn, name: frame.name });
    else this.trace.emit({ t: this.engine.now, type: 'server.send', conn, name: frame.name, id });
  }

  traceRecv(conn: number, element: Element): void {
    const id = element.attrs.id as string | undefined;
    if (id === undefined) this.trace.emit({ t: this.engine.now, type: 'server.recv', conn, name: frameName(element) });
    else this.trace.emit({ t: this.engine.now, type: 'server.recv', conn, name: element.name, id });
  }

  traceReadTimeout(session: Session | undefined, kept: boolean): void {
    this.trace.emit({ t: this.engine.now, type: 'session.read-timeout', jid: session?.label ?? '?', kept });
  }
}
