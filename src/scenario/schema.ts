/**
 * The scenario format (sims/*.json) and its validation. A scenario is refused before anything runs if
 * any field is unknown, missing or out of range; the error names the file, the field's path, the bad
 * value and what is allowed.
 */
import { parse } from 'ltx';
import type { ClientKnobs } from '../clients/knobs.js';
import type { PathOptions } from '../net/path.js';
import { type DeviceEnvironment, type FaultRate, networkProfileNames, networkProfiles } from '../net/profile.js';
import type { TrafficSpec } from '../workload/traffic.js';
import { type ElementPattern, parseElementPattern } from '../xmpp/pattern.js';
import type { Element } from '../xmpp/stanza.js';
import { ScenarioError } from './errors.js';
import { type ExpectClause, readExpect } from './expect.js';
import { type DeviceSpec, readDevices, readTraffic } from './population.js';
import { ObjectReader } from './reader.js';
import { checkScheduleTargets, type GroupSchedule, readSchedule } from './schedule.js';
import { type Settings, parseSetting } from './settings.js';

export interface NetworkSpec {
  profile: string;
  path: PathOptions;
  faults: FaultRate[];
  /** What the device's OS does to a backgrounded app (from the profile). */
  device: DeviceEnvironment;
}

export interface ClientSpec {
  /** The username on its domain. */
  account: string;
  /** The domain (the scenario's host, or the peer's). */
  domain: string;
  resource: string;
  ack: 'auto' | 'none';
  network: NetworkSpec;
}

export type SmMode = 'none' | 'enable' | 'resume';

/**
 * Server events a `wait-for` step can wait on. The simulator answers them from its trace, the
 * conformance runner from Prosody's debug log (see src/cli/conform/log-watch.ts).
 */
export const serverSignals = ['hibernation-start', 'hibernation-expire', 'offline-store', 'ack-delayed'] as const;
export type ServerSignal = (typeof serverSignals)[number];

/** What a `wait-for` step waits for: `count` matching elements received by a client in all, or
 * `count` occurrences of a server event since the start of the run. */
export type WaitTarget = { client: string; element: ElementPattern } | { server: ServerSignal };

export type Step = { atMs: number | undefined; timeoutMs: number } & (
  | { do: 'login'; client: string; sm: SmMode; presence: boolean; resource: string | undefined }
  | { do: 'bind'; client: string; sm: SmMode; presence: boolean }
  | { do: 'send'; client: string; stanza: Element }
  | { do: 'send-raw'; client: string; xml: string }
  | { do: 'ack'; client: string; h: string | undefined }
  | { do: 'request-ack'; client: string }
  | { do: 'resume'; client: string; previd: string | undefined; previdOf: string | undefined; h: string | undefined }
  | { do: 'close' | 'disconnect' | 'blackhole' | 'outage' | 'reset' | 'freeze' | 'heal'; client: string }
  | { do: 'delay'; client: string; delayMs: number }
  | { do: 'wait'; forMs: number }
  | { do: 'restart'; target: 'server' | 'peer'; downtimeMs: number }
  | { do: 'wait-for'; until: WaitTarget; count: number }
);

export type StepKind = Step['do'];

export const stepKinds: readonly StepKind[] = [
  'login', 'bind', 'send', 'send-raw', 'ack', 'request-ack', 'resume', 'close', 'disconnect',
  'blackhole', 'outage', 'reset', 'freeze', 'heal', 'delay', 'wait', 'wait-for', 'restart',
];

const faultKinds: readonly string[] = ['blackhole', 'outage', 'reset', 'freeze', 'heal', 'delay'];

export interface GroupSpec {
  name: string;
  count: number;
  /** Every account's devices (population.ts); `model`, `network` and `knobs` are the first one's. */
  devices: Array<DeviceSpec<NetworkSpec>>;
  model: string;
  network: NetworkSpec;
  messagesPerHour: number;
  knobs: ClientKnobs;
  traffic: TrafficSpec;
  /** Fixed faults and messages replacing the random draws (schedule.ts). */
  schedule: GroupSchedule | undefined;
}

/** A second server domain, reached over s2s. */
export interface PeerSpec {
  host: string;
  server: Partial<Settings>;
  accounts: Array<{ username: string; password: string }>;
  /** The s2s link between the two servers (fault steps name it "s2s"). */
  network: NetworkSpec;
}

export interface Scenario {
  name: string;
  description: string;
  /** Seed used when the command line gives none. */
  seed: number;
  host: string;
  /** Length of the safety phase (faults and traffic on). */
  durationMs: number;
  /** Upper bound on the settle phase. */
  settleMsMax: number;
  server: Partial<Settings>;
  accounts: Array<{ username: string; password: string }>;
  clients: Map<string, ClientSpec>;
  script: Step[];
  groups: GroupSpec[];
  peer: PeerSpec | undefined;
  /** Bounds on the run's numbers that `smacksim check` holds every seed to (expect.ts). */
  expect: ExpectClause[];
  /** How `smacksim check` runs this scenario when its command line does not say: `seeds`, the seed budget. */
  check: CheckSpec | undefined;
}

/** The scenario's `check` block: `{"seeds": N}`, the default of `smacksim check --seeds`. */
export interface CheckSpec {
  seeds: number;
}

/** The link name fault steps use for the s2s connection between the two domains. */
export const s2sLinkName = 's2s';

const namePattern = /^[A-Za-z][A-Za-z0-9_.-]*$/;

function readNetwork(source: string, path: string, raw: unknown, fallbackProfile: string): NetworkSpec {
  if (raw === undefined) raw = { profile: fallbackProfile };
  if (typeof raw === 'string') raw = { profile: raw };
  const reader = ObjectReader.of(source, path, raw);
  const profileName = reader.oneOf('profile', networkProfileNames, fallbackProfile);
  const profile = networkProfiles[profileName]!;
  const base = profile.path;
  const path_: PathOptions = {
    latencyMs: reader.duration('latencyMs', base.latencyMs),
    jitterMs: reader.duration('jitterMs', base.jitterMs),
    lossRate: reader.number('lossRate', { min: 0, max: 1, fallback: base.lossRate }),
    lossRetransmitMs: reader.duration('lossRetransmitMs', base.lossRetransmitMs),
    tcpGiveUpMs: reader.duration('tcpGiveUpMs', base.tcpGiveUpMs),
    natIdleMs: reader.duration('natIdle', base.natIdleMs),
    natIdleMsMax: reader.duration('natIdleMax', reader.has('natIdle') ? 0 : base.natIdleMsMax),
    wakeAfterIdleMs: reader.duration('wakeAfterIdle', base.wakeAfterIdleMs),
    wakeDelayMs: reader.duration('wakeDelay', base.wakeDelayMs),
  };
  if (path_.natIdleMsMax !== 0 && path_.natIdleMsMax < path_.natIdleMs) reader.fail('natIdleMax', 'must not be below natIdle (or 0: no range)');
  const faultsRaw = reader.array('faults');
  const faults = faultsRaw === undefined ? profile.faults.map((fault) => ({ ...fault })) : faultsRaw.map((item, index) => readFault(source, `${reader.at('faults')}[${index}]`, item));
  reader.done();
  return { profile: profileName, path: path_, faults, device: profile.device };
}

function readFault(source: string, path: string, raw: unknown): FaultRate {
  const reader = ObjectReader.of(source, path, raw);
  const fault: FaultRate = {
    kind: reader.oneOf('kind', ['reset', 'blackhole', 'outage', 'handover'] as const),
    perHour: reader.number('perHour', { min: 0 }),
    durationMsMin: reader.duration('durationMin', 0),
    durationMsMax: reader.duration('durationMax', 0),
  };
  if (fault.durationMsMax < fault.durationMsMin) reader.fail('durationMax', 'must not be below durationMin');
  if (fault.kind !== 'reset' && fault.durationMsMax === 0) reader.fail('durationMax', `a ${fault.kind} needs a duration`, 'a duration > 0');
  reader.done();
  return fault;
}

function readStep(source: string, path: string, raw: unknown, clients: ReadonlyMap<string, ClientSpec>, hasPeer: boolean): Step {
  const reader = ObjectReader.of(source, path, raw);
  const kind = reader.oneOf('do', stepKinds);
  const atMs = reader.has('at') ? reader.duration('at') : (reader.raw('at'), undefined);
  const timeoutMs = reader.duration('timeout', 60_000);
  const common = { atMs, timeoutMs };
  const client = (): string => {
    const name = reader.string('client');
    const isLink = hasPeer && name === s2sLinkName && faultKinds.includes(kind);
    if (!clients.has(name) && !isLink) {
      const names = [...clients.keys(), ...(hasPeer && faultKinds.includes(kind) ? [s2sLinkName] : [])];
      reader.fail('client', 'no such client', names.join(', ') || '(no clients declared)');
    }
    return name;
  };
  const sm = (): SmMode => reader.oneOf('sm', ['none', 'enable', 'resume'] as const, 'resume');
  const counter = (key: string): string | undefined => {
    const value = reader.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'number' || typeof value === 'string') return String(value);
    return reader.fail(key, 'expected a number or a string (sent verbatim)');
  };
  let step: Step;
  switch (kind) {
    case 'login':
      step = { ...common, do: kind, client: client(), sm: sm(), presence: reader.boolean('presence', true), resource: reader.string('resource', undefined) };
      break;
    case 'bind':
      step = { ...common, do: kind, client: client(), sm: sm(), presence: reader.boolean('presence', true) };
      break;
    case 'send': {
      const xml = reader.string('xml');
      let stanza: Element;
      try {
        stanza = parse(xml) as Element;
      } catch (error) {
        return reader.fail('xml', `not well-formed XML (${(error as Error).message}); use send-raw for malformed input`);
      }
      step = { ...common, do: kind, client: client(), stanza };
      break;
    }
    case 'send-raw':
      step = { ...common, do: kind, client: client(), xml: reader.string('xml') };
      break;
    case 'ack':
      step = { ...common, do: kind, client: client(), h: counter('h') };
      break;
    case 'resume': {
      const previd = reader.string('previd', undefined);
      // previdOf: resume another client's current session id (a foreign resumption).
      const previdOf = reader.string('previdOf', undefined);
      if (previdOf !== undefined && !clients.has(previdOf)) reader.fail('previdOf', 'no such client', [...clients.keys()].join(', '));
      if (previdOf !== undefined && previd !== undefined) reader.fail('previdOf', 'give previd or previdOf, not both');
      step = { ...common, do: kind, client: client(), previd, previdOf, h: counter('h') };
      break;
    }
    case 'delay':
      step = { ...common, do: kind, client: client(), delayMs: reader.duration('ms') };
      break;
    case 'wait':
      step = { ...common, do: kind, forMs: reader.duration('for') };
      break;
    case 'restart': {
      const target = reader.oneOf('target', ['server', 'peer'] as const, 'server');
      if (target === 'peer' && !hasPeer) reader.fail('target', 'the scenario has no peer domain', 'server');
      step = { ...common, do: kind, target, downtimeMs: reader.duration('downtime', 1000) };
      break;
    }
    case 'wait-for': {
      const count = reader.number('count', { min: 1, isInteger: true, fallback: 1 });
      if (reader.has('server') === reader.has('client')) reader.fail('server', 'give either `client` and `element`, or `server`');
      if (reader.has('server')) {
        step = { ...common, do: kind, until: { server: reader.oneOf('server', serverSignals) }, count };
        break;
      }
      const name = client();
      const pattern = parseElementPattern(reader.string('element'));
      if (typeof pattern === 'string') return reader.fail('element', `not an element pattern: ${pattern}`, "e.g. 'resumed', 'message#m2', 'presence[type=unavailable]'");
      step = { ...common, do: kind, until: { client: name, element: pattern }, count };
      break;
    }
    default:
      step = { ...common, do: kind, client: client() };
  }
  reader.done(`do, at, timeout, and for '${kind}': ${[...stepFields(kind)].join(', ') || 'nothing else'}`);
  return step;
}

function stepFields(kind: StepKind): string[] {
  switch (kind) {
    case 'login':
      return ['client', 'sm', 'presence', 'resource'];
    case 'bind':
      return ['client', 'sm', 'presence'];
    case 'send':
    case 'send-raw':
      return ['client', 'xml'];
    case 'ack':
      return ['client', 'h'];
    case 'resume':
      return ['client', 'previd', 'previdOf', 'h'];
    case 'delay':
      return ['client', 'ms'];
    case 'wait':
      return ['for'];
    case 'restart':
      return ['target', 'downtime'];
    case 'wait-for':
      return ['client', 'element', 'server', 'count'];
    default:
      return ['client'];
  }
}

function readGroup(source: string, path: string, raw: unknown): GroupSpec {
  const reader = ObjectReader.of(source, path, raw);
  const name = reader.string('name');
  if (!namePattern.test(name)) reader.fail('name', 'must start with a letter and use letters, digits, _ . -');
  const count = reader.number('count', { min: 1, max: 100_000, isInteger: true });
  const devices = readDevices(source, reader, readNetwork);
  const first = devices[0]!;
  const group: GroupSpec = {
    name,
    count,
    devices,
    model: first.model,
    network: first.network,
    messagesPerHour: reader.number('messagesPerHour', { min: 0, fallback: 4 }),
    knobs: first.knobs,
    traffic: readTraffic(source, reader.at('traffic'), reader.raw('traffic')),
    schedule: undefined,
  };
  group.schedule = readSchedule(source, reader.at('schedule'), reader.raw('schedule'), group.name, group.count);
  reader.done();
  return group;
}

/** Validate a parsed scenario file. `source` names it in errors. */
export function readScenario(source: string, raw: unknown): Scenario {
  const reader = ObjectReader.of(source, '', raw);
  const name = reader.string('name');
  const description = reader.string('description', '');
  const seed = reader.number('seed', { min: 0, isInteger: true, fallback: 1 });
  const host = reader.string('host', 'localhost');
  const durationMs = reader.duration('duration', 0);
  const settleMsMax = reader.duration('settleMax', 3_600_000);

  const server = readServerSettings(source, reader.object('server'));

  const accounts = readAccounts(source, 'accounts', reader.array('accounts'));
  const accountNames = new Set(accounts.map((account) => account.username));
  const peer = readPeer(source, reader.raw('peer'), host);
  const peerAccountNames = new Set(peer?.accounts.map((account) => account.username));

  const defaultNetwork = reader.raw('network');
  const clients = new Map<string, ClientSpec>();
  const clientsReader = reader.object('clients');
  if (clientsReader !== undefined) {
    for (const clientName of Object.keys(clientsReader.value)) {
      const clientReader = ObjectReader.of(source, clientsReader.at(clientName), clientsReader.raw(clientName));
      if (!namePattern.test(clientName)) clientReader.fail('', 'a client name starts with a letter and uses letters, digits, _ . -');
      const accountJid = clientReader.string('account');
      const at = accountJid.indexOf('@');
      const account = at === -1 ? accountJid : accountJid.slice(0, at);
      const domain = at === -1 ? host : accountJid.slice(at + 1);
      const known = domain === host ? accountNames.has(account) : domain === peer?.host && peerAccountNames.has(account);
      if (!known) {
        const all = [...accountNames, ...[...peerAccountNames].map((name) => `${name}@${peer?.host}`)];
        clientReader.fail('account', 'no such account', all.join(', ') || '(no accounts declared)');
      }
      clients.set(clientName, {
        account,
        domain,
        resource: clientReader.string('resource', clientName),
        ack: clientReader.oneOf('ack', ['auto', 'none'] as const, 'auto'),
        network: readNetwork(source, clientReader.at('network'), clientReader.raw('network') ?? defaultNetwork, 'loopback'),
      });
      clientReader.done();
    }
  }
  if (defaultNetwork !== undefined) readNetwork(source, 'network', defaultNetwork, 'loopback');

  const script = (reader.array('script') ?? []).map((item, index) => readStep(source, `script[${index}]`, item, clients, peer !== undefined));
  const populationReader = reader.object('population');
  const groups: GroupSpec[] = [];
  if (populationReader !== undefined) {
    for (const [index, item] of (populationReader.array('groups') ?? []).entries()) {
      groups.push(readGroup(source, `${populationReader.at('groups')}[${index}]`, item));
    }
    populationReader.done();
  }
  if (script.length === 0 && groups.length === 0) {
    throw new ScenarioError(source, '', 'a scenario needs a `script` or a `population`', undefined, 'script: [steps], population: { groups: [...] }');
  }
  if (groups.length > 0 && durationMs === 0) reader.fail('duration', 'a population needs a duration', 'a duration > 0, e.g. "1d"');
  checkScheduleTargets(source, groups, accountNames);
  const expect = readExpect(source, reader.raw('expect'));
  const check = readCheck(reader.object('check'));
  const groupNames = new Set<string>();
  for (const group of groups) {
    if (groupNames.has(group.name)) throw new ScenarioError(source, 'population.groups', `group name '${group.name}' is used twice`);
    groupNames.add(group.name);
  }
  reader.done();
  return { name, description, seed, host, durationMs, settleMsMax, server, accounts, clients, script, groups, peer, expect, check };
}

function readCheck(reader: ObjectReader | undefined): CheckSpec | undefined {
  if (reader === undefined) return undefined;
  const check = { seeds: reader.number('seeds', { min: 1, max: 1_000_000, isInteger: true }) };
  reader.done();
  return check;
}

function readServerSettings(source: string, reader: ObjectReader | undefined): Partial<Settings> {
  const server: Partial<Settings> = {};
  if (reader === undefined) return server;
  for (const key of Object.keys(reader.value)) {
    (server as Record<string, unknown>)[key] = parseSetting(source, reader.at(key), key, reader.raw(key));
  }
  return server;
}

function readAccounts(source: string, path: string, items: unknown[] | undefined): Array<{ username: string; password: string }> {
  const accounts: Array<{ username: string; password: string }> = [];
  const names = new Set<string>();
  for (const [index, item] of (items ?? []).entries()) {
    const itemPath = `${path}[${index}]`;
    const account = typeof item === 'string' ? { username: item, password: `${item}pass` } : readAccount(source, itemPath, item);
    if (!/^[a-z0-9_.-]+$/.test(account.username)) throw new ScenarioError(source, itemPath, 'a username uses lowercase letters, digits, _ . -', account.username);
    if (names.has(account.username)) throw new ScenarioError(source, itemPath, `account '${account.username}' is declared twice`);
    names.add(account.username);
    accounts.push(account);
  }
  return accounts;
}

/** `peer`: a second domain with its own server settings and accounts, linked over s2s. */
function readPeer(source: string, raw: unknown, mainHost: string): PeerSpec | undefined {
  if (raw === undefined) return undefined;
  const reader = ObjectReader.of(source, 'peer', raw);
  const host = reader.string('host');
  if (host === mainHost || !/^[a-z0-9.-]+$/.test(host)) reader.fail('host', 'a domain name other than the scenario host');
  const peer: PeerSpec = {
    host,
    server: readServerSettings(source, reader.object('server')),
    accounts: readAccounts(source, 'peer.accounts', reader.array('accounts')),
    network: readNetwork(source, 'peer.network', reader.raw('network'), 'loopback'),
  };
  reader.done();
  return peer;
}

function readAccount(source: string, path: string, raw: unknown): { username: string; password: string } {
  const reader = ObjectReader.of(source, path, raw);
  const username = reader.string('username');
  const account = { username, password: reader.string('password', `${username}pass`) };
  reader.done();
  return account;
}
