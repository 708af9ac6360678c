/**
 * A c2s session, with the fields Prosody's modules read and write (core/sessionmanager.lua,
 * mod_c2s.lua). Modules keep their own per-session state beside it (mod_smacks in a WeakMap), the way
 * Lua modules hang fields on the session table.
 */
import type { Element } from '../xmpp/stanza.js';
import type { Frame } from '../xmpp/wire.js';

/** A `stanzas/in` or `stanzas/out` filter (util.filters): returns the element, or undefined to drop it. */
export type StanzaFilter = (element: Element, session: Session) => Element | undefined;

/** A `bytes/in` filter: sees each frame from the peer before it is parsed; undefined drops it. */
export type BytesFilter = (frame: Frame, session: Session) => Frame | undefined;

interface FilterEntry {
  filter: StanzaFilter;
  priority: number;
}

/** The per-connection filter chains, which move with the connection on resumption. */
export class FilterChains {
  readonly out: FilterEntry[] = [];
  readonly in: FilterEntry[] = [];
  readonly bytesIn: Array<{ filter: BytesFilter; priority: number }> = [];

  /** util.filters.add_filter: higher priority runs first; one filter function is added once. */
  add(chain: 'stanzas/out' | 'stanzas/in', filter: StanzaFilter, priority: number): void {
    const list = chain === 'stanzas/out' ? this.out : this.in;
    if (list.some((entry) => entry.filter === filter)) return;
    list.push({ filter, priority });
    list.sort((a, b) => b.priority - a.priority);
  }

  /** util.filters.remove_filter */
  remove(chain: 'stanzas/out' | 'stanzas/in', filter: StanzaFilter): void {
    const list = chain === 'stanzas/out' ? this.out : this.in;
    const index = list.findIndex((entry) => entry.filter === filter);
    if (index !== -1) list.splice(index, 1);
  }

  /** `bytes/in` (what arrives before it is parsed; here one frame at a time): add, remove, run. */
  addBytesIn(filter: BytesFilter, priority: number): void {
    if (this.bytesIn.some((entry) => entry.filter === filter)) return;
    this.bytesIn.push({ filter, priority });
    this.bytesIn.sort((a, b) => b.priority - a.priority);
  }

  removeBytesIn(filter: BytesFilter): void {
    const index = this.bytesIn.findIndex((entry) => entry.filter === filter);
    if (index !== -1) this.bytesIn.splice(index, 1);
  }

  runBytesIn(frame: Frame, session: Session): Frame | undefined {
    let current: Frame | undefined = frame;
    for (let index = 0; index < this.bytesIn.length && current !== undefined; index++) {
      current = this.bytesIn[index]!.filter(current, session);
    }
    return current;
  }

  run(chain: 'stanzas/out' | 'stanzas/in', element: Element, session: Session): Element | undefined {
    const list = chain === 'stanzas/out' ? this.out : this.in;
    let current: Element | undefined = element;
    for (let index = 0; index < list.length && current !== undefined; index++) {
      current = list[index]!.filter(current, session);
    }
    return current;
  }
}

/** What a session writes through: the server end of a connection (see c2s.ts). */
export interface SessionConn {
  readonly connId: number;
  session: Session;
  write(frame: Frame): void;
  /** Close the socket (server side). */
  close(): void;
  /** server_epoll pause_writes / resume_writes: hold the write buffer (mod_csi_simple). */
  pauseWrites?(): void;
  resumeWrites?(): void;
}

export type SessionType = 'c2s_unauthed' | 'c2s_unbound' | 'c2s' | 's2sin' | 's2sout';

/** mod_c2s session_close reason: undefined = server-initiated clean close, false = the peer's
 * </stream:stream>, a string = stream error condition, a table = condition + text. */
export type CloseReason = undefined | false | string | { condition: string; text?: string };

export class Session {
  type: SessionType = 'c2s_unauthed';
  username: string | undefined;
  resource: string | undefined;
  fullJid: string | undefined;
  conn: SessionConn | undefined;
  filters = new FilterChains();
  /** A stream header is expected (new connection, or after SASL success). */
  notopen = true;
  destroyed = false;
  /** Replaced by "a function returning false" after close (mod_c2s) or retire (sessionmanager). */
  isSendDisabled = false;
  /** Last available presence; undefined when unavailable. */
  presence: Element | undefined;
  priority: number | undefined;
  /** mod_csi: 'active' | 'inactive' | 'flushing'. */
  state: string | undefined;
  /** mod_mam: the session has issued a MAM query. */
  mamRequested = false;
  /** mod_cloud_notify: the push registration of this session (`session.push_identifier`); the
   * community mod_smacks defers hibernation expiry while it is set. Unused until that module exists. */
  pushIdentifier: string | undefined;
  /** mod_cloud_notify: os.time() of the first push sent while hibernating (`first_hibernated_push`). */
  firstHibernatedPush: number | undefined;
  /** s2s: the two domains of the stream (from_host, to_host). */
  fromHost: string | undefined;
  toHost: string | undefined;
  /** s2sout: stanzas waiting for the stream to be established (mod_s2s sendq). */
  sendq: Element[] | undefined;

  constructor(
    readonly id: string,
    readonly host: string,
  ) {}

  /** session.send: `stanzas/out` filters for elements, then the connection. */
  send(frame: Frame): boolean {
    if (this.isSendDisabled) return false;
    let out: Frame | undefined = frame;
    if ((frame as Element).name !== undefined && (frame as Element).attrs !== undefined) {
      out = this.filters.run('stanzas/out', frame as Element, this);
      if (out === undefined) return true;
    }
    const conn = this.conn;
    if (conn === undefined) return false;
    conn.write(out);
    return true;
  }

  get isS2s(): boolean {
    return this.type === 's2sin' || this.type === 's2sout';
  }

  get label(): string {
    if (this.isS2s) return `${this.type}:${this.fromHost}>${this.toHost}`;
    return this.fullJid ?? (this.username !== undefined ? `${this.username}@${this.host}` : `c2s#${this.id}`);
  }
}
