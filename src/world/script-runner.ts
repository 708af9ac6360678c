/**
 * Runs a scenario's `script`: steps in order, each starting at its `at` time or, without one, as soon
 * as the previous step has finished. `login`, `bind` and `resume` finish when the server has answered
 * (online, <failed/>, a login error, or the connection closing); `wait-for` finishes when what it
 * waits for has happened; every other step finishes at once. A step that does not finish within its
 * `timeout` is recorded and the script goes on.
 *
 * The runner sees the world only through a client network, the clients and server signals, so the
 * conformance runner (src/cli/conform/) drives a real Prosody with this same code in real time.
 */
import type { XmppClient } from '../clients/xmpp-client.js';
import type { Engine, Timer } from '../engine/engine.js';
import type { ClientNetwork } from '../net/client-network.js';
import type { ServerSignal, Step } from '../scenario/schema.js';
import type { TraceEvent } from '../trace/events.js';
import type { TraceRecorder } from '../trace/recorder.js';
import { matchesPattern } from '../xmpp/pattern.js';
import { type Element, deepClone, el } from '../xmpp/stanza.js';

export interface ScriptedClient {
  xmpp: XmppClient;
  /** The resource this client binds unless a step says otherwise. */
  resource: string;
}

/** How many times each server signal has happened so far; `wait-for { server }` steps wait on it. */
export class ServerSignals {
  private readonly counts = new Map<ServerSignal, number>();
  /** Called after every change (the runner re-checks a waiting step). */
  onChange: (() => void) | undefined;

  note(signal: ServerSignal): void {
    this.counts.set(signal, this.count(signal) + 1);
    this.onChange?.();
  }

  count(signal: ServerSignal): number {
    return this.counts.get(signal) ?? 0;
  }

  /** Signals read off a trace that carries the (simulated) server's events. */
  static fromTrace(trace: TraceRecorder): ServerSignals {
    const signals = new ServerSignals();
    trace.listen((event) => {
      const signal = serverSignalOf(event);
      if (signal !== undefined) signals.note(signal);
    });
    return signals;
  }
}

/** The simulator's trace events that Prosody's debug log shows as the corresponding signal. */
export function serverSignalOf(event: TraceEvent): ServerSignal | undefined {
  switch (event.type) {
    case 'smacks.hibernation-start':
      return 'hibernation-start';
    case 'smacks.expire':
      return 'hibernation-expire';
    case 'offline.store':
      return 'offline-store';
    case 'smacks.ack-delayed':
      return 'ack-delayed';
    default:
      return undefined;
  }
}

export class ScriptRunner {
  private index = 0;
  isDone = false;
  /** Indexes of steps that timed out. */
  readonly timedOut: number[] = [];

  constructor(
    private readonly engine: Engine,
    private readonly network: ClientNetwork,
    private readonly trace: TraceRecorder,
    private readonly steps: readonly Step[],
    private readonly clients: ReadonlyMap<string, ScriptedClient>,
    private readonly onSend: (client: string, stanza: Element) => void,
    /** Server events; by default read off the (simulated server's) trace. */
    private readonly signals: ServerSignals = ServerSignals.fromTrace(trace),
    /** Restarts a server (`restart` step): stop now, start again after `downtimeMs`. */
    private readonly restart: (target: 'server' | 'peer', downtimeMs: number, done: () => void) => void = (_target, _downtimeMs, done) => done(),
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
    if (step.do === 'wait-for') {
      this.awaitTarget(step);
      return;
    }
    if (step.do === 'restart') {
      this.restart(step.target, step.downtimeMs, () => this.finished());
      return;
    }
    switch (step.do) {
      case 'delay':
        this.network.fault(step.client, 'delay', step.delayMs);
        this.finished();
        return;
      case 'blackhole':
      case 'outage':
      case 'reset':
      case 'freeze':
      case 'heal':
        // A client's path, or the s2s link between the two domains.
        this.network.fault(step.client, step.do);
        this.finished();
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
        xmpp.resume(step.previd ?? (step.previdOf === undefined ? xmpp.smId : this.clients.get(step.previdOf)!.xmpp.smId), step.h ?? xmpp.inboundH, step.timeoutMs);
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
    }
    this.finished();
  }

  /** wait-for: finishes once `count` matches have happened (counted from the start of the run). */
  private awaitTarget(step: Step & { do: 'wait-for' }): void {
    const until = step.until;
    let isFinished = false;
    let timer: Timer | undefined;
    const finish = (): void => {
      if (isFinished) return;
      isFinished = true;
      timer?.cancel();
      if ('server' in until) this.signals.onChange = undefined;
      else delete this.clients.get(until.client)!.xmpp.events.onReceived;
      this.finished();
    };
    if ('server' in until) {
      const check = (): void => {
        if (this.signals.count(until.server) >= step.count) finish();
      };
      this.signals.onChange = check;
      check();
    } else {
      const xmpp = this.clients.get(until.client)!.xmpp;
      let seen = xmpp.received.filter((element) => matchesPattern(until.element, element)).length;
      xmpp.events.onReceived = (element) => {
        if (matchesPattern(until.element, element) && ++seen >= step.count) finish();
      };
      if (seen >= step.count) finish();
    }
    if (isFinished) return;
    const client = 'server' in until ? 'server' : until.client;
    timer = this.engine.after(step.timeoutMs, () => {
      this.timedOut.push(this.index);
      this.trace.emit({ t: this.engine.now, type: 'client.state', client, state: 'step-timeout', reason: step.do });
      finish();
    });
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
