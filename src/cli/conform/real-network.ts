/**
 * The real counterpart of the simulator's `Network` for the conformance runner: each link is a TCP
 * connection to a client's fault proxy (or, for the settle phase's fetch logins, straight to the
 * server), carrying the same frames the simulated connections carry. Every socket event enters the
 * client through the real-time driver, so the simulator's `XmppClient` runs unchanged.
 */
import * as net from 'node:net';
import type { ClientLink, ClientNetwork } from '../../net/client-network.js';
import type { ConnectionEnd } from '../../net/connection.js';
import type { FaultKind } from '../../net/network.js';
import type { TraceRecorder } from '../../trace/recorder.js';
import { type Frame, StreamOpen, isElementFrame } from '../../xmpp/wire.js';
import type { FaultProxy } from './proxy.js';
import type { RealTimeDriver } from './realtime.js';
import { StreamParser, serializeFrame } from './xml-stream.js';

export class RealLink implements ClientLink {
  clientEnd: ConnectionEnd | undefined;
  private isClosed = false;
  private readonly parser: StreamParser;
  /** A session was bound or resumed over this link (the server holds a full session on it). */
  private hasSession = false;

  constructor(
    readonly id: number,
    private readonly driver: RealTimeDriver,
    /** undefined: the connection was never established (opened through a black hole or an outage). */
    private readonly socket: net.Socket | undefined,
  ) {
    this.parser = new StreamParser(
      (frame) => {
        if (isElementFrame(frame) && (frame.name === 'resumed' || (frame.name === 'iq' && frame.attrs.type === 'result' && frame.getChild('bind') !== undefined))) {
          this.hasSession = true;
        }
        this.clientEnd?.onFrame(frame);
      },
      (error) => {
        this.socket?.destroy();
        this.gone(`not-well-formed from server: ${error.message}`);
      },
    );
    if (socket === undefined) return;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => driver.run(() => this.parser.write(text)));
    socket.on('end', () => driver.run(() => this.gone('closed')));
    socket.on('error', (error: NodeJS.ErrnoException) => driver.run(() => this.gone(error.code === 'ECONNRESET' ? 'connection reset' : (error.code ?? error.message))));
    socket.on('close', () => driver.run(() => this.gone('closed')));
  }

  write(_from: 'client', frame: Frame): void {
    if (this.isClosed || this.socket === undefined || this.socket.destroyed) return;
    // A new stream header from us means a new document from the server (after SASL success).
    if (frame instanceof StreamOpen) this.parser.reset();
    this.socket.write(serializeFrame(frame));
  }

  close(_from: 'client', _reason?: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.clientEnd = undefined;
    this.socket?.end();
  }

  /**
   * The client let go of this link without closing it (it opened another one to resume) while the
   * server still holds a session on it: the server has yet to notice (the simulator's isAtRest counts
   * such a connection too, as one whose client end is gone).
   */
  get isAbandonedWithSession(): boolean {
    return this.hasSession && this.clientEnd === undefined && !this.isClosed && this.socket !== undefined && !this.socket.destroyed;
  }

  /** The local port of the socket (the proxy sees it as the remote port of its accepted socket). */
  get localPort(): number | undefined {
    return this.socket?.localPort;
  }

  /** The connection ended under us: the client learns once. */
  private gone(reason: string): void {
    this.isClosed = true;
    const end = this.clientEnd;
    this.clientEnd = undefined;
    end?.onClose(reason);
  }
}

export class RealNetwork implements ClientNetwork {
  private linkSeq = 0;
  private readonly links: RealLink[] = [];

  constructor(
    private readonly driver: RealTimeDriver,
    private readonly trace: TraceRecorder,
    /** One proxy per scripted client, by client name. */
    private readonly proxies: ReadonlyMap<string, FaultProxy>,
    /** Paths without a proxy (the settle phase's fetch logins) connect straight to this port. */
    private readonly serverPort: number,
  ) {}

  connect(client: string, onConnected: (link: ClientLink) => void): ClientLink {
    const engine = this.driver.engine;
    const id = ++this.linkSeq;
    this.trace.emit({ t: engine.now, type: 'net.connect', conn: id, client });
    const proxy = this.proxies.get(client);
    if (proxy !== undefined && !proxy.isOpenForNewConnections) return new RealLink(id, this.driver, undefined);
    const socket = net.connect({ port: proxy?.port ?? this.serverPort, host: '127.0.0.1', noDelay: true });
    const link = new RealLink(id, this.driver, socket);
    this.links.push(link);
    // As in the simulator, the link is up one round trip after the attempt (SYN, SYN-ACK).
    const handshakeMs = 2 * (proxy?.transitMs() ?? 0);
    let isTcpUp = false;
    let isDelayOver = handshakeMs === 0;
    const ready = (): void => {
      if (isTcpUp && isDelayOver && !socket.destroyed) onConnected(link);
    };
    socket.once('connect', () =>
      this.driver.run(() => {
        isTcpUp = true;
        ready();
      }),
    );
    if (!isDelayOver) {
      engine.after(handshakeMs, () => {
        isDelayOver = true;
        ready();
      });
    }
    return link;
  }

  /** Local ports of links with a session on the server that their client abandoned without closing. */
  abandonedPorts(): Set<number> {
    const ports = new Set<number>();
    for (const link of this.links) {
      const port = link.localPort;
      if (link.isAbandonedWithSession && port !== undefined) ports.add(port);
    }
    return ports;
  }

  fault(client: string, kind: FaultKind, delayMs = 0): void {
    const proxy = this.proxies.get(client);
    if (proxy === undefined) throw new RangeError(`no proxy for client '${client}'`);
    this.trace.emit({ t: this.driver.engine.now, type: 'net.fault', client, fault: kind });
    proxy.apply(kind, delayMs);
  }
}
