/**
 * The network: one path per client, the connections over it, and the faults applied to them, either
 * scripted (a step at a time) or drawn at random from rates per hour (see profile.ts). It also carries
 * what a device's operating system does to its app's sockets (clients/device.ts): freezing the reader
 * of a suspended app, cutting network access in Doze, and telling the app its network changed.
 */
import type { Engine } from '../engine/engine.js';
import type { RngStreams } from '../engine/rng.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { Connection } from './connection.js';
import { NetPath, type PathOptions } from './path.js';

/**
 * `handover` is a blackhole whose end the client hears about (the OS reports the new network): the old
 * flows stay dead, new connections work again after `heal`.
 */
export type FaultKind = 'reset' | 'blackhole' | 'outage' | 'freeze' | 'heal' | 'delay' | 'handover';

export interface ServerListener {
  /** A new connection reached the server (after the one-way latency of the SYN). */
  accept(connection: Connection): void;
}

export class Network {
  private readonly paths = new Map<string, NetPath>();
  private readonly live = new Map<string, Connection[]>();
  private connectionSeq = 0;
  /** Servers by domain: a path leads to one of them. */
  private readonly listeners = new Map<string, ServerListener>();
  /** The domain a path's connections go to. */
  private readonly destinations = new Map<string, string>();
  private defaultHost = '';
  /** Who hears that a path's network changed (the client model driving it). */
  private readonly changeListeners = new Map<string, () => void>();

  constructor(
    private readonly engine: Engine,
    private readonly rngs: RngStreams,
    private readonly trace: TraceRecorder,
  ) {}

  /** A server accepts connections for `host`; the first one registered is where paths lead by default. */
  listen(host: string, listener: ServerListener): void {
    if (this.listeners.size === 0) this.defaultHost = host;
    this.listeners.set(host, listener);
  }

  /** Paths lead to the default server unless `host` names another one. */
  addPath(client: string, options: PathOptions, host?: string): NetPath {
    if (host !== undefined) this.destinations.set(client, host);
    // A NAT timeout range is drawn once per path, from its own stream (the transit stream stays as it was).
    const natIdleMs = options.natIdleMsMax > options.natIdleMs ? this.rngs.stream(`nat/${client}`).int(options.natIdleMs, options.natIdleMsMax) : options.natIdleMs;
    const path = new NetPath(client, options, this.rngs.stream(`net/${client}`), natIdleMs);
    this.paths.set(client, path);
    this.live.set(client, []);
    return path;
  }

  path(client: string): NetPath {
    const path = this.paths.get(client);
    if (path === undefined) throw new RangeError(`no network path for client '${client}'`);
    return path;
  }

  /**
   * Open a connection for `client` (a path name) to the path's server, or to the listener named by
   * `destination`. `onConnected` runs one round trip later if the path lets the handshake through;
   * through a blackhole it never runs (the caller's connect timeout decides).
   */
  connect(client: string, onConnected: (connection: Connection) => void, destination?: string): Connection {
    const path = this.path(client);
    const connection = new Connection(++this.connectionSeq, path, this.engine, this.trace);
    const connections = this.live.get(client)!;
    for (let index = connections.length - 1; index >= 0; index--) {
      const old = connections[index]!;
      if (old.clientEnd === undefined && old.serverEnd === undefined) connections.splice(index, 1);
    }
    connections.push(connection);
    this.trace.emit({ t: this.engine.now, type: 'net.connect', conn: connection.id, client });
    const oneWayMs = path.transitMs();
    this.engine.after(oneWayMs, () => {
      if (connection.isBlackholed || path.isHolding) return;
      this.listeners.get(destination ?? this.destinations.get(client) ?? this.defaultHost)?.accept(connection);
      this.engine.after(path.transitMs(), () => {
        if (!connection.isBlackholed && connection.isOpen) onConnected(connection);
      });
    });
    return connection;
  }

  connections(client: string): readonly Connection[] {
    return this.live.get(client) ?? [];
  }

  /**
   * Apply a fault to the client's path and its live connections. `durationMs`, when the caller has
   * already decided when it heals, goes into the trace (a recorded fault schedule replays from it).
   */
  fault(client: string, kind: FaultKind, delayMs = 0, durationMs?: number): void {
    const path = this.path(client);
    if (durationMs === undefined) this.trace.emit({ t: this.engine.now, type: 'net.fault', client, fault: kind });
    else this.trace.emit({ t: this.engine.now, type: 'net.fault', client, fault: kind, durationMs });
    switch (kind) {
      case 'reset':
        for (const connection of this.connections(client)) connection.reset();
        break;
      case 'blackhole':
      case 'handover':
        path.fault = 'blackhole';
        path.blackholeEpoch++;
        path.isHandover = kind === 'handover';
        break;
      case 'outage':
        if (path.fault === 'none') path.fault = 'outage';
        break;
      case 'freeze':
        for (const connection of this.connections(client)) connection.isClientFrozen = true;
        break;
      case 'delay':
        path.extraDelayMs = delayMs;
        break;
      case 'heal': {
        const wasHandover = path.isHandover;
        path.fault = 'none';
        path.isHandover = false;
        path.extraDelayMs = 0;
        for (const connection of this.connections(client)) {
          connection.isClientFrozen = false;
          connection.release();
        }
        if (wasHandover) this.changeListeners.get(client)?.();
        break;
      }
    }
  }

  /**
   * Settle: NAT mappings stop expiring (the network has healed). A mapping already expired stays
   * gone, so it is looked at once before the timeout is switched off.
   */
  endNatExpiry(): void {
    for (const [client, path] of this.paths) {
      if (path.natIdleMs === 0) continue;
      for (const connection of this.connections(client)) void connection.isNatExpired;
      path.natIdleMs = 0;
    }
  }

  /** `listener` hears when the network of `client`'s path changed (the end of a handover). */
  onNetworkChange(client: string, listener: () => void): void {
    this.changeListeners.set(client, listener);
  }

  /**
   * The app behind `client` is frozen by its OS (iOS suspension) or runs again: while frozen, frames to
   * it wait in its connections (the kernel keeps the socket; nobody reads it).
   */
  setAppFrozen(client: string, isFrozen: boolean): void {
    for (const connection of this.connections(client)) {
      if (connection.isClientFrozen === isFrozen) continue;
      connection.isClientFrozen = isFrozen;
      if (!isFrozen) connection.release();
    }
  }

  /**
   * The device behind `client` loses or regains network access (Android Doze outside maintenance
   * windows): frames are held as in an outage, new connections cannot be made.
   */
  setDeviceOffline(client: string, isOffline: boolean): void {
    const path = this.path(client);
    if (path.isDeviceOffline === isOffline) return;
    path.isDeviceOffline = isOffline;
    this.trace.emit({ t: this.engine.now, type: 'net.fault', client, fault: isOffline ? 'device-offline' : 'device-online' });
    if (!isOffline) for (const connection of this.connections(client)) connection.release();
  }
}
