/**
 * mod_c2s (and mod_s2s's listener) with the bits of net.server_epoll they rely on: the server end of
 * each connection, its write buffer (flushed once per event-loop turn, after `c2s-pre-ondrain` or
 * `s2s-pre-ondrain`), the read timeout, the stream header and features, and the SASL and bind
 * stand-ins for c2s.
 *
 * Simplified on purpose: SASL is PLAIN only with the scenario's passwords (no TLS, no SCRAM); the
 * unauthenticated c2s_timeout is not modelled; the send timeout counts a fixed 256 KiB of socket
 * buffering before writes stop draining; a stream header is accepted without checking `to`, version or namespaces.
 */
import { parse } from 'ltx';
import type { Timer } from '../engine/engine.js';
import type { Connection, ConnectionEnd } from '../net/connection.js';
import { xmlnsBind, xmlnsClient, xmlnsSasl } from '../xmpp/ns.js';
import { type Element, approxBytes, attr, childNs, el, shallowCopy } from '../xmpp/stanza.js';
import { type Frame, RawText, StreamClose, StreamOpen, Whitespace, isElementFrame } from '../xmpp/wire.js';
import type { Server } from './server.js';
import type { Session, SessionConn } from './session.js';

export type StreamKind = 'c2s' | 's2s';

/** Socket buffering (the peer's receive buffer plus our send buffer) before writes stop draining. */
const socketBufferBytes = 256 * 1024;

function frameBytes(frame: Frame): number {
  return isElementFrame(frame) ? approxBytes(frame) : 16;
}

export class C2sConn implements ConnectionEnd, SessionConn {
  session: Session;
  private buffer: Frame[] = [];
  private isFlushScheduled = false;
  private isClosed = false;
  /** close() was called with data still buffered: the socket closes after the next flush. */
  private isClosing = false;
  /** server_epoll `_write_lock` (pause_writes): writes are buffered but not flushed. */
  private isWriteLocked = false;
  private lastReadAt: number;
  private readTimer: Timer | undefined;
  private writeTimer: Timer | undefined;

  constructor(
    private readonly server: Server,
    readonly connection: Connection,
    session: Session,
    /** Which listener owns the connection: it names the events (`c2s-…` or `s2s-…`). */
    readonly kind: StreamKind = 'c2s',
    /** Which end of the connection this is: the accepting server, or the initiator of an s2s stream. */
    readonly side: 'client' | 'server' = 'server',
  ) {
    this.session = session;
    this.lastReadAt = server.engine.now;
    this.armReadTimeout();
  }

  get connId(): number {
    return this.connection.id;
  }

  // ---- writing (server_epoll: buffered, flushed when the socket is writable) ----

  write(frame: Frame): void {
    // server_epoll: close() turns write into a no-op, even while the buffer is still going out.
    if (this.isClosed || this.isClosing) return;
    this.buffer.push(frame);
    if (!this.isWriteLocked) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.isFlushScheduled) return;
    this.isFlushScheduled = true;
    this.server.engine.after(0, () => this.flush());
  }

  /** interface:pause_writes(): keep buffering, stop flushing (mod_csi_simple while inactive). */
  pauseWrites(): void {
    this.isWriteLocked = true;
  }

  /** interface:resume_writes(): flush what was held at the next turn. */
  resumeWrites(): void {
    if (!this.isWriteLocked) return;
    this.isWriteLocked = false;
    if (this.buffer.length > 0) this.scheduleFlush();
  }

  /**
   * onwritable: `c2s-pre-ondrain` first (mod_smacks appends its <r/> here), then everything goes out,
   * then `c2s-ondrain` (mod_csi_simple). A close flushes even paused writes and, as server_epoll's
   * close replaces ondrain with the close itself, fires no `c2s-ondrain`.
   */
  private flush(): void {
    this.isFlushScheduled = false;
    if (this.isClosed) {
      this.buffer = [];
      return;
    }
    const isClosing = this.isClosing;
    if (this.isWriteLocked && !isClosing) return;
    if (this.server.connSession(this) !== undefined) this.server.hooks.fire(`${this.kind}-pre-ondrain`, { session: this.session });
    const frames = this.buffer;
    this.buffer = [];
    const server = this.server;
    const side = this.side;
    for (const frame of frames) {
      server.traceSend(this.connection.id, frame);
      this.connection.write(side, frame);
    }
    if (!isClosing) this.watchUndrained();
    if (isClosing) this.closeNow();
    else if (this.server.connSession(this) !== undefined) this.server.hooks.fire(`${this.kind}-ondrain`, { session: this.session });
  }

  /**
   * conn:close() (server_epoll): with data still buffered the socket closes only once the buffer is
   * written (at the flush of this turn); a second close() before that destroys the socket at once and
   * the buffer is lost. That is what a client sees after a rejected <resume/>: mod_smacks closes the
   * original session, then the router closes the temporary one on the same connection, and nothing
   * of the <failed/> and the stream error goes out (conformance: resume-h-too-high).
   * No disconnect callback reaches mod_c2s for a close we started.
   */
  close(): void {
    if (this.isClosed) return;
    if (this.isClosing || this.buffer.length === 0) {
      this.closeNow();
      return;
    }
    this.isClosing = true;
    this.server.forgetConn(this);
    this.scheduleFlush();
  }

  private closeNow(): void {
    this.isClosed = true;
    this.buffer = [];
    this.readTimer?.cancel();
    this.server.forgetConn(this);
    this.connection.close(this.side);
  }

  // ---- reading ----

  onFrame(received: Frame): void {
    if (this.isClosed) return;
    this.lastReadAt = this.server.engine.now;
    // listener.onincoming → session.data: `bytes/in` filters see the data before it is parsed.
    const mapped = this.server.connSession(this);
    const frame = mapped === undefined || mapped.filters.bytesIn.length === 0 ? received : mapped.filters.runBytesIn(received, mapped);
    if (frame === undefined) return;
    if (frame instanceof RawText) {
      this.onRaw(frame.text);
      return;
    }
    if (frame instanceof Whitespace) return;
    const session = this.server.connSession(this);
    if (session === undefined) return;
    if (frame instanceof StreamOpen) {
      if (this.kind === 's2s') this.server.s2s.streamOpened(session, frame);
      else this.server.streamOpened(session);
      return;
    }
    if (frame instanceof StreamClose) {
      this.server.closeSession(session, false);
      return;
    }
    this.onElement(session, frame);
  }

  /** Raw text from a scripted client is parsed as Prosody's expat parser would see it. */
  private onRaw(text: string): void {
    const session = this.server.connSession(this);
    if (session === undefined) return;
    const trimmed = text.trim();
    if (trimmed === '') return;
    if (trimmed === '</stream:stream>') {
      this.server.closeSession(session, false);
      return;
    }
    let element: Element;
    try {
      element = parse(trimmed) as Element;
    } catch {
      this.server.closeSession(session, 'not-well-formed');
      return;
    }
    this.onElement(session, element);
  }

  private onElement(session: Session, received: Element): void {
    // The stream's default namespace is implied: a stanza that spells it out parses the same.
    let element = received;
    if (element.attrs.xmlns === xmlnsClient) {
      element = shallowCopy(element);
      delete element.attrs.xmlns;
    }
    // util/xmppstream.lua: a complete top-level element without xml:lang gets the stream's language,
    // which is "en" unless the client's stream header says otherwise (ours never does).
    if (element.attrs['xml:lang'] === undefined) {
      if (element === received) element = shallowCopy(element);
      element.attrs['xml:lang'] = 'en';
    }
    if (element.name === 'stream:error') {
      // xmppstream hands a stream error to stream_callbacks.error, not to handlestanza: no stanzas/in
      // filter sees it (so it is not counted in h), and mod_c2s closes with session:close(nil, text),
      // whose text argument session_close ignores: a clean close.
      this.server.traceRecv(this.connection.id, element);
      this.server.closeSession(session, undefined);
      return;
    }
    this.server.traceRecv(this.connection.id, element);
    // stream_callbacks.handlestanza: stanzas/in filters, then the session's runner.
    const filtered = session.filters.run('stanzas/in', element, session);
    if (filtered === undefined) return;
    if (session.notopen) {
      this.server.closeSession(session, 'not-authorized');
      return;
    }
    if (this.kind === 's2s') this.server.s2s.onElement(session, filtered);
    else if (session.type === 'c2s_unauthed') this.onUnauthed(session, filtered);
    else if (session.type === 'c2s_unbound' && this.isBindRequest(filtered)) this.onBind(session, filtered);
    else this.server.dispatch(session, filtered);
  }

  onClose(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.readTimer?.cancel();
    this.buffer = [];
    this.server.connDisconnected(this, reason);
  }

  // ---- SASL and bind stand-ins ----

  private onUnauthed(session: Session, element: Element): void {
    if (element.name === 'auth' && element.attrs.xmlns === xmlnsSasl) {
      const decoded = Buffer.from(element.getText(), 'base64').toString('utf8').split('\u0000');
      const username = decoded[1] ?? '';
      if (this.server.checkPassword(username, decoded[2] ?? '')) {
        session.username = username;
        session.type = 'c2s_unbound';
        session.notopen = true;
        session.send(el('success', { xmlns: xmlnsSasl }));
      } else {
        const failure = el('failure', { xmlns: xmlnsSasl });
        failure.c('not-authorized');
        session.send(failure);
      }
      return;
    }
    if (element.attrs.xmlns !== undefined && element.attrs.xmlns !== xmlnsClient) {
      // SM nonzas before auth reach mod_smacks (resume answers item-not-found); others are unhandled.
      this.server.dispatch(session, element);
      return;
    }
    this.server.closeSession(session, 'not-authorized');
  }

  private isBindRequest(element: Element): boolean {
    return element.name === 'iq' && attr(element, 'type') === 'set' && childNs(element, 'bind', xmlnsBind) !== undefined;
  }

  private onBind(session: Session, request: Element): void {
    const bind = childNs(request, 'bind', xmlnsBind)!;
    const wanted = bind.getChildText('resource') ?? undefined;
    const result = this.server.bindResource(session, wanted === null ? undefined : wanted);
    if (typeof result === 'string') {
      const reply = el('iq', { type: 'error', id: attr(request, 'id') });
      reply.c('error', { type: 'cancel' }).c(result, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' });
      session.send(reply);
      return;
    }
    const reply = el('iq', { type: 'result', id: attr(request, 'id') });
    reply.c('bind', { xmlns: xmlnsBind }).c('jid').t(session.fullJid!);
    session.send(reply);
  }

  // ---- read timeout (server_epoll onreadtimeout → mod_c2s c2s-read-timeout) ----

  private armReadTimeout(): void {
    const timeoutMs = this.server.options.read_timeout * 1000;
    this.readTimer = this.server.engine.at(this.lastReadAt + timeoutMs, () => this.onReadTimer());
  }

  // ---- send timeout (server_epoll: the write buffer did not drain for send_timeout) ----

  /**
   * What the peer does not read piles up in its receive buffer, then in our send buffer; only beyond
   * both does server_epoll's own buffer stop draining and the send timeout start. Modelled as a fixed
   * amount of socket buffering (Linux defaults give a few hundred KiB).
   */
  private watchUndrained(): void {
    if (this.writeTimer !== undefined || this.undrainedBytes() <= socketBufferBytes) return;
    this.writeTimer = this.server.engine.after(this.server.options.send_timeout * 1000, () => {
      this.writeTimer = undefined;
      if (this.isClosed || this.undrainedBytes() <= socketBufferBytes) return;
      // server_epoll onwritetimeout: on("disconnect", "write timeout"); destroy the socket. What the
      // kernels buffered still reaches the peer once it reads; our own buffer is lost.
      this.connection.dropHeldAfter(this.peerSide, this.framesInSocketBuffers());
      this.isClosed = true;
      this.readTimer?.cancel();
      this.connection.close(this.side, 'write timeout');
      this.server.connDisconnected(this, 'write timeout');
    });
  }

  private get peerSide(): 'client' | 'server' {
    return this.side === 'server' ? 'client' : 'server';
  }

  private undrainedBytes(): number {
    let bytes = 0;
    for (const frame of this.connection.heldToward(this.peerSide)) bytes += frameBytes(frame);
    return bytes;
  }

  /** How many of the held frames fit in the socket buffers. */
  private framesInSocketBuffers(): number {
    let bytes = 0;
    let count = 0;
    for (const frame of this.connection.heldToward(this.peerSide)) {
      bytes += frameBytes(frame);
      if (bytes > socketBufferBytes) break;
      count++;
    }
    return count;
  }

  private onReadTimer(): void {
    if (this.isClosed) return;
    const timeoutMs = this.server.options.read_timeout * 1000;
    if (this.server.engine.now < this.lastReadAt + timeoutMs) {
      this.armReadTimeout();
      return;
    }
    const session = this.server.connSession(this);
    const keep = session !== undefined && this.server.hooks.fire(`${this.kind}-read-timeout`, { session }) === true;
    this.server.traceReadTimeout(session, keep);
    if (keep) {
      this.lastReadAt = this.server.engine.now;
      this.armReadTimeout();
      return;
    }
    // server_epoll: on("disconnect", "read timeout"); destroy the socket.
    this.isClosed = true;
    this.connection.close(this.side, 'read timeout');
    this.server.connDisconnected(this, 'read timeout');
  }
}

