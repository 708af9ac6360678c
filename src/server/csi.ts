/**
 * mod_csi (Prosody 0.12.3 modules/mod_csi.lua), XEP-0352 Client State Indication: the nonzas
 * `<active/>` and `<inactive/>` in urn:xmpp:csi:0 set `session.state` to the element's name and are
 * re-fired as `csi-client-active` / `csi-client-inactive` with the same event ({origin, stanza}), for
 * mod_csi_simple and mod_smacks to act on.
 *
 * What the Lua says that is easy to get wrong:
 * - the only check is `origin.username`: an authenticated but not yet bound session (and one that
 *   never enabled Stream Management) may change state; before authentication the handler declines,
 *   the nonza is unhandled and the stream is closed with `unsupported-stanza-type`;
 * - the stream feature `<csi xmlns='urn:xmpp:csi:0'/>` is offered to authenticated streams only when
 *   some module handles `csi-client-active` (`csi_handler_available`). mod_smacks hooks that event
 *   itself, so with smacks loaded the feature is always offered, even without mod_csi_simple.
 *
 * Simplified: `csi_handler_available` is looked up when features are built instead of being cached on
 * `module-loaded` events; with a fixed module set the answer is the same.
 */
import { xmlnsCsi } from '../xmpp/ns.js';
import { type Element, el } from '../xmpp/stanza.js';
import type { Server } from './server.js';
import type { Session } from './session.js';

/** The event mod_csi fires (the nonza's own event, passed on unchanged). */
export interface CsiEvent {
  origin: Session;
  stanza: Element;
}

export class Csi {
  constructor(private readonly server: Server) {
    server.hook('stream-features', (event) => {
      if (event.origin.username !== undefined && this.isHandlerAvailable()) event.features.cnode(el('csi', { xmlns: xmlnsCsi }));
      return undefined;
    });
    server.hooks.hook<CsiEvent>(`stanza/${xmlnsCsi}:active`, this.refireEvent('csi-client-active'));
    server.hooks.hook<CsiEvent>(`stanza/${xmlnsCsi}:inactive`, this.refireEvent('csi-client-inactive'));
  }

  /** module.load: `csi_handler_available` is whether anything hooks `csi-client-active`. */
  private isHandlerAvailable(): boolean {
    return this.server.hooks.has('csi-client-active');
  }

  /** refire_event(name) */
  private refireEvent(name: 'csi-client-active' | 'csi-client-inactive'): (event: CsiEvent) => true | undefined {
    return (event) => {
      const session = event.origin;
      if (session.username === undefined) return undefined;
      session.state = event.stanza.name;
      const server = this.server;
      server.trace.emit({ t: server.engine.now, type: 'csi.state', jid: session.label, state: session.state });
      server.hooks.fire(name, event);
      return true;
    };
  }
}
