/**
 * Stand-in for prosody-modules' mod_cloud_notify (XEP-0357 push; Debian prosody-modules
 * 0.0~hg20230223), the consumer of mod_smacks' events that matters for hibernation:
 * - `iq-set/self/urn:xmpp:push:0:enable|disable` register the session's push service
 *   (`session.pushIdentifier` = "jid<node");
 * - pushes for what waits in a hibernating session's queue (`smacks-hibernation-start`), for stanzas
 *   queued while hibernating (`smacks-hibernation-stanza-queued`, batched by a 1 s timer), for a
 *   late ack (`smacks-ack-delayed`) and for messages going to offline storage;
 * - `first_hibernated_push` on the first *important* push (a message with a body), which the
 *   community mod_smacks reads to defer its timeout; with core mod_smacks (0.12) the module swaps the
 *   hibernation watchdog for a `push_max_hibernation_timeout` (72 h) one at hibernation start and
 *   puts the original back at the first important push, so the 600 s count starts then (spec §7.6).
 *
 * A push is a trace event (`push.sent`); what a device does when it gets one belongs to the client
 * models. Not modelled: the push service's answers and errors, push_max_devices, publish options and
 * the summary form, carbons and encrypted-message checks of is_important beyond the body.
 */
import type { Server } from '../server/server.js';
import type { Session } from '../server/session.js';
import { type Element, attr, el } from '../xmpp/stanza.js';
import type { SmacksApi } from './api.js';
import { CoreSmacks } from './core.js';
import { Watchdog } from './watchdog.js';

export const xmlnsPush = 'urn:xmpp:push:0';

export interface CloudNotifyOptions {
  /** push_max_hibernation_timeout, seconds (72 h). */
  push_max_hibernation_timeout: number;
}

interface PushService {
  identifier: string;
  jid: string;
  node: string | undefined;
}

interface SmacksEvent {
  origin: Session;
  queue: readonly Element[];
  stanza?: Element;
  resumed?: Session;
}

/** The 0.12 watchdog handed over by mod_smacks at hibernation start (original_smacks_*). */
interface SavedWatchdog {
  timeoutSeconds: number;
  callback: () => void;
}

/** is_important(stanza): only messages with a non-empty body (and not headlines, not MUC subjects). */
export function isImportant(stanza: Element): boolean {
  if (stanza.name !== 'message') return false;
  const type = attr(stanza, 'type');
  if (type === 'headline') return false;
  if (type === 'groupchat' && stanza.getChildText('subject') !== null) return false;
  const body = stanza.getChildText('body');
  return body !== null && body !== '';
}

export class CloudNotify {
  /** push_store: each user's registered services (they outlive sessions). */
  private readonly services = new Map<string, Map<string, PushService>>();
  /** stanza._push_notify: which services a stanza object was already pushed to. */
  private readonly pushedTo = new WeakMap<Element, Set<string>>();
  private readonly pushQueues = new WeakMap<Session, Element[]>();
  private readonly pushTimers = new WeakMap<Session, { cancel(): void }>();
  private readonly savedWatchdogs = new WeakMap<Session, SavedWatchdog>();

  /** With the core variant the module swaps its hibernation watchdog (0.12's API). */
  private readonly core: CoreSmacks | undefined;

  constructor(
    private readonly server: Server,
    private readonly options: CloudNotifyOptions,
    private readonly smacks: SmacksApi,
  ) {
    this.core = smacks instanceof CoreSmacks ? smacks : undefined;
    const hooks = server.hooks;
    hooks.hook<{ origin: Session; stanza: Element }>(`iq-set/self/${xmlnsPush}:enable`, (event) => this.pushEnable(event.origin, event.stanza));
    hooks.hook<{ origin: Session; stanza: Element }>(`iq-set/self/${xmlnsPush}:disable`, (event) => this.pushDisable(event.origin, event.stanza));
    hooks.hook<SmacksEvent>('smacks-hibernation-start', (event) => this.hibernateSession(event));
    hooks.hook<SmacksEvent>('smacks-hibernation-end', (event) => this.restoreSession(event));
    hooks.hook<SmacksEvent>('smacks-ack-delayed', (event) => this.ackDelayed(event));
    hooks.hook<SmacksEvent>('smacks-hibernation-stanza-queued', (event) => {
      if (event.origin.pushIdentifier !== undefined && event.stanza !== undefined) this.processStanza(event.origin, event.stanza);
      return undefined;
    });
    server.hook('message/offline/handle', (event) => {
      this.handleNotifyRequest(event.stanza, event.username, this.userServices(event.username));
      return undefined;
    }, 1);
  }

  private userServices(username: string): PushService[] {
    return [...(this.services.get(username)?.values() ?? [])];
  }

  /** push_enable(event) */
  private pushEnable(origin: Session, stanza: Element): true {
    const enable = stanza.children.find((child) => typeof child !== 'string') as Element;
    const jid = attr(enable, 'jid');
    if (jid === undefined || jid === attr(stanza, 'from')) {
      this.server.replyError(origin, stanza, 'modify', 'bad-request', jid === undefined ? 'Missing jid' : 'JID must be different from ours');
      return true;
    }
    const node = attr(enable, 'node');
    const identifier = `${jid}<${node ?? ''}`;
    let services = this.services.get(origin.username!);
    if (services === undefined) {
      services = new Map();
      this.services.set(origin.username!, services);
    }
    services.set(identifier, { identifier, jid, node });
    origin.pushIdentifier = identifier;
    origin.firstHibernatedPush = undefined;
    origin.send(el('iq', { type: 'result', id: attr(stanza, 'id'), to: attr(stanza, 'from'), from: attr(stanza, 'to') }));
    return true;
  }

  /** push_disable(event) */
  private pushDisable(origin: Session, stanza: Element): true {
    const disable = stanza.children.find((child) => typeof child !== 'string') as Element;
    const jid = attr(disable, 'jid');
    const node = attr(disable, 'node');
    const services = this.services.get(origin.username!);
    for (const service of [...(services?.values() ?? [])]) {
      if (service.jid !== jid || (node !== undefined && service.node !== node)) continue;
      services!.delete(service.identifier);
      if (origin.pushIdentifier === service.identifier) {
        origin.pushIdentifier = undefined;
        origin.firstHibernatedPush = undefined;
        this.restoreWatchdog(origin);
      }
    }
    origin.send(el('iq', { type: 'result', id: attr(stanza, 'id'), to: attr(stanza, 'from'), from: attr(stanza, 'to') }));
    return true;
  }

  /** handle_notify_request: one push per service not yet pushed for this stanza; the count. */
  private handleNotifyRequest(stanza: Element, username: string, services: readonly PushService[]): number {
    let pushed = this.pushedTo.get(stanza);
    let count = 0;
    for (const service of services) {
      if (pushed?.has(service.identifier)) continue;
      if (pushed === undefined) {
        pushed = new Set();
        this.pushedTo.set(stanza, pushed);
      }
      pushed.add(service.identifier);
      count++;
      const id = attr(stanza, 'id');
      const base = { t: this.server.engine.now, type: 'push.sent' as const, user: username, service: service.identifier, important: isImportant(stanza) };
      this.server.trace.emit(id === undefined ? base : { ...base, id });
      this.server.hooks.fire('cloud-notify-push', { username, service: service.identifier, stanza });
    }
    return count;
  }

  /** process_stanza_queue(queue, session, queue_type) */
  private processStanzaQueue(queue: readonly Element[], session: Session): void {
    if (session.pushIdentifier === undefined) return;
    const service = this.services.get(session.username!)?.get(session.pushIdentifier);
    if (service === undefined) return;
    const notified = { important: false, unimportant: false };
    for (const stanza of queue) {
      if (this.pushedTo.get(stanza)?.has(session.pushIdentifier)) continue;
      const important = isImportant(stanza);
      const kind = important ? 'important' : 'unimportant';
      if (notified[kind]) continue;
      if (this.handleNotifyRequest(stanza, session.username!, [service]) !== 0) {
        const isHibernating = this.smacks.view(session)?.isHibernating ?? false;
        if (isHibernating && session.firstHibernatedPush === undefined && important) {
          session.firstHibernatedPush = this.server.osTime();
          this.restoreWatchdog(session);
        }
        notified[kind] = true;
      }
      if (notified.important && notified.unimportant) break;
    }
  }

  /** process_stanza(session, stanza): batch what arrives within 1 s into one push round. */
  private processStanza(session: Session, stanza: Element): void {
    let queue = this.pushQueues.get(session);
    if (queue === undefined) {
      queue = [];
      this.pushQueues.set(session, queue);
    }
    queue.push(stanza);
    if (this.pushTimers.has(session)) return;
    this.pushTimers.set(session, this.server.engine.after(1000, () => {
      this.pushTimers.delete(session);
      const batch = this.pushQueues.get(session) ?? [];
      this.pushQueues.set(session, []);
      this.processStanzaQueue(batch, session);
    }));
  }

  /** hibernate_session(event): the 72 h watchdog (core 0.12), then a push for what is queued. */
  private hibernateSession(event: SmacksEvent): undefined {
    const session = event.origin;
    session.firstHibernatedPush = undefined;
    const state = this.core?.state(session);
    const watchdog = state?.hibernatingWatchdog;
    if (session.pushIdentifier !== undefined && state !== undefined && watchdog !== undefined) {
      const saved = { timeoutSeconds: watchdog.timeoutSeconds, callback: watchdog.callback };
      this.savedWatchdogs.set(session, saved);
      watchdog.cancel();
      state.hibernatingWatchdog = new Watchdog(this.server, this.options.push_max_hibernation_timeout, () => saved.callback());
    }
    this.processStanzaQueue(event.queue, session);
    return undefined;
  }

  /** "restore old smacks watchdog": the original timeout starts now. */
  private restoreWatchdog(session: Session): void {
    const saved = this.savedWatchdogs.get(session);
    const state = this.core?.state(session);
    if (saved === undefined || state?.hibernatingWatchdog === undefined) return;
    state.hibernatingWatchdog.cancel();
    state.hibernatingWatchdog = new Watchdog(this.server, saved.timeoutSeconds, saved.callback);
  }

  /** restore_session(event) */
  private restoreSession(event: SmacksEvent): undefined {
    const session = event.resumed;
    if (session === undefined) return undefined;
    this.pushTimers.get(session)?.cancel();
    this.pushTimers.delete(session);
    session.firstHibernatedPush = undefined;
    return undefined;
  }

  /** ack_delayed(event) */
  private ackDelayed(event: SmacksEvent): undefined {
    const session = event.origin;
    if (session.pushIdentifier === undefined) return undefined;
    if (event.stanza !== undefined) {
      this.processStanza(session, event.stanza);
      return undefined;
    }
    for (const stanza of event.queue) this.processStanza(session, stanza);
    return undefined;
  }
}
