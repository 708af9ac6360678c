/**
 * Runs a scenario's `script`: steps in order, each starting at its `at` time or, without one, as soon
 * as the previous step has finished. `login`, `bind` and `resume` finish when the server has answered
 * (online, <failed/>, a login error, or the connection closing); every other step finishes at once.
 * A step that does not finish within its `timeout` is recorded and the script goes on.
 */
import type { XmppClient } from '../clients/xmpp-client.js';
import type { Engine } from '../engine/engine.js';
import type { Network } from '../net/network.js';
import type { Step } from '../scenario/schema.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { type Element, deepClone, el } from '../xmpp/stanza.js';

export interface ScriptedClient {
  xmpp: XmppClient;
  /** The resource this client binds unless a step says otherwise. */
  resource: string;
}

export class ScriptRunner {
  private index = 0;
  isDone = false;
  /** Indexes of steps that timed out. */
  readonly timedOut: number[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly network: Network,
    private readonly trace: TraceRecorder,
    private readonly steps: readonly Step[],
    private readonly clients: ReadonlyMap<string, ScriptedClient>,
    private readonly onSend: (client: string, stanza: Element) => void,
  ) {}

  start(): void {
    this.next();
  }

  private next(): void {
    const step = this.steps[this.index];
    if (step === undefined) {
      this.isDone = true;
      return;
    }
    this.engine.at(Math.max(this.engine.now, step.atMs ?? this.engine.now), () => this.run(step));
  }

  private finished(): void {
    this.index++;
    this.next();
  }

  private run(step: Step): void {
    if (step.do === 'wait') {
      this.engine.after(step.forMs, () => this.finished());
      return;
    }
    const { xmpp, resource } = this.clients.get(step.client)!;
    switch (step.do) {
      case 'login':
        this.awaitAnswer(step, xmpp);
        xmpp.connect({ sm: step.sm, presence: step.presence, resource: step.resource ?? resource }, step.timeoutMs);
        return;
      case 'bind':
        this.awaitAnswer(step, xmpp);
        xmpp.bindAfterFailedResume({ sm: step.sm, presence: step.presence, resource });
        return;
      case 'resume':
        this.awaitAnswer(step, xmpp);
        xmpp.resume(step.previd ?? xmpp.smId, step.h ?? xmpp.inboundH, step.timeoutMs);
        return;
      case 'send': {
        const stanza = deepClone(step.stanza);
        this.onSend(step.client, stanza);
        xmpp.sendStanza(stanza);
        break;
      }
      case 'send-raw':
        xmpp.sendRaw(step.xml);
        break;
      case 'ack':
        xmpp.sendElement(el('a', { xmlns: xmpp.smNs, h: step.h ?? xmpp.inboundH }));
        break;
      case 'request-ack':
        xmpp.sendElement(el('r', { xmlns: xmpp.smNs }));
        break;
      case 'close':
        xmpp.close();
        break;
      case 'disconnect':
        xmpp.disconnect();
        break;
      case 'delay':
        this.network.fault(step.client, 'delay', step.delayMs);
        break;
      default:
        this.network.fault(step.client, step.do);
    }
    this.finished();
  }

  /** login/bind/resume finish on the server's answer or the step's timeout, whichever comes first. */
  private awaitAnswer(step: Step, xmpp: XmppClient): void {
    const events = xmpp.events;
    let isFinished = false;
    const finish = (): void => {
      if (isFinished) return;
      isFinished = true;
      timer.cancel();
      delete events.onOnline;
      delete events.onResumeFailed;
      delete events.onLoginFailed;
      delete events.onDisconnected;
      this.finished();
    };
    const timer = this.engine.after(step.timeoutMs, () => {
      this.timedOut.push(this.index);
      this.trace.emit({ t: this.engine.now, type: 'client.state', client: xmpp.name, state: 'step-timeout', reason: step.do });
      finish();
    });
    events.onOnline = finish;
    events.onResumeFailed = finish;
    events.onLoginFailed = finish;
    events.onDisconnected = finish;
  }
}
