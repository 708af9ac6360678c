/**
 * One TCP connection between a client and the server, carrying frames (see xmpp/wire.ts) in order in
 * both directions while it lives.
 *
 * Simplifications, on purpose: delivery is per frame, not per segment; a graceful close (FIN) travels
 * behind the data like any frame; a reset is noticed by both ends one one-way latency after it
 * happens; there are no kernel buffers: a frozen reader holds frames without blocking the writer,
 * and the writer learns how much is held back from `heldToward` (the server's send timeout).
 *
 * NAT idle expiry (`path.natIdleMs`): each connection remembers when a frame last crossed it, either
 * way; once it has been idle longer than the path's NAT timeout its mapping is gone and it is dead
 * for good, exactly like a connection caught in a black hole: frames are dropped silently and a
 * writer learns only from TCP's retransmission give-up. A new connection gets a new mapping.
 */
import type { Engine, Timer } from '../engine/engine.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { type Frame, StreamClose, frameName, isElementFrame } from '../xmpp/wire.js';
import type { NetPath } from './path.js';

export interface ConnectionEnd {
  /** A frame arrived. */
  onFrame(frame: Frame): void;
  /** The connection is gone for this end: `reason` is what the socket reported. */
  onClose(reason: string): void;
}

export type Side = 'client' | 'server';

class Direction {
  lastDeliveryAt = 0;
  /** Frames held by an outage or a frozen reader, in order. */
  held: Frame[] = [];
  giveUpTimer: Timer | undefined = undefined;
  constructor(readonly toward: Side) {}
}

export class Connection {
  /** The two ends; an end is undefined once it has closed or learned of the close. */
  clientEnd: ConnectionEnd | undefined;
  serverEnd: ConnectionEnd | undefined;
  /** False after a reset: nothing more is carried. */
  isOpen = true;
  /** The client application stopped reading (freeze): frames to it are held. */
  isClientFrozen = false;
  private readonly toServer = new Direction('server');
  private readonly toClient = new Direction('client');
  private readonly blackholeEpoch: number;
  /** Last time a frame crossed this connection (either way): its NAT mapping's idle clock. */
  private lastActivityAt: number;
  private isNatExpiryTraced = false;
  /** The mapping has been found expired once: it never comes back (even if NAT expiry is turned off). */
  private isNatLost = false;

  constructor(
    readonly id: number,
    readonly path: NetPath,
    private readonly engine: Engine,
    private readonly trace: TraceRecorder,
  ) {
    this.blackholeEpoch = path.blackholeEpoch;
    this.lastActivityAt = engine.now;
  }

  /** Dead for good: caught by a blackhole (still in force or healed since), or its NAT mapping expired. */
  get isBlackholed(): boolean {
    return this.path.blackholeEpoch !== this.blackholeEpoch || this.path.fault === 'blackhole' || this.isNatExpired;
  }

  /** Idle longer than the path's NAT timeout: the mapping is gone (checked lazily, it never comes back). */
  get isNatExpired(): boolean {
    if (this.isNatLost) return true;
    const natIdleMs = this.path.natIdleMs;
    if (natIdleMs > 0 && this.engine.now - this.lastActivityAt > natIdleMs) this.isNatLost = true;
    return this.isNatLost;
  }

  private endOf(side: Side): ConnectionEnd | undefined {
    return side === 'client' ? this.clientEnd : this.serverEnd;
  }

  write(from: Side, frame: Frame): void {
    if (!this.isOpen || this.endOf(from) === undefined) return;
    this.transmit(from === 'client' ? this.toServer : this.toClient, frame);
  }

  private transmit(direction: Direction, frame: Frame): void {
    if (this.isBlackholed) {
      if (this.isNatExpired && !this.isNatExpiryTraced) {
        this.isNatExpiryTraced = true;
        this.trace.emit({ t: this.engine.now, type: 'net.nat-expired', conn: this.id, idleMs: this.engine.now - this.lastActivityAt });
      }
      this.dropFrame(direction, frame);
      this.armGiveUp(direction);
      return;
    }
    const path = this.path;
    if (path.isHolding || (direction.toward === 'client' && this.isClientFrozen)) {
      direction.held.push(frame);
      if (path.isHolding) this.armGiveUp(direction);
      return;
    }
    const now = this.engine.now;
    let transit = path.transitMs();
    if (path.options.wakeDelayMs > 0 && now - path.lastActivityAt > path.options.wakeAfterIdleMs) transit += path.options.wakeDelayMs;
    this.lastActivityAt = now;
    path.lastActivityAt = now;
    const at = Math.max(now + transit, direction.lastDeliveryAt);
    direction.lastDeliveryAt = at;
    this.engine.at(at, () => this.arrive(direction, frame));
  }

  private arrive(direction: Direction, frame: Frame): void {
    if (!this.isOpen) return;
    if (this.isBlackholed) {
      this.dropFrame(direction, frame);
      return;
    }
    if (direction.toward === 'client' && this.isClientFrozen) {
      direction.held.push(frame);
      return;
    }
    this.endOf(direction.toward)?.onFrame(frame);
  }

  private dropFrame(direction: Direction, frame: Frame): void {
    const id = isElementFrame(frame) ? (frame.attrs.id as string | undefined) : undefined;
    if (id === undefined) this.trace.emit({ t: this.engine.now, type: 'net.drop', conn: this.id, toward: direction.toward, name: frameName(frame) });
    else this.trace.emit({ t: this.engine.now, type: 'net.drop', conn: this.id, toward: direction.toward, name: frameName(frame), id });
  }

  /** TCP retransmission give-up: the writer (the side opposite `toward`) learns the link is dead. */
  private armGiveUp(direction: Direction): void {
    const giveUpMs = this.path.options.tcpGiveUpMs;
    if (giveUpMs <= 0 || direction.giveUpTimer !== undefined) return;
    direction.giveUpTimer = this.engine.after(giveUpMs, () => {
      direction.giveUpTimer = undefined;
      this.abort(direction.toward === 'client' ? 'server' : 'client', 'ETIMEDOUT');
    });
  }

  /**
   * Frames written toward `side` that an outage or a frozen reader holds back: what sits in the
   * kernels' socket buffers and then in the writer's own buffer (server_epoll's send timeout).
   */
  heldToward(side: Side): readonly Frame[] {
    return side === 'client' ? this.toClient.held : this.toServer.held;
  }

  /** The writer destroyed its socket: what it still had buffered itself (beyond `keep`) is gone. */
  dropHeldAfter(side: Side, keep: number): void {
    const direction = side === 'client' ? this.toClient : this.toServer;
    for (const frame of direction.held.splice(keep)) this.dropFrame(direction, frame);
  }

  /** Deliver what an outage or a freeze held back (called by the fault layer on heal/thaw). */
  release(): void {
    for (const direction of [this.toServer, this.toClient]) {
      if (direction.giveUpTimer !== undefined && this.path.fault === 'none' && !this.path.isDeviceOffline) {
        direction.giveUpTimer.cancel();
        direction.giveUpTimer = undefined;
      }
      if (direction.toward === 'client' && this.isClientFrozen) continue;
      const held = direction.held;
      direction.held = [];
      for (const frame of held) {
        if (frame === finMarker) this.sendFin(direction);
        else this.transmit(direction, frame);
      }
    }
  }

  /**
   * Orderly close from one side (FIN): it travels behind the data, and the other end learns when it
   * arrives. The closing side stops receiving at once.
   */
  close(from: Side, reason = 'closed'): void {
    if (!this.isOpen || this.endOf(from) === undefined) return;
    if (from === 'client') this.clientEnd = undefined;
    else this.serverEnd = undefined;
    this.trace.emit({ t: this.engine.now, type: 'net.close', conn: this.id, side: from, reason });
    this.sendFin(from === 'client' ? this.toServer : this.toClient);
  }

  private sendFin(direction: Direction): void {
    if (this.isBlackholed) return;
    if (this.path.isHolding || (direction.toward === 'client' && this.isClientFrozen)) {
      direction.held.push(finMarker);
      return;
    }
    const at = Math.max(this.engine.now + this.path.transitMs(), direction.lastDeliveryAt);
    direction.lastDeliveryAt = at;
    this.engine.at(at, () => {
      if (direction.toward === 'client' && this.isClientFrozen) direction.held.push(finMarker);
      else if (!this.isBlackholed) this.endFor(direction.toward, 'closed');
    });
  }

  /** Reset: data in flight is lost; both ends learn after the one-way latency. */
  reset(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.engine.after(this.path.options.latencyMs, () => {
      this.endFor('client', 'connection reset');
      this.endFor('server', 'connection reset');
    });
  }

  /** One side gives up on the connection (error, timeout): only that side learns, now. */
  abort(side: Side, reason: string): void {
    this.endFor(side, reason);
  }

  private endFor(side: Side, reason: string): void {
    const end = this.endOf(side);
    if (end === undefined) return;
    if (side === 'client') this.clientEnd = undefined;
    else this.serverEnd = undefined;
    end.onClose(reason);
  }
}

/** Placeholder for a FIN held back by an outage or freeze, released in order with the data. */
const finMarker: Frame = new StreamClose();
