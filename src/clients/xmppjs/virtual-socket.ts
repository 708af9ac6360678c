/**
 * A Node `net.Socket` look-alike over the simulated network, for xmpp.js's TCP transport
 * (@xmpp/connection-tcp): xmpp.js creates it with `new Socket()`, calls `connect(params)`,
 * `write(text, callback)` and `end()`, reads `secure`, and listens for `connect`, `data`, `error` and
 * `close(hadError)`. Everything it writes is parsed into frames and carried by a simulated connection;
 * every frame that arrives is turned back into text.
 *
 * How it maps TCP onto the simulator's connections (net/connection.ts):
 * - connect: the SYN goes out at once; Linux retransmits a lost SYN after 1, 2, 4, … 32 s
 *   (`tcp_syn_retries` = 6) and gives up 127 s after the first one with ETIMEDOUT. Each retransmission
 *   is a new simulated connection attempt (the one before is let go), because the simulator drops a
 *   SYN that meets a black hole or an outage instead of holding it.
 * - write: the callback runs in a microtask (Node runs it on the next tick once the kernel took the
 *   bytes); writing after `end()` or after the close fails through the callback, as in Node.
 * - end: FIN (a half-close): we keep reading until the server's FIN, then `close(false)`. xmpp.js
 *   itself stops waiting after its 2 s socket-close timeout on a dead link.
 * - the server's FIN: `close(false)` (Node's `allowHalfOpen: false` ends our side too); a reset or a
 *   retransmission give-up: `error` (ECONNRESET, ETIMEDOUT) then `close(true)`.
 * - `secure` is true: real deployments run c2s over TLS, which the simulator does not model, and
 *   xmpp.js picks PLAIN (the only mechanism the simulated server offers) only on a secure socket.
 * - an error after xmpp.js has let go of the socket (its 2 s close wait ran out, then the kernel gave
 *   up on the dead link) is not raised: Node would throw it as an uncaught exception, a browser's
 *   WebSocket would not; we take the browser's side, where xmpp.js mostly runs.
 */
import { EventEmitter } from 'node:events';
import type { Engine, Timer } from '../../engine/engine.js';
import type { ClientLink, ClientNetwork } from '../../net/client-network.js';
import type { ConnectionEnd } from '../../net/connection.js';
import { synGiveUpMs, synRetransmitAtMs } from '../../net/path.js';
import type { Frame } from '../../xmpp/wire.js';
import type { VirtualGlobals } from './virtual-globals.js';
import { ClientStreamParser, serverFrameText } from './xml-frames.js';

/** When each SYN retransmission goes out, and when connect() gives up (ms after the first SYN). */
export { synGiveUpMs, synRetransmitAtMs };

/** What the socket needs from the model that owns it. */
export interface SocketBinding {
  /** The owner of the xmpp.js code this socket talks to (VirtualGlobals), and the network path. */
  readonly owner: string;
  readonly pathName: string;
  readonly engine: Engine;
  readonly network: ClientNetwork;
  readonly globals: VirtualGlobals;
  /** A frame crossed the socket (for the trace). */
  onSent(frame: Frame, link: ClientLink): void;
  onReceived(frame: Frame, link: ClientLink): void;
  /** The bytes xmpp.js wrote were not well-formed XML: the frames after them are lost. */
  onBadOutput(error: Error): void;
}

export interface VirtualSocketClass {
  new (): EventEmitter;
}

/** A Socket class bound to one client (xmpp.js instantiates it with no arguments). */
export function virtualSocketClass(binding: SocketBinding): VirtualSocketClass {
  return class VirtualSocket extends EventEmitter implements ConnectionEnd {
    readonly secure = true;
    private link: ClientLink | undefined;
    private isConnected = false;
    private isEnded = false;
    private isClosed = false;
    private synTimers: Timer[] = [];
    private streams = 0;
    private readonly parser = new ClientStreamParser(
      (frame) => this.send(frame),
      (error) => binding.onBadOutput(error),
    );

    connect(_params: unknown): this {
      const engine = binding.engine;
      this.attempt();
      for (const atMs of synRetransmitAtMs) {
        this.synTimers.push(engine.after(atMs, () => this.attempt()));
      }
      this.synTimers.push(engine.after(synGiveUpMs, () => this.gone('ETIMEDOUT', true)));
      return this;
    }

    /** One SYN: a new simulated connection attempt; the previous one, never answered, is let go. */
    private attempt(): void {
      if (this.isConnected || this.isClosed) return;
      this.abandon();
      const link = binding.network.connect(binding.pathName, (connected) => {
        if (connected !== this.link || this.isClosed) return;
        this.isConnected = true;
        this.cancelSyn();
        binding.globals.enter(binding.owner, () => this.emit('connect'));
      });
      // Attached at once, so a reset while connecting reaches onClose.
      link.clientEnd = this;
      this.link = link;
    }

    private abandon(): void {
      const link = this.link;
      if (link === undefined) return;
      link.close('client', 'syn retransmit');
      if (link.clientEnd === this) link.clientEnd = undefined;
      this.link = undefined;
    }

    private cancelSyn(): void {
      for (const timer of this.synTimers) timer.cancel();
      this.synTimers = [];
    }

    write(data: string | Uint8Array, callback?: (error?: Error) => void): boolean {
      if (!this.isConnected || this.isEnded || this.isClosed) {
        const error = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
        if (callback !== undefined) queueMicrotask(() => callback(error));
        return false;
      }
      this.parser.write(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
      if (callback !== undefined) queueMicrotask(() => callback());
      return true;
    }

    private send(frame: Frame): void {
      const link = this.link;
      if (link === undefined) return;
      binding.onSent(frame, link);
      link.write('client', frame);
    }

    end(): this {
      if (this.isEnded || this.isClosed) return this;
      this.isEnded = true;
      const link = this.link;
      if (!this.isConnected || link === undefined) {
        this.cancelSyn();
        this.abandon();
        this.gone(undefined, false);
        return this;
      }
      link.close('client', 'end');
      // Half-close: the FIN is on its way, and we still hear the server until its own FIN.
      if (!this.isClosed) link.clientEnd = this;
      return this;
    }

    destroy(): this {
      if (this.isClosed) return this;
      const link = this.link;
      if (link !== undefined) {
        link.close('client', 'destroy');
        if (link.clientEnd === this) link.clientEnd = undefined;
      }
      this.cancelSyn();
      this.gone(undefined, false);
      return this;
    }

    // ---- ConnectionEnd: what the simulated connection tells us ----

    onFrame(frame: Frame): void {
      if (this.isClosed) return;
      const link = this.link!;
      binding.onReceived(frame, link);
      const text = serverFrameText(frame, `${link.id}-${++this.streams}`);
      binding.globals.enter(binding.owner, () => this.emit('data', text));
    }

    onClose(reason: string): void {
      if (this.isClosed) return;
      if (reason === 'closed') this.gone(undefined, false);
      else this.gone(reason === 'connection reset' ? 'ECONNRESET' : reason, true);
    }

    /** The socket is closed for good: an error first if there was one, then `close(hadError)`. */
    private gone(code: string | undefined, hadError: boolean): void {
      if (this.isClosed) return;
      this.isClosed = true;
      this.cancelSyn();
      const link = this.link;
      if (link !== undefined && link.clientEnd === this) link.clientEnd = undefined;
      binding.globals.enter(binding.owner, () => {
        if (code !== undefined && this.listenerCount('error') > 0) this.emit('error', Object.assign(new Error(code), { code }));
        this.emit('close', hadError);
      });
    }
  };
}
