/**
 * mod_offline: stores messages handed to `message/offline/handle` (no filtering) and replays them at
 * the user's next initial presence with a host <delay>, then deletes them.
 * Also mod_nooffline_noerror, when switched on: claims every message nobody stored, so no error
 * goes back.
 *
 * Storage is in memory (Prosody's `internal` store would persist across restarts).
 */
import { datetimeStamp } from '../engine/time.js';
import { type Element, el, shallowCopy } from '../xmpp/stanza.js';
import type { Server } from './server.js';

interface StoredMessage {
  stanza: Element;
  storedAtMs: number;
}

export class OfflineStore {
  private readonly stores = new Map<string, StoredMessage[]>();

  constructor(private readonly server: Server) {
    if (server.options.offline) {
      server.hook('message/offline/handle', (event) => this.store(event.username, event.stanza), -1);
      server.hook('message/offline/broadcast', (event) => this.broadcast(event.origin.username!, event.origin), -1);
    }
    if (server.options.nooffline_noerror) server.hook('message/offline/handle', () => true, -100);
  }

  private store(username: string, stanza: Element): true {
    let list = this.stores.get(username);
    if (list === undefined) {
      list = [];
      this.stores.set(username, list);
    }
    list.push({ stanza, storedAtMs: this.server.engine.now });
    this.server.trace.emit({ t: this.server.engine.now, type: 'offline.store', user: username, ...idOf(stanza) });
    return true;
  }

  private broadcast(username: string, origin: { send(element: Element): boolean; fullJid: string | undefined }): true {
    const list = this.stores.get(username);
    if (list === undefined) return true;
    this.stores.delete(username);
    this.server.trace.emit({ t: this.server.engine.now, type: 'offline.fetch', jid: origin.fullJid ?? username, count: list.length });
    for (const { stanza, storedAtMs } of list) {
      const copy = shallowCopy(stanza);
      const stamp = datetimeStamp(this.server.epochMs, storedAtMs);
      copy.children = [...stanza.children, el('delay', { xmlns: 'urn:xmpp:delay', from: this.server.host, stamp })];
      origin.send(copy);
    }
    return true;
  }

  /** Messages waiting for a user (the settle phase fetches them). */
  pending(username: string): number {
    return this.stores.get(username)?.length ?? 0;
  }

  usersWithPending(): string[] {
    return [...this.stores.keys()];
  }
}

function idOf(stanza: Element): { id?: string } {
  const id = stanza.attrs.id as string | undefined;
  return id === undefined ? {} : { id };
}
