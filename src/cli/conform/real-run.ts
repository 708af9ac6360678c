/**
 * Plays a scenario's script against a real server: the simulator's own `ScriptRunner` and
 * `XmppClient`, driven in real time (realtime.ts) over real TCP links (real-network.ts) through one
 * fault proxy per scripted client (proxy.ts). Then, like the simulator's World, a settle phase: heal
 * every path, wait until the server has come to rest (no hibernating session, no connection whose
 * client is gone), and log in every account with messages in offline storage to fetch them. Fates are
 * read off what the clients received, with the simulator's own ledger.
 */
import { type Account, XmppClient } from '../../clients/xmpp-client.js';
import { Ledger } from '../../outcome/ledger.js';
import { normalizeWire } from '../../outcome/wire.js';
import type { Scenario } from '../../scenario/schema.js';
import type { TraceEvent } from '../../trace/events.js';
import { TraceRecorder } from '../../trace/recorder.js';
import { ScriptRunner, type ScriptedClient, ServerSignals } from '../../world/script-runner.js';
import { attr, el, type Element } from '../../xmpp/stanza.js';
import { LogWatch } from './log-watch.js';
import type { ProsodyInstance } from './prosody.js';
import { FaultProxy } from './proxy.js';
import { RealNetwork } from './real-network.js';
import { RealTimeDriver } from './realtime.js';

/** What one side of a comparison produced. */
export interface SideResult {
  wire: Record<string, string[]>;
  fates: Array<{ id: string; fate: string; sender: string; to: string }>;
  /** Indexes of script steps that timed out. */
  timeouts: number[];
  settled: boolean;
}

export interface RealRunLimits {
  /** Real-time bound on the script (safety phase). */
  scriptMsMax: number;
  /** Real-time bound on waiting for the server to come to rest. */
  settleMsMax: number;
}

export const realRunLimitsDefault: Readonly<RealRunLimits> = Object.freeze({ scriptMsMax: 180_000, settleMsMax: 90_000 });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resources the scenario chose itself (the wire keeps them; server-chosen ones become RESn). */
export function fixedResources(scenario: Scenario): Set<string> {
  const fixed = new Set<string>();
  for (const spec of scenario.clients.values()) fixed.add(spec.resource);
  for (const step of scenario.script) if (step.do === 'login' && step.resource !== undefined) fixed.add(step.resource);
  return fixed;
}

export class RealRun {
  readonly driver = new RealTimeDriver();
  readonly traceEvents: TraceEvent[] = [];
  private readonly trace: TraceRecorder;
  private readonly ledger = new Ledger();
  private readonly proxies = new Map<string, FaultProxy>();
  private readonly scripted = new Map<string, ScriptedClient>();
  private readonly clientIds = new Set<string>();
  private readonly passwords: Map<string, string>;
  private network: RealNetwork | undefined;
  /** A restart in progress (settle waits for the server to be back). */
  private restarting: Promise<void> | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly prosody: ProsodyInstance,
    private readonly limits: RealRunLimits = realRunLimitsDefault,
  ) {
    this.trace = new TraceRecorder((event) => this.traceEvents.push(event));
    this.trace.listen(this.ledger.listener);
    this.passwords = new Map(scenario.accounts.map((account) => [account.username, account.password]));
  }

  private account(username: string): Account {
    return { username, password: this.passwords.get(username)!, host: this.scenario.host };
  }

  async run(): Promise<SideResult> {
    const { scenario, driver, prosody } = this;
    const engine = driver.engine;
    try {
      for (const [name, spec] of scenario.clients) {
        const proxy = new FaultProxy(name, prosody.port, spec.network.path.latencyMs);
        this.proxies.set(name, proxy);
        await proxy.listen();
      }
    } catch (error) {
      for (const proxy of this.proxies.values()) await proxy.close();
      throw error;
    }
    const network = new RealNetwork(driver, this.trace, this.proxies, prosody.port);
    this.network = network;
    for (const [name, spec] of scenario.clients) {
      const xmpp = new XmppClient(name, this.account(spec.account), engine, network, this.trace);
      xmpp.isAutoAck = spec.ack === 'auto';
      this.scripted.set(name, { xmpp, resource: spec.resource });
    }
    const signals = new ServerSignals();
    const logWatch = new LogWatch(prosody.logPath, (signal) => driver.run(() => signals.note(signal)));
    const runner = new ScriptRunner(engine, network, this.trace, scenario.script, this.scripted, (client, stanza) => this.scriptedSend(client, stanza), signals, (_target, downtimeMs, done) =>
      this.restart(downtimeMs, done),
    );
    try {
      driver.run(() => {
        this.trace.emit({ t: engine.now, type: 'run.phase', phase: 'safety' });
        runner.start();
      });
      await this.waitUntil(() => runner.isDone && driver.nowMs() >= scenario.durationMs, this.limits.scriptMsMax, 'the script');
      const wire = this.snapshotWire();
      const settled = await this.settle();
      this.failIfBroken();
      return { wire, fates: this.ledger.fates(), timeouts: [...runner.timedOut], settled };
    } finally {
      logWatch.stop();
      driver.stop();
      for (const proxy of this.proxies.values()) await proxy.close();
    }
  }

  /** The `restart` step (World.restart): the step is done at once, the server comes back later. */
  private restart(downtimeMs: number, done: () => void): void {
    const restarting = this.prosody.restart(downtimeMs);
    this.restarting = restarting.catch((error: unknown) => {
      this.driver.error ??= error;
    });
    done();
  }

  /** As World.scriptedSend: ids the clients chose stay in the wire; tracked messages enter the ledger. */
  private scriptedSend(client: string, stanza: Element): void {
    const id = attr(stanza, 'id');
    if (id !== undefined) this.clientIds.add(id);
    if (stanza.name !== 'message' || id === undefined || stanza.getChild('body') === undefined) return;
    this.trace.emit({ t: this.driver.engine.now, type: 'message.sent', client, id, to: attr(stanza, 'to') ?? '' });
  }

  private snapshotWire(): Record<string, string[]> {
    const fixed = fixedResources(this.scenario);
    const wire: Record<string, string[]> = {};
    for (const [name, { xmpp }] of this.scripted) wire[name] = normalizeWire(xmpp.received, this.clientIds, fixed);
    return wire;
  }

  private failIfBroken(): void {
    if (this.driver.error !== undefined) throw this.driver.error;
  }

  private async waitUntil(predicate: () => boolean, limitMs: number, what: string): Promise<void> {
    const deadline = performance.now() + limitMs;
    for (;;) {
      this.failIfBroken();
      if (predicate()) return;
      if (performance.now() > deadline) throw new Error(`${what} did not finish within ${limitMs / 1000} s of real time`);
      await sleep(10);
    }
  }

  /** Heal, wait for the server to come to rest, fetch offline storage (World.settle). */
  private async settle(): Promise<boolean> {
    const { driver, network } = this;
    await this.restarting;
    this.failIfBroken();
    driver.run(() => {
      this.trace.emit({ t: driver.engine.now, type: 'run.phase', phase: 'settle' });
      for (const [name, proxy] of this.proxies) if (proxy.isFaulty) network!.fault(name, 'heal');
    });
    const deadline = performance.now() + Math.min(this.scenario.settleMsMax, this.limits.settleMsMax);
    let isQuiet = false;
    while (performance.now() < deadline) {
      await sleep(200);
      this.failIfBroken();
      if (await this.isAtRest()) {
        isQuiet = true;
        break;
      }
    }
    const fetched = await this.fetchOffline();
    return isQuiet && fetched;
  }

  private async isAtRest(): Promise<boolean> {
    const abandoned = this.network!.abandonedPorts();
    for (const proxy of this.proxies.values()) if (proxy.orphanCount(abandoned) > 0) return false;
    return (await this.prosody.hibernatingCount()) === 0;
  }

  /**
   * Log in every account with offline messages, as its first scripted device (World.fetchOffline).
   * A ping after the initial presence tells when everything stored has arrived: the server answers it
   * after the messages its presence released.
   */
  private async fetchOffline(): Promise<boolean> {
    const users = this.prosody.usersWithPendingOffline(this.scenario.accounts.map((account) => account.username));
    if (users.length === 0) return true;
    const deviceOf = new Map<string, string>();
    for (const [name, spec] of this.scenario.clients) if (!deviceOf.has(spec.account)) deviceOf.set(spec.account, name);
    let pending = users.length;
    this.driver.run(() => {
      for (const username of users) {
        const client = new XmppClient(deviceOf.get(username) ?? username, this.account(username), this.driver.engine, this.network!, this.trace, `settle:${username}`);
        client.events.onOnline = () => {
          const ping = el('iq', { type: 'get', id: 'settle-ping' });
          ping.c('ping', { xmlns: 'urn:xmpp:ping' });
          client.sendElement(ping);
        };
        client.events.onReceived = (element) => {
          if (element.name !== 'iq' || attr(element, 'id') !== 'settle-ping') return;
          pending--;
          client.close();
        };
        client.connect({ sm: 'none', presence: true, resource: 'settle' });
      }
    });
    try {
      await this.waitUntil(() => pending === 0, 30_000, 'fetching offline messages');
    } catch {
      return false;
    }
    return this.prosody.usersWithPendingOffline(users).length === 0;
  }
}
