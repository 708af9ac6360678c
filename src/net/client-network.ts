/**
 * What a client sees of the network: it opens links to the server, writes frames into them, closes
 * them, and hears frames and closes through its `ConnectionEnd`. The simulated `Network` and
 * `Connection` fit these shapes; so do the real TCP links of the conformance runner (src/cli/conform/),
 * which lets the very same client and script runner drive a real Prosody.
 */
import type { Frame } from '../xmpp/wire.js';
import type { ConnectionEnd } from './connection.js';
import type { FaultKind } from './network.js';

/** The client's end of one connection. */
export interface ClientLink {
  readonly id: number;
  /** Set by the client once the link is up; undefined once the client let go of it. */
  clientEnd: ConnectionEnd | undefined;
  write(from: 'client', frame: Frame): void;
  /** Orderly close (FIN) from the client. */
  close(from: 'client', reason?: string): void;
}

export interface ClientNetwork {
  /**
   * Open a link for `client` (its path name). `onConnected` runs when the link is up; through a
   * black hole it never runs (the caller's timeout decides).
   */
  connect(client: string, onConnected: (link: ClientLink) => void): ClientLink;
  /** Apply a scripted fault to the client's path. */
  fault(client: string, kind: FaultKind, delayMs?: number): void;
}
