/**
 * The composition root: builds a whole run from (scenario, settings, seed) and runs it in two phases
 * (DESIGN.md "Safety, then settle"):
 * 1. safety: the script and the population run with faults and traffic for `duration` (and at least
 *    until the script is done);
 * 2. settle: traffic and random faults stop, every path heals, model clients reconnect and drain,
 *    the server finishes what it was doing (read timeouts, hibernation expiry), and whatever waits
 *    in offline storage is fetched by a login of its account. Then every message gets its fate.
 *
 * The phases are one generator that yields the times to advance to (phases.ts): `run()` drives it
 * synchronously; `runAsync()` one event at a time with a microtask drain after each event that
 * entered xmpp.js code, which a population with `xmppjs-real` clients needs (their code awaits
 * promises, reads timers, Date and Math.random: those are virtual while it runs).
 */
import { knobDescriptors, type ClientKnobs } from '../clients/knobs.js';
import { ModelClient } from '../clients/model.js';
import { clientPresets } from '../clients/presets.js';
import { VirtualGlobals, type YieldToMicrotasks, microtaskDrain } from '../clients/xmppjs/virtual-globals.js';
import { XmppjsRealClient, fixedKnobProblem } from '../clients/xmppjs/xmppjs-real.js';
import { type Account, XmppClient } from '../clients/xmpp-client.js';
import { Engine } from '../engine/engine.js';
import { RngStreams } from '../engine/rng.js';
import { epochMsDefault } from '../engine/time.js';
import { Network } from '../net/network.js';
import { pathOptionsDefault } from '../net/path.js';
import { RandomFaults } from '../net/random-faults.js';
import { ScheduledFaults } from '../net/scheduled-faults.js';
import { Ledger, type MessageSummary } from '../outcome/ledger.js';
import { normalizeWire } from '../outcome/wire.js';
import { ScenarioError } from '../scenario/errors.js';
import { type PeerSpec, type Scenario, s2sLinkName } from '../scenario/schema.js';
import { type Settings, checkCombinedSettings, settingsDefault } from '../scenario/settings.js';
import { C2sConn } from '../server/c2s.js';
import { Csi } from '../server/csi.js';
import { CsiSimple } from '../server/csi-simple.js';
import { Mam } from '../server/mam.js';
import { OfflineStore } from '../server/offline.js';
import { Server } from '../server/server.js';
import type { SmacksApi } from '../smacks/api.js';
import { CloudNotify } from '../smacks/cloud-notify.js';
import { loadSmacks } from '../smacks/index.js';
import type { TraceEvent } from '../trace/events.js';
import { TraceRecorder, type TraceSink } from '../trace/recorder.js';
import { scheduleTargetJid } from '../scenario/schedule.js';
import { ScheduledTraffic } from '../workload/scheduled-traffic.js';
import { AccountDevices, ChatTraffic, type TrafficSender } from '../workload/traffic.js';
import { attr, type Element } from '../xmpp/stanza.js';
import { type Phases, driveAsync, driveSync } from './phases.js';
import { ScriptRunner, type ScriptedClient, ServerSignals } from './script-runner.js';

export interface RunOptions {
  seed: number;
  /** Settings on top of the scenario's `server` block (from `--set`). */
  overrides?: Partial<Settings>;
  traceSink?: TraceSink;
  /** Observers of the trace inside the run (tests, checks). */
  listeners?: Array<(event: TraceEvent) => void>;
}

export interface RunResult {
  scenario: string;
  seed: number;
  variant: string;
  settings: Settings;
  virtualTimeMs: number;
  events: number;
  traceEvents: number;
  traceHash: string;
  settled: boolean;
  messages: MessageSummary;
  resends: number;
  hibernation: { started: number; resumed: number; expired: number; evicted: number; resumedLive: number };
  acks: { requested: number; received: number; delayed: number };
  queue: { peak: number; peakBytes: number };
  clients: { scripted: number; model: number };
  /** What the model clients did besides chatting, and what their users were told. */
  clientSide: {
    /** Messages the sender's client reported as not sent (offline, or unacked after a failed resume). */
    messagesFailed: number;
    presenceSent: number;
    pingsSent: number;
    pingsAnswered: number;
    /** Mean round trip of answered client-to-client pings (0 when none). */
    pingRttMsMean: number;
    pushesReceived: number;
    crashes: number;
  };
  /**
   * Per population group (with its client model(s)): the fates of the messages its users sent (what
   * the sender's client does, e.g. after a failed resume) and of those sent to them (what the
   * recipient's client and network do), with the time from sending to first delivery.
   */
  byGroup: Record<string, { model: string; clients: number; sent: FateCounts; received: FateCounts & { latencyMsMedian: number; latencyMsP95: number } }>;
  scriptTimeouts: number[];
  /** False if the script was cut off by the run's bound (a bug: every step ends by its timeout). */
  scriptFinished: boolean;
  wire: Record<string, string[]>;
  fates: ReturnType<Ledger['fates']>;
}

export interface FateCounts {
  total: number;
  delivered: number;
  duplicated: number;
  offline: number;
  bounced: number;
  lost: number;
}

/** How often the settle phase looks whether everything has come to rest. */
const settlePollMs = 1000;

/** The switchable modules of modules_enabled: mod_csi + mod_csi_simple, mod_mam. */
function loadOptionalModules(server: Server, settings: Settings): void {
  if (settings.csi) {
    new Csi(server);
    new CsiSimple(server);
  }
  if (settings.mam) new Mam(server);
}

/** One simulated server domain with its modules. */
export interface Domain {
  host: string;
  server: Server;
  offline: OfflineStore;
  smacks: SmacksApi;
  settings: Settings;
  /** username → password */
  accounts: Map<string, string>;
}

export class World {
  readonly engine = new Engine();
  readonly rngs: RngStreams;
  readonly trace: TraceRecorder;
  readonly network: Network;
  readonly server: Server;
  readonly offline: OfflineStore;
  readonly smacks: SmacksApi;
  /** The scenario's domain first, then the peer domain if there is one. */
  readonly domains = new Map<string, Domain>();
  readonly ledger = new Ledger();
  readonly settings: Settings;
  readonly scripted = new Map<string, ScriptedClient>();
  readonly models: ModelClient[] = [];
  /** Population devices running the real xmpp.js (model `xmppjs-real`). */
  readonly xmppjsReal: XmppjsRealClient[] = [];
  /** Every population device, models and real xmpp.js alike, in the order they were built. */
  private readonly population: Array<ModelClient | XmppjsRealClient> = [];
  /** The globals xmpp.js reads, made virtual while the run lasts: only with `xmppjs-real` clients. */
  private globals: VirtualGlobals | undefined;
  /** Model clients registered for push, by their push node (their name). */
  private readonly pushTargets = new Map<string, ModelClient>();
  private messagesFailed = 0;
  private readonly traffic: Array<ChatTraffic | ScheduledTraffic> = [];
  private readonly faults: Array<RandomFaults | ScheduledFaults> = [];
  private script: ScriptRunner | undefined;
  private readonly clientIds = new Set<string>();
  /** Wire snapshots are taken when the safety phase ends. */
  private wire: Record<string, string[]> = {};

  constructor(
    readonly scenario: Scenario,
    private readonly options: RunOptions,
  ) {
    this.settings = { ...settingsDefault, ...scenario.server, ...options.overrides };
    this.rngs = new RngStreams(options.seed);
    this.trace = new TraceRecorder(options.traceSink);
    this.trace.listen(this.ledger.listener);
    this.trace.listen((event) => {
      if (event.type === 'message.failed') this.messagesFailed++;
    });
    for (const listener of options.listeners ?? []) this.trace.listen(listener);
    this.network = new Network(this.engine, this.rngs, this.trace);
    const accounts = new Map<string, string>();
    for (const account of scenario.accounts) accounts.set(account.username, account.password);
    for (const group of scenario.groups) {
      for (let index = 1; index <= group.count; index++) accounts.set(`${group.name}${index}`, `${group.name}${index}pass`);
    }
    const main = this.buildDomain(scenario.host, this.settings, accounts, 'server');
    this.server = main.server;
    this.offline = main.offline;
    this.smacks = main.smacks;
    if (scenario.peer !== undefined) this.buildPeer(scenario.peer);
    this.buildScripted();
    this.buildPopulation();
  }

  /** A server with its modules, listening for c2s on `host` and for s2s on `s2s:<host>`. */
  private buildDomain(host: string, settings: Settings, accounts: Map<string, string>, idStream: string): Domain {
    checkCombinedSettings(this.scenario.name, settings, idStream === 'peer' ? 'peer.server' : 'server');
    const server = new Server(host, this.engine, this.trace, settings, accounts, this.rngs.stream(`${idStream}/ids`), epochMsDefault);
    const domain: Domain = { host, server, offline: new OfflineStore(server), smacks: loadSmacks(server, settings), settings, accounts };
    loadOptionalModules(server, settings);
    if (settings.cloud_notify) new CloudNotify(server, settings, domain.smacks);
    this.network.listen(host, { accept: (connection) => server.accept(connection) });
    this.network.listen(`s2s:${host}`, { accept: (connection) => server.acceptS2s(connection) });
    this.domains.set(host, domain);
    return domain;
  }

  /** The peer domain and the s2s link (one path named "s2s", both directions) between the two. */
  private buildPeer(peer: PeerSpec): void {
    const accounts = new Map(peer.accounts.map((account) => [account.username, account.password] as const));
    this.buildDomain(peer.host, { ...settingsDefault, ...peer.server }, accounts, 'peer');
    this.network.addPath(s2sLinkName, peer.network.path);
    if (peer.network.faults.length > 0) {
      this.faults.push(new RandomFaults(this.engine, this.network, s2sLinkName, peer.network.faults, this.rngs.stream(`faults/${s2sLinkName}`)));
    }
    for (const domain of this.domains.values()) {
      domain.server.s2s.transport = {
        connect: (_fromHost, toHost, onConnected) => {
          if (!this.domains.has(toHost)) return false;
          this.network.connect(s2sLinkName, onConnected, `s2s:${toHost}`);
          return true;
        },
      };
    }
  }

  private account(username: string, host = this.scenario.host): Account {
    return { username, password: this.domains.get(host)!.accounts.get(username)!, host };
  }

  /** `restart` step: the server stops now and starts again after the downtime; the script goes on. */
  private restart(target: 'server' | 'peer', downtimeMs: number, done: () => void): void {
    const host = target === 'peer' ? this.scenario.peer!.host : this.scenario.host;
    const server = this.domains.get(host)!.server;
    server.stop();
    this.engine.after(downtimeMs, () => server.start());
    done();
  }

  private buildScripted(): void {
    for (const [name, spec] of this.scenario.clients) {
      this.network.addPath(name, spec.network.path, spec.domain);
      const xmpp = new XmppClient(name, this.account(spec.account, spec.domain), this.engine, this.network, this.trace);
      xmpp.isAutoAck = spec.ack === 'auto';
      this.scripted.set(name, { xmpp, resource: spec.resource });
      if (spec.network.faults.length > 0) {
        this.faults.push(new RandomFaults(this.engine, this.network, name, spec.network.faults, this.rngs.stream(`faults/${name}`)));
      }
    }
    if (this.scenario.script.length > 0) {
      this.script = new ScriptRunner(
        this.engine,
        this.network,
        this.trace,
        this.scenario.script,
        this.scripted,
        (client, stanza) => this.scriptedSend(client, stanza),
        ServerSignals.fromTrace(this.trace),
        (target, downtimeMs, done) => this.restart(target, downtimeMs, done),
      );
    }
  }

  /** A scripted <message> with an id and a body is tracked by the ledger. */
  private scriptedSend(client: string, stanza: Element): void {
    const id = attr(stanza, 'id');
    if (id !== undefined) this.clientIds.add(id);
    if (stanza.name !== 'message' || id === undefined || stanza.getChild('body') === undefined) return;
    this.trace.emit({ t: this.engine.now, type: 'message.sent', client, id, to: attr(stanza, 'to') ?? '' });
  }

  /**
   * Model clients of the population groups: one per device of each account (population.ts), each on
   * its own path. Peers (bare JIDs) and ping targets (full JIDs of first devices) are one list shared
   * by every client. A group's `schedule` replaces its random traffic and faults (scenario/schedule.ts;
   * with several devices per account, scheduled faults name no device and do not apply).
   */
  private buildPopulation(): void {
    const host = this.scenario.host;
    const peers: string[] = [];
    const pingTargets: string[] = [];
    const isPinging = this.scenario.groups.some((group) => group.traffic.pingsPerHour > 0);
    for (const group of this.scenario.groups) {
      for (let index = 1; index <= group.count; index++) {
        peers.push(`${group.name}${index}@${host}`);
        if (isPinging) pingTargets.push(`${group.name}${index}@${host}/${group.devices[0]!.resource}`);
      }
    }
    for (const group of this.scenario.groups) {
      for (let index = 1; index <= group.count; index++) {
        const account = `${group.name}${index}`;
        const devices: TrafficSender[] = [];
        for (const device of group.devices) {
          const name = group.devices.length === 1 ? account : `${account}/${device.resource}`;
          this.network.addPath(name, device.network.path);
          if (device.model === xmppjsRealModel) {
            const real = this.buildXmppjsReal(name, account, device.knobs);
            this.xmppjsReal.push(real);
            this.population.push(real);
            devices.push(real);
          } else {
            const model = new ModelClient(name, this.account(account), device.model, device.knobs, {
              engine: this.engine,
              network: this.network,
              trace: this.trace,
              rng: this.rngs.stream(`client/${name}`),
              appRng: device.knobs.foreground === 'on-use' ? this.rngs.stream(`app/${name}`) : undefined,
              environment: device.network.device,
              pushJid: pushServiceJid,
            });
            this.models.push(model);
            this.population.push(model);
            devices.push(model);
            if (device.knobs.push) this.pushTargets.set(name, model);
            if (device.knobs.netChange !== 'none') this.network.onNetworkChange(name, () => model.networkChanged());
          }
          const scheduled = group.schedule?.faults;
          if (scheduled !== undefined) {
            this.faults.push(new ScheduledFaults(this.engine, this.network, name, scheduled, device.network.faults.map((fault) => fault.kind)));
          } else if (device.network.faults.length > 0) {
            this.faults.push(new RandomFaults(this.engine, this.network, name, device.network.faults, this.rngs.stream(`faults/${name}`)));
          }
        }
        const trafficRng = this.rngs.stream(`traffic/${account}`);
        const sender: TrafficSender = devices.length === 1 ? devices[0]! : new AccountDevices(account, devices, trafficRng);
        const messages = group.schedule?.messages?.map((message) => ({ ...message, to: scheduleTargetJid(message.to, host) }));
        // Scheduled messages replace the random chat; presence churn and pings stay random.
        if (messages !== undefined) this.traffic.push(new ScheduledTraffic(this.engine, sender, messages));
        if (messages === undefined || group.traffic.presencePerHour > 0 || group.traffic.pingsPerHour > 0) {
          const messagesPerHour = messages === undefined ? group.messagesPerHour : 0;
          this.traffic.push(new ChatTraffic(this.engine, sender, peers, `${account}@${host}`, messagesPerHour, trafficRng, group.traffic, pingTargets));
        }
      }
    }
    if (this.pushTargets.size > 0) {
      // mod_cloud_notify's push reaches the device after the push service's latency.
      this.server.hooks.hook<{ service: string }>('cloud-notify-push', (event) => {
        const node = event.service.slice(event.service.indexOf('<') + 1);
        const model = this.pushTargets.get(node);
        if (model !== undefined) this.engine.after(model.device.environment.pushLatencyMs, () => model.push());
        return undefined;
      });
    }
  }

  /**
   * The real xmpp.js as one device (clients/xmppjs/): its knobs may change only what xmpp.js lets an
   * app set; everything else is the library's and refused.
   */
  private buildXmppjsReal(name: string, account: string, knobs: Readonly<ClientKnobs>): XmppjsRealClient {
    const fixed = fixedKnobProblem(knobs, clientPresets[xmppjsRealModel]!.knobs);
    if (fixed !== undefined) {
      const knob = knobDescriptors.find((descriptor) => descriptor.key === fixed)?.name ?? fixed;
      throw new ScenarioError(this.scenario.name, `population (${name}).knobs.${knob}`, 'xmpp.js has no such setting: this is how the real library behaves', knobs[fixed], 'resource, ackDebounce, probeIdle, probeTimeout, reconnectBase, queueWhileOffline');
    }
    this.globals ??= new VirtualGlobals(this.engine, this.rngs, epochMsDefault);
    return new XmppjsRealClient(name, this.account(account), knobs, this.engine, this.network, this.trace, this.globals);
  }

  /** True when the run must go through `runAsync` (a population with `xmppjs-real` clients). */
  get isAsync(): boolean {
    return this.globals !== undefined;
  }

  run(): RunResult {
    if (this.globals !== undefined) throw new Error(`scenario ${this.scenario.name} has xmppjs-real clients: run it with runAsync()`);
    return driveSync(this.engine, this.phases());
  }

  /**
   * The run, one event at a time, draining the microtask queue after every event that entered xmpp.js
   * (phases.ts). `yieldToMicrotasks` must let every queued promise continuation run: the CLI passes a
   * setImmediate turn (a macrotask boundary drains the queue completely); the default, for callers
   * without real timers, is `microtaskDrain` (virtual-globals.ts says what it assumes). xmpp.js's globals
   * are virtual until the run ends, however it ends.
   */
  async runAsync(yieldToMicrotasks?: YieldToMicrotasks): Promise<RunResult> {
    const globals = this.globals;
    if (globals === undefined) return this.run();
    globals.install();
    try {
      return await driveAsync(this.engine, this.phases(), globals, yieldToMicrotasks ?? microtaskDrain(globals));
    } finally {
      globals.uninstall();
    }
  }

  /** The two phases; each `yield t` advances the engine to virtual time t. */
  private *phases(): Phases<RunResult> {
    const engine = this.engine;
    this.trace.emit({ t: 0, type: 'run.phase', phase: 'safety' });
    this.script?.start();
    const starts = this.rngs.stream('population/start');
    for (const client of this.population) engine.after(starts.int(0, 60_000), () => client.start());
    for (const traffic of this.traffic) traffic.start();
    for (const faults of this.faults) faults.start();
    yield this.scenario.durationMs;
    // Every step has an `at` or a timeout, so a script ends; the bound only catches a bug.
    const scriptDeadline = Math.max(this.scenario.durationMs, this.scriptLengthBoundMs()) + this.scenario.settleMsMax;
    while (this.script !== undefined && !this.script.isDone && engine.now < scriptDeadline) {
      const next = engine.nextAt();
      if (next === undefined) break;
      yield next;
    }
    const isScriptFinished = this.script === undefined || this.script.isDone;
    this.wire = this.snapshotWire();
    const settled = yield* this.settle();
    this.trace.emit({ t: engine.now, type: 'run.phase', phase: 'done' });
    return this.result(settled && isScriptFinished, isScriptFinished);
  }

  /** The latest a script can end: its last `at`, plus every step's timeout and wait. */
  private scriptLengthBoundMs(): number {
    let lastAtMs = 0;
    let waitsMs = 0;
    for (const step of this.scenario.script) {
      lastAtMs = Math.max(lastAtMs, step.atMs ?? 0);
      waitsMs += step.timeoutMs + (step.do === 'wait' ? step.forMs : 0);
    }
    return lastAtMs + waitsMs;
  }

  private snapshotWire(): Record<string, string[]> {
    const fixed = new Set<string>();
    for (const spec of this.scenario.clients.values()) fixed.add(spec.resource);
    for (const step of this.scenario.script) if (step.do === 'login' && step.resource !== undefined) fixed.add(step.resource);
    const wire: Record<string, string[]> = {};
    for (const [name, { xmpp }] of this.scripted) wire[name] = normalizeWire(xmpp.received, this.clientIds, fixed);
    return wire;
  }

  /** Phase 2: heal, let everything come to rest (bounded), fetch offline storage. */
  private *settle(): Phases<boolean> {
    const engine = this.engine;
    this.trace.emit({ t: engine.now, type: 'run.phase', phase: 'settle' });
    for (const traffic of this.traffic) traffic.stop();
    for (const faults of this.faults) faults.stop();
    const links = this.scenario.peer === undefined ? [] : [s2sLinkName];
    for (const client of [...this.scripted.keys(), ...this.population.map((model) => model.name), ...links]) {
      const path = this.network.path(client);
      if (path.fault !== 'none' || path.extraDelayMs > 0) this.network.fault(client, 'heal');
    }
    this.network.endNatExpiry();
    for (const client of this.population) client.settle();
    const deadline = engine.now + this.scenario.settleMsMax;
    let isQuiet = false;
    while (engine.now < deadline) {
      yield Math.min(deadline, engine.now + settlePollMs);
      if (this.isAtRest()) {
        isQuiet = true;
        break;
      }
    }
    const fetched = yield* this.fetchOffline(deadline);
    return isQuiet && fetched;
  }

  /**
   * At rest: every model client is online with nothing unacknowledged, no session hibernates, and the
   * server holds no session whose client is gone (it would still time out and move stanzas).
   */
  private isAtRest(): boolean {
    for (const client of this.population) if (!client.isDrained) return false;
    for (const domain of this.domains.values()) {
      if (domain.server.isStopped || domain.server.s2s.hasPendingSendq) return false;
      for (const session of domain.server.s2s.sessions()) if ((domain.smacks.view(session)?.unacked ?? 0) > 0) return false;
      for (const session of domain.server.fullSessions.values()) {
        if (domain.smacks.view(session)?.isHibernating) return false;
        const conn = session.conn;
        if (conn instanceof C2sConn && (conn.connection.clientEnd === undefined || conn.connection.isBlackholed)) return false;
      }
    }
    return true;
  }

  /** Log in every account that has offline messages waiting, as its first device, to fetch them. */
  private *fetchOffline(deadline: number): Phases<boolean> {
    const pending = (): number => [...this.domains.values()].reduce((sum, domain) => sum + domain.offline.usersWithPending().length, 0);
    if (pending() === 0) return true;
    const deviceOf = new Map<string, string>();
    for (const [name, spec] of this.scenario.clients) {
      const jid = `${spec.account}@${spec.domain}`;
      if (!deviceOf.has(jid)) deviceOf.set(jid, name);
    }
    for (const domain of this.domains.values()) {
      for (const username of domain.offline.usersWithPending()) {
        const jid = `${username}@${domain.host}`;
        const pathName = `settle:${jid}`;
        this.network.addPath(pathName, { ...pathOptionsDefault, latencyMs: 1, lossRetransmitMs: 0, tcpGiveUpMs: 0 }, domain.host);
        const device = deviceOf.get(jid) ?? username;
        const client = new XmppClient(device, this.account(username, domain.host), this.engine, this.network, this.trace, pathName);
        client.events.onOnline = () => this.engine.after(5000, () => client.close());
        client.connect({ sm: 'none', presence: true, resource: 'settle' });
      }
    }
    const engine = this.engine;
    const fetchDeadline = Math.max(deadline, engine.now) + 60_000;
    while (engine.now < fetchDeadline) {
      yield engine.now + settlePollMs;
      if (pending() === 0) return true;
    }
    return false;
  }

  private clientSide(): RunResult['clientSide'] {
    const side = { messagesFailed: this.messagesFailed, presenceSent: 0, pingsSent: 0, pingsAnswered: 0, pingRttMsMean: 0, pushesReceived: 0, crashes: 0 };
    let rttTotal = 0;
    for (const model of this.population) {
      const stats = model.stats;
      side.presenceSent += stats.presenceSent;
      side.pingsSent += stats.pingsSent;
      side.pingsAnswered += stats.pingsAnswered;
      side.pushesReceived += stats.pushesReceived;
      side.crashes += stats.crashes;
      rttTotal += stats.pingRttMsTotal;
    }
    side.pingRttMsMean = side.pingsAnswered === 0 ? 0 : Math.round(rttTotal / side.pingsAnswered);
    return side;
  }

  /** Fates of population messages by the sender's and by the recipient's group (accounts `<group><n>`). */
  private byGroup(): RunResult['byGroup'] {
    const byGroup: RunResult['byGroup'] = {};
    const groupOfSender = new Map<string, string>();
    const groupOfRecipient = new Map<string, string>();
    const latencies = new Map<string, number[]>();
    const counts = (): FateCounts => ({ total: 0, delivered: 0, duplicated: 0, offline: 0, bounced: 0, lost: 0 });
    for (const group of this.scenario.groups) {
      const model = [...new Set(group.devices.map((device) => device.model))].join('+');
      byGroup[group.name] = { model, clients: group.count * group.devices.length, sent: counts(), received: { ...counts(), latencyMsMedian: 0, latencyMsP95: 0 } };
      latencies.set(group.name, []);
      for (let index = 1; index <= group.count; index++) {
        const account = `${group.name}${index}`;
        groupOfRecipient.set(`${account}@${this.scenario.host}`, group.name);
        if (group.devices.length === 1) groupOfSender.set(account, group.name);
        else for (const device of group.devices) groupOfSender.set(`${account}/${device.resource}`, group.name);
      }
    }
    if (groupOfSender.size === 0) return byGroup;
    for (const fate of this.ledger.fates()) {
      const sender = groupOfSender.get(fate.sender);
      if (sender !== undefined) {
        const row = byGroup[sender]!.sent;
        row.total++;
        row[fate.fate]++;
      }
      const recipient = groupOfRecipient.get(fate.to);
      if (recipient !== undefined) {
        const row = byGroup[recipient]!.received;
        row.total++;
        row[fate.fate]++;
        if (fate.latencyMs !== undefined) latencies.get(recipient)!.push(fate.latencyMs);
      }
    }
    for (const [name, values] of latencies) {
      if (values.length === 0) continue;
      values.sort((a, b) => a - b);
      const received = byGroup[name]!.received;
      received.latencyMsMedian = values[Math.floor((values.length - 1) / 2)]!;
      received.latencyMsP95 = values[Math.floor((values.length - 1) * 0.95)]!;
    }
    return byGroup;
  }

  private result(settled: boolean, isScriptFinished: boolean): RunResult {
    const metrics = this.smacks.metrics;
    const messages = this.ledger.summary();
    return {
      scenario: this.scenario.name,
      seed: this.options.seed,
      variant: this.settings.variant,
      settings: this.settings,
      virtualTimeMs: this.engine.now,
      events: this.engine.eventsFired,
      traceEvents: this.trace.count,
      traceHash: this.trace.hash(),
      settled,
      messages,
      resends: metrics.stanzasReplayed + this.ledger.clientResends,
      hibernation: {
        started: metrics.hibernationsStarted,
        resumed: metrics.hibernationsResumed,
        expired: metrics.hibernationsExpired,
        evicted: metrics.hibernationsEvicted,
        resumedLive: metrics.resumptionsOfLiveSessions,
      },
      acks: { requested: metrics.acksRequested, received: metrics.acksReceived, delayed: metrics.acksDelayed },
      queue: { peak: metrics.queuePeak, peakBytes: metrics.queuedBytesPeak },
      clients: { scripted: this.scripted.size, model: this.population.length },
      clientSide: this.clientSide(),
      byGroup: this.byGroup(),
      scriptTimeouts: this.script?.timedOut ?? [],
      scriptFinished: isScriptFinished,
      wire: this.wire,
      fates: this.ledger.fates(),
    };
  }
}

/** The XEP-0357 app server model clients register with (mod_cloud_notify only traces its pushes). */
const pushServiceJid = 'push.example.net';

/** The model name under which the real xmpp.js runs (presets.ts registers its knobs). */
const xmppjsRealModel = 'xmppjs-real';

/** Run a scenario once: the library's main entry point (synchronous: no `xmppjs-real` clients). */
export function runScenario(scenario: Scenario, options: RunOptions): RunResult {
  return new World(scenario, options).run();
}

/** Run a scenario once, asynchronously if it has `xmppjs-real` clients (World.runAsync). */
export function runScenarioAsync(scenario: Scenario, options: RunOptions, yieldToMicrotasks?: YieldToMicrotasks): Promise<RunResult> {
  return new World(scenario, options).runAsync(yieldToMicrotasks);
}
