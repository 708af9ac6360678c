/**
 * Shrinking a failing scenario to a small one that fails the same way (delta debugging over the
 * scenario document). The oracle runs a candidate with the failing seed and settings and says
 * whether it still breaks the same invariant; this module only proposes smaller documents.
 *
 * Scripts: ddmin over the steps, then clients and accounts no remaining step uses are dropped, then
 * `at` times are pulled earlier and waits, delays and downtimes shortened.
 *
 * Populations: first the parameters, with the random draws still on (fewer clients per group, a
 * shorter duration, lower message and fault rates); then the run's recorded schedule becomes an
 * explicit group `schedule` (scenario/schedule.ts), and ddmin drops faults, then messages; the
 * group keeps only as many clients as the schedule still names, the duration ends just after the
 * last scheduled event, and fault durations are halved while the failure holds.
 */
import { parseDurationMs } from '../scenario/duration.js';
import { readScenario } from '../scenario/schema.js';
import { type DdminBudget, ddmin } from './ddmin.js';
import type { RecordedSchedule } from './schedule-recorder.js';

type Doc = Record<string, unknown>;
type Group = Record<string, unknown>;

export interface ShrinkOracle {
  /** True when the document, run with the failing seed and settings, breaks the same invariant. */
  fails(document: Doc): boolean;
  /** The faults and messages a run of the document records. */
  record(document: Doc): RecordedSchedule;
}

export interface ShrinkOptions {
  /** At most this many candidate runs (default 600). */
  budget?: number;
  /** Progress, one line per accepted step. */
  log?: (line: string) => void;
}

export interface ShrinkResult {
  document: Doc;
  /** Candidate runs made. */
  tests: number;
  /** False when the recorded schedule did not reproduce the failure (the population stayed random). */
  isScheduled: boolean;
}

export interface ScenarioSize {
  clients: number;
  steps: number;
  faults: number;
  messages: number;
}

export function scenarioSize(document: Doc, schedule: RecordedSchedule): ScenarioSize {
  const clients = Object.keys((document.clients as Doc | undefined) ?? {}).length + groupsOf(document).reduce((sum, group) => sum + Number(group.count ?? 0), 0);
  return { clients, steps: scriptOf(document).length, faults: schedule.faults.length, messages: schedule.messages.length };
}

/** `at` as a scenario file writes it: whole seconds, or seconds with milliseconds ("754.123s"). */
export function formatAt(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(3).replace(/0+$/, '')}s`;
}

function groupsOf(document: Doc): Group[] {
  return ((document.population as Doc | undefined)?.groups as Group[] | undefined) ?? [];
}

function scriptOf(document: Doc): Doc[] {
  return (document.script as Doc[] | undefined) ?? [];
}

function clone(document: Doc): Doc {
  return structuredClone(document);
}

class Shrinker {
  readonly budget: DdminBudget;
  tests = 0;

  constructor(
    private readonly oracle: ShrinkOracle,
    budget: number,
    private readonly log: (line: string) => void,
  ) {
    this.budget = { tests: budget };
  }

  fails(document: Doc): boolean {
    if (this.budget.tests <= 0) return false;
    this.budget.tests--;
    this.tests++;
    try {
      return this.oracle.fails(document);
    } catch {
      return false; // a candidate the schema refuses is simply not smaller
    }
  }

  /** The first candidate (in the order given) that still fails, or undefined. */
  firstFailing(candidates: Doc[]): Doc | undefined {
    for (const candidate of candidates) if (this.fails(candidate)) return candidate;
    return undefined;
  }

  /** ddmin wrapped for documents: `build` makes the document for a subset (undefined: not worth a run). */
  minimize<T>(items: readonly T[], build: (subset: readonly T[]) => Doc | undefined): T[] {
    const inner: DdminBudget = { tests: this.budget.tests };
    const result = ddmin(items, (subset) => {
      const document = build(subset);
      if (document === undefined) {
        inner.tests++; // ddmin counted a test that never ran
        return false;
      }
      this.tests++;
      try {
        return this.oracle.fails(document);
      } catch {
        return false;
      }
    }, inner);
    this.budget.tests = inner.tests;
    return result;
  }

  // ---- scripts ----

  script(document: Doc): Doc {
    let current = document;
    const steps = scriptOf(current);
    if (steps.length > 0) {
      const kept = this.minimize(steps, (subset) => (isPlausibleScript(subset) ? { ...current, script: subset } : undefined));
      if (kept.length < steps.length) {
        current = { ...current, script: kept };
        this.log(`script: ${steps.length} → ${kept.length} steps`);
      }
    }
    current = this.unusedClients(current);
    current = this.unusedAccounts(current);
    current = this.earlierSteps(current);
    current = this.shorterStepDurations(current);
    if (groupsOf(current).length === 0 && current.duration !== undefined && parseDurationMs(current.duration) !== 0) {
      const candidate = { ...current };
      delete candidate.duration;
      if (this.fails(candidate)) current = candidate;
    }
    return current;
  }

  private unusedClients(document: Doc): Doc {
    const clients = (document.clients as Doc | undefined) ?? {};
    const used = new Set<string>();
    for (const step of scriptOf(document)) {
      for (const key of ['client', 'previdOf']) if (typeof step[key] === 'string') used.add(step[key] as string);
    }
    const unused = Object.keys(clients).filter((name) => !used.has(name));
    if (unused.length === 0) return document;
    const keep = (names: readonly string[]): Doc => ({ ...document, clients: Object.fromEntries(Object.entries(clients).filter(([name]) => used.has(name) || names.includes(name))) });
    const kept = this.minimize(unused, keep);
    if (kept.length === unused.length) return document;
    this.log(`clients: ${Object.keys(clients).length} → ${used.size + kept.length}`);
    return keep(kept);
  }

  private unusedAccounts(document: Doc): Doc {
    const accounts = (document.accounts as unknown[] | undefined) ?? [];
    const nameOf = (account: unknown): string => (typeof account === 'string' ? account : String((account as Doc).username));
    const used = new Set(Object.values((document.clients as Doc | undefined) ?? {}).map((client) => String((client as Doc).account).split('@')[0]));
    const unused = accounts.filter((account) => !used.has(nameOf(account)));
    if (unused.length === 0) return document;
    const keep = (subset: readonly unknown[]): Doc => ({ ...document, accounts: accounts.filter((account) => used.has(nameOf(account)) || subset.includes(account)) });
    const kept = this.minimize(unused, keep);
    if (kept.length === unused.length) return document;
    this.log(`accounts: ${accounts.length} → ${accounts.length - unused.length + kept.length}`);
    return keep(kept);
  }

  /** Pull each timed step earlier: drop its `at`, else halve the gap to the previous timed step. */
  private earlierSteps(document: Doc): Doc {
    let current = document;
    let previousAt = 0;
    for (let index = 0; index < scriptOf(current).length; index++) {
      const step = scriptOf(current)[index]!;
      const at = step.at === undefined ? undefined : parseDurationMs(step.at);
      if (at === undefined) continue;
      const withAt = (value: number | undefined): Doc => {
        const script = scriptOf(current).map((item, other) => (other === index ? { ...item } : item));
        if (value === undefined) delete script[index]!.at;
        else script[index]!.at = formatAt(value);
        return { ...current, script };
      };
      const untimed = withAt(undefined);
      if (this.fails(untimed)) {
        current = untimed;
        continue;
      }
      let best = at;
      for (let round = 0; round < 6 && best - previousAt > 1; round++) {
        const candidate = previousAt + Math.floor((best - previousAt) / 2);
        const next = withAt(candidate);
        if (!this.fails(next)) break;
        current = next;
        best = candidate;
      }
      previousAt = best;
    }
    return current;
  }

  /** Halve waits, delays and restart downtimes while the failure holds. */
  private shorterStepDurations(document: Doc): Doc {
    let current = document;
    const keys: Record<string, string> = { wait: 'for', delay: 'ms', restart: 'downtime' };
    for (let index = 0; index < scriptOf(current).length; index++) {
      const step = scriptOf(current)[index]!;
      const key = keys[String(step.do)];
      if (key === undefined || step[key] === undefined) continue;
      let value = parseDurationMs(step[key]);
      for (let round = 0; round < 8 && value !== undefined && value > 1; round++) {
        const script = scriptOf(current).map((item, other) => (other === index ? { ...item, [key]: formatAt(Math.floor(value! / 2)) } : item));
        const candidate = { ...current, script };
        if (!this.fails(candidate)) break;
        current = candidate;
        value = Math.floor(value / 2);
      }
    }
    return current;
  }

  // ---- populations: parameters ----

  parameters(document: Doc): Doc {
    let current = document;
    for (let round = 0; round < 3; round++) {
      const before = JSON.stringify(current);
      current = this.fewerClients(current);
      current = this.shorterDuration(current);
      current = this.lowerRates(current);
      if (JSON.stringify(current) === before) break;
    }
    return current;
  }

  private withGroup(document: Doc, index: number, change: (group: Group) => Group): Doc {
    const population = { ...(document.population as Doc) };
    population.groups = groupsOf(document).map((group, other) => (other === index ? change({ ...group }) : group));
    return { ...document, population };
  }

  private fewerClients(document: Doc): Doc {
    let current = document;
    for (const [index, group] of groupsOf(current).entries()) {
      const count = Number(group.count);
      const sizes = [...new Set([1, 2, Math.ceil(count / 4), Math.ceil(count / 2)])].filter((size) => size < count).sort((a, b) => a - b);
      const found = this.firstFailing(sizes.map((size) => this.withGroup(current, index, (copy) => ({ ...copy, count: size }))));
      if (found !== undefined) {
        this.log(`group ${String(group.name)}: ${count} → ${String(groupsOf(found)[index]!.count)} clients`);
        current = found;
      }
    }
    return current;
  }

  private shorterDuration(document: Doc): Doc {
    const duration = parseDurationMs(document.duration);
    if (duration === undefined || duration <= 60_000) return document;
    const lengths = [duration / 8, duration / 4, duration / 2].map((ms) => Math.max(60_000, Math.round(ms))).filter((ms) => ms < duration);
    const found = this.firstFailing([...new Set(lengths)].map((ms) => ({ ...document, duration: formatAt(ms) })));
    if (found === undefined) return document;
    this.log(`duration: ${formatAt(duration)} → ${String(found.duration)}`);
    return found;
  }

  private lowerRates(document: Doc): Doc {
    let current = document;
    const scenario = readScenario('(shrink)', current);
    for (const [index, group] of groupsOf(current).entries()) {
      const rate = Number(group.messagesPerHour ?? scenario.groups[index]!.messagesPerHour);
      if (rate > 0) {
        const found = this.firstFailing([rate / 4, rate / 2].map((value) => this.withGroup(current, index, (copy) => ({ ...copy, messagesPerHour: value }))));
        if (found !== undefined) {
          this.log(`group ${String(group.name)}: ${rate} → ${String(groupsOf(found)[index]!.messagesPerHour)} messages per hour`);
          current = found;
        }
      }
      const faults = scenario.groups[index]!.network.faults;
      for (const [faultIndex, fault] of faults.entries()) {
        if (fault.perHour === 0) continue;
        const withRate = (perHour: number): Doc =>
          this.withGroup(current, index, (copy) => {
            const network = explicitNetwork(copy, scenario.groups[index]!.network.profile, faults);
            (network.faults as Doc[])[faultIndex] = { ...(network.faults as Doc[])[faultIndex], perHour };
            return { ...copy, network };
          });
        const found = this.firstFailing([0, fault.perHour / 2].map(withRate));
        if (found !== undefined) {
          const perHour = ((groupsOf(found)[index]!.network as Doc).faults as Doc[])[faultIndex]!.perHour;
          this.log(`group ${String(group.name)}: ${fault.kind} ${fault.perHour} → ${String(perHour)} per hour`);
          current = found;
        }
      }
    }
    return current;
  }

  // ---- populations: the recorded schedule ----

  /**
   * The document with each group's recorded faults and messages as its explicit schedule. With
   * `original`, each group's network and message rate go back to what they were there: a schedule
   * makes them irrelevant, and the file reads better without the lowered rates.
   */
  scheduled(document: Doc, schedule: RecordedSchedule, original?: Doc): Doc {
    let current = document;
    for (const [index, group] of groupsOf(current).entries()) {
      const before = original === undefined ? undefined : groupsOf(original).find((item) => item.name === group.name);
      if (before === undefined) continue;
      current = this.withGroup(current, index, (copy) => {
        const restored: Group = { ...copy };
        for (const key of ['network', 'messagesPerHour']) {
          if (before[key] === undefined) delete restored[key];
          else restored[key] = before[key];
        }
        return restored;
      });
    }
    for (const [index, group] of groupsOf(current).entries()) {
      const name = String(group.name);
      const count = Number(group.count);
      const isMember = (client: string): boolean => {
        const number = Number(client.slice(name.length));
        return client.startsWith(name) && Number.isInteger(number) && number >= 1 && number <= count && `${name}${number}` === client;
      };
      const faults = schedule.faults
        .filter((fault) => isMember(fault.client) && (fault.kind === 'reset' || fault.kind === 'blackhole' || fault.kind === 'outage'))
        .map((fault) => ({ at: formatAt(fault.at), client: fault.client, kind: fault.kind, ...(fault.durationMs === undefined ? {} : { durationMs: fault.durationMs }) }));
      const messages = schedule.messages.filter((message) => isMember(message.from)).map((message) => ({ at: formatAt(message.at), from: message.from, to: message.to }));
      current = this.withGroup(current, index, (copy) => ({ ...copy, schedule: { faults, messages } }));
    }
    return current;
  }

  schedule(document: Doc): Doc {
    let current = document;
    const all = (doc: Doc, key: 'faults' | 'messages'): Array<{ group: number; item: Doc }> =>
      groupsOf(doc).flatMap((group, index) => (((group.schedule as Doc | undefined)?.[key] as Doc[] | undefined) ?? []).map((item) => ({ group: index, item })));
    const rebuild = (doc: Doc, key: 'faults' | 'messages', items: ReadonlyArray<{ group: number; item: Doc }>): Doc => {
      let next = doc;
      for (const index of groupsOf(doc).keys()) {
        next = this.withGroup(next, index, (copy) => ({ ...copy, schedule: { ...(copy.schedule as Doc), [key]: items.filter((entry) => entry.group === index).map((entry) => entry.item) } }));
      }
      return next;
    };
    for (const key of ['faults', 'messages'] as const) {
      const items = all(current, key);
      const kept = this.minimize(items, (subset) => rebuild(current, key, subset));
      if (kept.length < items.length) {
        this.log(`schedule: ${items.length} → ${kept.length} ${key}`);
        current = rebuild(current, key, kept);
      }
    }
    current = this.compactGroups(current);
    current = this.earlierSchedule(current);
    current = this.scheduleDuration(current);
    current = this.shorterFaults(current);
    return current;
  }

  /** Each group keeps only as many clients as its schedule (and the others' messages to it) names. */
  private compactGroups(document: Doc): Doc {
    let current = document;
    const named = new Set<string>();
    for (const group of groupsOf(current)) {
      const schedule = group.schedule as { faults?: Doc[]; messages?: Doc[] } | undefined;
      for (const fault of schedule?.faults ?? []) named.add(String(fault.client));
      for (const message of schedule?.messages ?? []) {
        named.add(String(message.from));
        named.add(String(message.to));
      }
    }
    for (const [index, group] of groupsOf(current).entries()) {
      const name = String(group.name);
      const count = Number(group.count);
      let highest = 0;
      for (let number = 1; number <= count; number++) if (named.has(`${name}${number}`)) highest = number;
      const used: number[] = [];
      for (let number = 1; number <= count; number++) if (named.has(`${name}${number}`)) used.push(number);
      // Fewer clients: cut after the highest one named, else also renumber the named ones 1…k (their
      // network and start draws change with their names, so this is only a candidate).
      const candidates = [...new Set([Math.max(1, highest)])].filter((size) => size < count).map((size) => this.withGroup(current, index, (copy) => ({ ...copy, count: size })));
      if (used.length < highest) for (const order of orders(used)) candidates.push(renumbered(current, index, order));
      const found = this.firstFailing(candidates);
      if (found !== undefined) {
        this.log(`group ${name}: ${count} → ${String(groupsOf(found)[index]!.count)} clients`);
        current = found;
      }
    }
    return current;
  }

  /**
   * Move the whole schedule earlier, keeping its rhythm: the first event a little after every client
   * has logged in (they start within the first minute), or at least by half the way.
   */
  private earlierSchedule(document: Doc): Doc {
    const items = groupsOf(document).flatMap((group) => {
      const schedule = group.schedule as { faults?: Doc[]; messages?: Doc[] } | undefined;
      return [...(schedule?.faults ?? []), ...(schedule?.messages ?? [])];
    });
    if (items.length === 0) return document;
    const first = Math.min(...items.map((item) => parseDurationMs(item.at) ?? 0));
    const shifts = [first - 65_000, Math.floor((first - 65_000) / 2)].filter((ms) => ms >= 1000);
    const shifted = (deltaMs: number): Doc => {
      const copy = clone(document);
      for (const group of groupsOf(copy)) {
        const schedule = group.schedule as { faults?: Doc[]; messages?: Doc[] } | undefined;
        for (const item of [...(schedule?.faults ?? []), ...(schedule?.messages ?? [])]) item.at = formatAt((parseDurationMs(item.at) ?? 0) - deltaMs);
      }
      const duration = parseDurationMs(copy.duration);
      if (duration !== undefined) copy.duration = formatAt(Math.max(1000, duration - deltaMs));
      return copy;
    };
    for (const deltaMs of shifts) {
      const candidate = shifted(deltaMs);
      if (!this.fails(candidate)) continue;
      this.log(`schedule: ${formatAt(deltaMs)} earlier`);
      return candidate;
    }
    return document;
  }

  /** The safety phase ends shortly after the last scheduled fault or message. */
  private scheduleDuration(document: Doc): Doc {
    const duration = parseDurationMs(document.duration) ?? 0;
    let last = 0;
    for (const group of groupsOf(document)) {
      const schedule = group.schedule as { faults?: Doc[]; messages?: Doc[] } | undefined;
      for (const item of [...(schedule?.faults ?? []), ...(schedule?.messages ?? [])]) last = Math.max(last, parseDurationMs(item.at) ?? 0);
    }
    const lengths = [last + 1000, last + 60_000, last + 600_000].map((ms) => Math.ceil(ms / 1000) * 1000).filter((ms) => ms < duration);
    const found = this.firstFailing(lengths.map((ms) => ({ ...document, duration: formatAt(ms) })));
    if (found === undefined) return document;
    this.log(`duration: ${formatAt(duration)} → ${String(found.duration)}`);
    return found;
  }

  /** Halve each remaining blackhole or outage while the failure holds. */
  private shorterFaults(document: Doc): Doc {
    let current = document;
    for (const [index, group] of groupsOf(current).entries()) {
      const count = ((group.schedule as Doc | undefined)?.faults as Doc[] | undefined)?.length ?? 0;
      for (let faultIndex = 0; faultIndex < count; faultIndex++) {
        for (let round = 0; round < 8; round++) {
          const fault = ((groupsOf(current)[index]!.schedule as Doc).faults as Doc[])[faultIndex]!;
          const durationMs = Number(fault.durationMs ?? 0);
          if (durationMs < 2) break;
          const candidate = this.withGroup(current, index, (copy) => {
            const schedule = copy.schedule as Doc;
            const faults = (schedule.faults as Doc[]).map((item, other) => (other === faultIndex ? { ...item, durationMs: Math.floor(durationMs / 2) } : item));
            return { ...copy, schedule: { ...schedule, faults } };
          });
          if (!this.fails(candidate)) break;
          current = candidate;
        }
      }
    }
    return current;
  }
}

/**
 * Steps that act on a connection come after a login (or resume) of their client. Without this, ddmin
 * happily "explains" a lost message by a client that sends without ever connecting: the same invariant,
 * but not the same failure.
 */
export function isPlausibleScript(steps: readonly Doc[]): boolean {
  const connected = new Set<string>();
  const needsConnection = new Set(['send', 'send-raw', 'ack', 'request-ack', 'close', 'disconnect', 'bind']);
  for (const step of steps) {
    const client = String(step.client);
    if (step.do === 'login') connected.add(client);
    else if (step.do === 'resume') {
      if (!connected.has(client) && step.previd === undefined && step.previdOf === undefined) return false;
      connected.add(client);
    } else if (needsConnection.has(String(step.do)) && !connected.has(client)) return false;
  }
  return true;
}

/** Ways to line up the named clients for renumbering: every order for up to three, else the given one. */
function orders(used: readonly number[]): number[][] {
  if (used.length > 3) return [[...used]];
  if (used.length <= 1) return [[...used]];
  return used.flatMap((first) => orders(used.filter((other) => other !== first)).map((rest) => [first, ...rest]));
}

/** The document with the group's clients `used` (by number) renamed to 1…k (in that order) everywhere a schedule names them. */
function renumbered(document: Doc, groupIndex: number, used: readonly number[]): Doc {
  const copy = clone(document);
  const groups = groupsOf(copy);
  const name = String(groups[groupIndex]!.name);
  const rename = new Map(used.map((number, index) => [`${name}${number}`, `${name}${index + 1}`]));
  const renamed = (value: unknown): unknown => (typeof value === 'string' ? (rename.get(value) ?? value) : value);
  for (const group of groups) {
    const schedule = group.schedule as { faults?: Doc[]; messages?: Doc[] } | undefined;
    for (const fault of schedule?.faults ?? []) fault.client = renamed(fault.client);
    for (const message of schedule?.messages ?? []) {
      message.from = renamed(message.from);
      message.to = renamed(message.to);
    }
  }
  groups[groupIndex]!.count = Math.max(1, used.length);
  return copy;
}

/** A group's network as an explicit object with its fault rates written out (to lower one of them). */
function explicitNetwork(group: Group, profile: string, faults: ReadonlyArray<{ kind: string; perHour: number; durationMsMin: number; durationMsMax: number }>): Doc {
  const network: Doc = typeof group.network === 'object' && group.network !== null ? { ...(group.network as Doc) } : { profile };
  if (!Array.isArray(network.faults)) {
    network.faults = faults.map((fault) => ({ kind: fault.kind, perHour: fault.perHour, durationMin: fault.durationMsMin, durationMax: fault.durationMsMax }));
  } else network.faults = (network.faults as Doc[]).map((fault) => ({ ...fault }));
  return network;
}

/** Shrink a failing scenario document; the oracle decides what "still fails" means. */
export function shrinkScenario(document: Doc, oracle: ShrinkOracle, options: ShrinkOptions = {}): ShrinkResult {
  const shrinker = new Shrinker(oracle, options.budget ?? 600, options.log ?? (() => {}));
  let current = clone(document);
  let isScheduled = false;
  if (groupsOf(current).length > 0) {
    const hasSchedule = groupsOf(current).some((group) => group.schedule !== undefined);
    const original = current;
    if (!hasSchedule) current = shrinker.parameters(current);
    let scheduled: Doc | undefined = hasSchedule ? current : undefined;
    if (scheduled === undefined) {
      const recorded = oracle.record(current);
      scheduled = shrinker.firstFailing([shrinker.scheduled(current, recorded, original), shrinker.scheduled(current, recorded)]);
    }
    if (scheduled !== undefined) {
      isScheduled = true;
      current = shrinker.schedule(scheduled);
    } else options.log?.('the recorded schedule does not reproduce the failure: the population stays random');
  }
  if (scriptOf(current).length > 0) current = shrinker.script(current);
  return { document: current, tests: shrinker.tests, isScheduled };
}
