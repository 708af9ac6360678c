/**
 * Server-to-server streams (mod_s2s and core/s2smanager.lua, 0.12.3): outgoing sessions opened on
 * demand with a send queue until the stream is up, incoming sessions, and their destruction with the
 * `s2sout-destroyed` / `s2sin-destroyed` events mod_smacks answers.
 *
 * Simplified on purpose: no dialback or certificates (a stream is trusted once the peer's features
 * arrive), no DNS, one stream per direction and pair of domains, and the idle-close of mod_s2s is
 * not modelled. Each direction is its own TCP connection, as in XMPP.
 */
import type { Timer } from '../engine/engine.js';
import type { Connection } from '../net/connection.js';
import { xmlnsStanzaErrors, xmlnsStreams } from '../xmpp/ns.js';
import { type Element, attr, el } from '../xmpp/stanza.js';
import { StreamOpen } from '../xmpp/wire.js';
import { C2sConn } from './c2s.js';
import type { Server } from './server.js';
import { Session } from './session.js';

/** How this server reaches another domain (the world wires it to the simulated network). */
export interface S2sTransport {
  /** Open a connection toward `toHost`; `onConnected` runs when it is up (never through a black hole). */
  connect(fromHost: string, toHost: string, onConnected: (connection: Connection) => void): boolean;
}

/** mod_s2s `s2s_timeout`: an outgoing stream not established by then is given up. */
const connectTimeoutMs = 90_000;

const bouncyStanzas = new Set(['message', 'presence', 'iq']);

export class S2sManager {
  transport: S2sTransport | undefined;
  /** hosts[host].s2sout: the outgoing session per remote domain. */
  private readonly outgoing = new Map<string, Session>();
  private readonly incoming = new Set<Session>();
  private readonly connectTimers = new WeakMap<Session, Timer>();
  private readonly hadStream = new WeakSet<Session>();
  private sessionSeq = 0;

  constructor(private readonly server: Server) {}

  /**
   * route_to_existing_session / route_to_new_session: false when no route exists at all (the
   * router then answers remote-server-not-found).
   */
  route(stanza: Element, toHost: string): boolean {
    const existing = this.outgoing.get(toHost);
    if (existing !== undefined) {
      if (existing.sendq !== undefined) existing.sendq.push(stanza);
      else existing.send(stanza);
      return true;
    }
    if (this.transport === undefined) return false;
    const server = this.server;
    const session = new Session(`s2sout${++this.sessionSeq}`, server.host);
    session.type = 's2sout';
    session.fromHost = server.host;
    session.toHost = toHost;
    session.sendq = [stanza];
    this.outgoing.set(toHost, session);
    this.connectTimers.set(session, server.engine.after(connectTimeoutMs, () => {
      if (session.sendq !== undefined) this.destroy(session, 'Failed to establish the connection');
    }));
    const isRouted = this.transport.connect(server.host, toHost, (connection) => {
      if (session.destroyed) {
        connection.close('client');
        return;
      }
      const conn = new C2sConn(server, connection, session, 's2s', 'client');
      connection.clientEnd = conn;
      session.conn = conn;
      server.mapConn(conn, session);
      conn.write(new StreamOpen(toHost, server.host));
    });
    if (!isRouted) this.destroy(session, 'No route');
    return true;
  }

  /** The s2s listener's onconnect. */
  accept(connection: Connection): void {
    const server = this.server;
    const session = new Session(`s2sin${++this.sessionSeq}`, server.host);
    session.type = 's2sin';
    session.toHost = server.host;
    const conn = new C2sConn(server, connection, session, 's2s', 'server');
    connection.serverEnd = conn;
    session.conn = conn;
    server.mapConn(conn, session);
    this.incoming.add(session);
  }

  /** stream_callbacks.streamopened for s2s. */
  streamOpened(session: Session, header: StreamOpen): void {
    session.notopen = false;
    this.hadStream.add(session);
    if (session.type !== 's2sin') return;
    session.fromHost = header.from;
    session.send(new StreamOpen(header.from ?? '', this.server.host));
    const features = el('stream:features');
    this.server.hooks.fire('s2s-stream-features', { origin: session, features });
    session.send(features);
  }

  /** An element on an s2s stream after the stanzas/in filters. */
  onElement(session: Session, element: Element): void {
    if (session.type === 's2sout' && element.name === 'stream:features') {
      this.established(session);
      this.server.hooks.fire(`stanza/${xmlnsStreams}:features`, { origin: session, stanza: element });
      return;
    }
    if (element.name === 'stream:error') {
      this.server.closeSession(session, false);
      return;
    }
    this.server.dispatch(session, element);
  }

  /**
   * mark_connected: the stream is trusted; what waited in the send queue goes out as raw data (it
   * bypasses the stanza filters, which is why mod_smacks enables SM only after it).
   */
  private established(session: Session): void {
    this.connectTimers.get(session)?.cancel();
    const sendq = session.sendq ?? [];
    session.sendq = undefined;
    for (const stanza of sendq) session.conn?.write(stanza);
  }

  /** s2smanager.destroy_session */
  destroy(session: Session, reason: string | undefined): void {
    if (session.destroyed) return;
    this.connectTimers.get(session)?.cancel();
    if (session.type === 's2sout') {
      if (this.outgoing.get(session.toHost!) === session) this.outgoing.delete(session.toHost!);
      this.bounceSendq(session, reason);
    } else {
      this.incoming.delete(session);
    }
    this.server.trace.emit({ t: this.server.engine.now, type: 'session.destroy', jid: session.label, reason: reason ?? 'destroyed' });
    this.server.hooks.fire(`${session.type}-destroyed`, { session, reason });
    this.server.retire(session);
  }

  /** mod_s2s bounce_sendq: error replies from the remote domain for what never left. */
  private bounceSendq(session: Session, reason: string | undefined): void {
    const sendq = session.sendq;
    if (sendq === undefined) return;
    session.sendq = undefined;
    const isTimeout = this.hadStream.has(session);
    for (const stanza of sendq) {
      if (stanza.attrs.xmlns !== undefined || !bouncyStanzas.has(stanza.name) || attr(stanza, 'type') === 'error') continue;
      const reply = el(stanza.name, { to: attr(stanza, 'from'), from: attr(stanza, 'to'), id: attr(stanza, 'id'), type: 'error' });
      const error = reply.c('error', { type: isTimeout ? 'wait' : 'cancel', by: session.fromHost });
      error.c(isTimeout ? 'remote-server-timeout' : 'remote-server-not-found', { xmlns: xmlnsStanzaErrors });
      if (reason !== undefined) error.c('text', { xmlns: xmlnsStanzaErrors }).t(`Server-to-server connection failed: ${reason}`);
      this.server.sendFromHost(reply);
    }
  }

  /** An outgoing stream still waits to be established with stanzas queued (settling must wait). */
  get hasPendingSendq(): boolean {
    for (const session of this.outgoing.values()) if (session.sendq !== undefined) return true;
    return false;
  }

  /** Live s2s sessions, both directions (checks). */
  sessions(): Session[] {
    return [...this.outgoing.values(), ...this.incoming];
  }

  /** Outgoing sessions by domain (checks, tests). */
  outgoingTo(host: string): Session | undefined {
    return this.outgoing.get(host);
  }

  get incomingCount(): number {
    return this.incoming.size;
  }
}
