/**
 * A fault-injecting TCP proxy between one scripted client and the real server: one listening port per
 * client, one upstream connection per accepted connection. It applies the simulator's scripted faults
 * (src/net/network.ts, connection.ts) to real bytes:
 *
 * - `blackhole`: the client's existing connections are dead for good: bytes are dropped both ways and
 *   nobody is told (no FIN, no RST), even after `heal`. New connections cannot be made until `heal`
 *   (the real network layer does not even open them, see real-network.ts).
 * - `outage`: bytes (and FINs) are held in both directions and delivered in order after `heal`.
 * - `reset`: both sockets of every connection are reset (RST); data in flight is lost.
 * - `freeze`: bytes (and FINs) toward the client are held until `heal`, on the connections that
 *   exist now (the client application stopped reading).
 * - `delay`: every chunk written from now on takes `ms` longer in each direction, without
 *   overtaking earlier ones; `heal` ends it.
 *
 * Not modelled, as in the simulator's `loopback` profile: jitter, loss, and TCP's retransmission
 * give-up during an outage (scripts heal long before 15 minutes).
 */
import * as net from 'node:net';
import type { FaultKind } from '../../net/network.js';

const fin = Symbol('FIN');
type Chunk = Buffer | typeof fin;

class Direction {
  /** Chunks on their way, each with its delivery time (ms, performance.now()). */
  readonly queue: Array<{ at: number; chunk: Chunk }> = [];
  /** Chunks held by an outage or a freeze, in order. */
  held: Chunk[] = [];
  lastDeliveryAt = 0;
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly towardClient: boolean,
    readonly target: net.Socket,
  ) {}
}

class Pair {
  isDead = false;
  isFrozen = false;
  isReset = false;
  isClientGone = false;
  isServerOpen = true;
  /** A FIN came from that side: it reads no more, and bytes still on their way to it are dropped. */
  hasClientEnded = false;
  hasServerEnded = false;
  readonly toServer: Direction;
  readonly toClient: Direction;
  constructor(
    readonly down: net.Socket,
    readonly up: net.Socket,
  ) {
    this.toServer = new Direction(false, up);
    this.toClient = new Direction(true, down);
  }
}

export type PathFault = 'none' | 'blackhole' | 'outage';

export class FaultProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<Pair>();
  fault: PathFault = 'none';
  extraDelayMs = 0;
  port = 0;

  constructor(
    readonly name: string,
    private readonly upstreamPort: number,
    /** One-way base latency added to every chunk (the path's `latencyMs`). */
    private readonly latencyMs: number,
  ) {
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (down) => this.accept(down));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Whether a new connection can be made now (not through a black hole or an outage). */
  get isOpenForNewConnections(): boolean {
    return this.fault === 'none';
  }

  /** One-way transit time now (base latency plus a `delay` fault). */
  transitMs(): number {
    return this.latencyMs + this.extraDelayMs;
  }

  private accept(down: net.Socket): void {
    const up = net.connect({ port: this.upstreamPort, host: '127.0.0.1', allowHalfOpen: true, noDelay: true });
    const pair = new Pair(down, up);
    this.pairs.add(pair);
    // A connection that arrives through a black hole or an outage is never carried.
    if (this.fault !== 'none') pair.isDead = true;
    down.on('data', (data: Buffer) => this.transmit(pair, pair.toServer, data));
    up.on('data', (data: Buffer) => this.transmit(pair, pair.toClient, data));
    down.on('end', () => {
      pair.isClientGone = true;
      pair.hasClientEnded = true;
      this.transmit(pair, pair.toServer, fin);
    });
    up.on('end', () => {
      pair.hasServerEnded = true;
      this.transmit(pair, pair.toClient, fin);
    });
    down.on('error', () => this.lost(pair, 'client'));
    up.on('error', () => this.lost(pair, 'server'));
    down.on('close', () => {
      pair.isClientGone = true;
      this.forgetIfClosed(pair);
    });
    up.on('close', () => {
      pair.isServerOpen = false;
      // A dead link's client is not told: its socket stays open until it gives up itself.
      this.forgetIfClosed(pair);
    });
  }

  /** A socket error (a reset from one side): the other side is reset too, unless the link is dead. */
  private lost(pair: Pair, side: 'client' | 'server'): void {
    if (side === 'client') pair.isClientGone = true;
    else pair.isServerOpen = false;
    // After its FIN an end may refuse late bytes; that is not a reset of the link.
    if (pair.isDead || pair.isReset || (side === 'client' ? pair.hasClientEnded : pair.hasServerEnded)) return;
    pair.isReset = true;
    if (side === 'client') pair.up.resetAndDestroy();
    else pair.down.resetAndDestroy();
  }

  private forgetIfClosed(pair: Pair): void {
    if (pair.down.destroyed && pair.up.destroyed) {
      for (const direction of [pair.toServer, pair.toClient]) if (direction.timer !== undefined) clearTimeout(direction.timer);
      this.pairs.delete(pair);
    }
  }

  private transmit(pair: Pair, direction: Direction, chunk: Chunk): void {
    if (pair.isReset) return;
    if (pair.isDead) {
      this.drop(pair, direction, chunk);
      return;
    }
    if (this.fault === 'outage' || (direction.towardClient && pair.isFrozen)) {
      direction.held.push(chunk);
      return;
    }
    const now = performance.now();
    const at = Math.max(now + this.transitMs(), direction.lastDeliveryAt);
    direction.lastDeliveryAt = at;
    direction.queue.push({ at, chunk });
    this.pump(pair, direction);
  }

  private pump(pair: Pair, direction: Direction): void {
    if (direction.timer !== undefined) return;
    while (direction.queue.length > 0) {
      const head = direction.queue[0]!;
      const waitMs = head.at - performance.now();
      if (waitMs > 0.5) {
        direction.timer = setTimeout(() => {
          direction.timer = undefined;
          this.pump(pair, direction);
        }, waitMs);
        return;
      }
      direction.queue.shift();
      this.arrive(pair, direction, head.chunk);
    }
  }

  private arrive(pair: Pair, direction: Direction, chunk: Chunk): void {
    if (pair.isReset) return;
    if (pair.isDead) {
      this.drop(pair, direction, chunk);
      return;
    }
    if (direction.towardClient && pair.isFrozen) {
      direction.held.push(chunk);
      return;
    }
    const target = direction.target;
    if (target.destroyed) return;
    if (chunk === fin) {
      target.end();
      return;
    }
    // As in the simulator, data that reaches an end which has closed is dropped.
    if (direction.towardClient ? pair.hasClientEnded : pair.hasServerEnded) return;
    target.write(chunk);
  }

  /** A dead link carries nothing; a FIN into it only lets us release that socket. */
  private drop(pair: Pair, direction: Direction, chunk: Chunk): void {
    if (chunk !== fin) return;
    const source = direction.towardClient ? pair.up : pair.down;
    source.destroy();
  }

  apply(kind: FaultKind, delayMs = 0): void {
    switch (kind) {
      case 'reset':
        for (const pair of this.pairs) {
          if (pair.isReset) continue;
          pair.isReset = true;
          for (const direction of [pair.toServer, pair.toClient]) direction.queue.length = 0;
          pair.down.resetAndDestroy();
          pair.up.resetAndDestroy();
        }
        break;
      case 'blackhole':
        this.fault = 'blackhole';
        for (const pair of this.pairs) pair.isDead = true;
        break;
      case 'outage':
        if (this.fault === 'none') this.fault = 'outage';
        break;
      case 'freeze':
        for (const pair of this.pairs) pair.isFrozen = true;
        break;
      case 'delay':
        this.extraDelayMs = delayMs;
        break;
      case 'heal':
        this.fault = 'none';
        this.extraDelayMs = 0;
        for (const pair of this.pairs) {
          pair.isFrozen = false;
          for (const direction of [pair.toServer, pair.toClient]) {
            const held = direction.held;
            direction.held = [];
            for (const chunk of held) this.transmit(pair, direction, chunk);
          }
        }
        break;
    }
  }

  get isFaulty(): boolean {
    return this.fault !== 'none' || this.extraDelayMs > 0 || [...this.pairs].some((pair) => pair.isFrozen);
  }

  /**
   * Connections the server still holds although their client is gone (closed its end, caught in a
   * black hole, or abandoned: `abandonedPorts` are the client-side ports of sockets their client no
   * longer reads): the server has yet to notice and act (read timeout, hibernation). The settle
   * phase waits for none to be left, like the simulator's `isAtRest`.
   */
  orphanCount(abandonedPorts: ReadonlySet<number> = new Set()): number {
    let count = 0;
    for (const pair of this.pairs) {
      const isAbandoned = pair.down.remotePort !== undefined && abandonedPorts.has(pair.down.remotePort);
      if (pair.isServerOpen && !pair.isReset && (pair.isDead || pair.isClientGone || isAbandoned)) count++;
    }
    return count;
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      for (const direction of [pair.toServer, pair.toClient]) if (direction.timer !== undefined) clearTimeout(direction.timer);
      pair.down.destroy();
      pair.up.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
