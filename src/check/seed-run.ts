/**
 * One seed of `smacksim check`: build the scenario (with the seed's swarm mix when asked), run it with
 * the invariant monitor and the schedule recorder listening, and say whether it passed. Pure apart from
 * the simulation itself: no files, no console, no clock (the CLI times it).
 */
import type { YieldToMicrotasks } from '../clients/xmppjs/virtual-globals.js';
import { AssertionError, LimitError } from '../engine/assert.js';
import { ScenarioError } from '../scenario/errors.js';
import { readScenario, type Scenario } from '../scenario/schema.js';
import { type Settings, settingsDefault } from '../scenario/settings.js';
import type { TraceEvent } from '../trace/events.js';
import { type RunResult, World } from '../world/world.js';
import { type CheckStats, type InvariantName, InvariantMonitor, type Violation, invariantContext } from './invariants.js';
import { type RecordedSchedule, ScheduleRecorder } from './schedule-recorder.js';
import type { ShrinkOracle } from './shrink.js';
import { type SwarmMix, applySwarm, drawSwarm } from './swarm.js';

export interface SeedSpec {
  /** The scenario document as read from its file (JSON). */
  document: Record<string, unknown>;
  /** Names the document in errors (its path). */
  source: string;
  seed: number;
  /** Server settings on top of the scenario's (`--set`, `--bug`). */
  overrides: Partial<Settings>;
  /** `true`: draw the seed's swarm mix; a mix: use that one (replay); `null`/`false`: none. */
  swarm: boolean | SwarmMix | null;
  /** Observers of the trace (replay --verify). */
  listeners?: Array<(event: TraceEvent) => void>;
}

export interface SeedOutcome {
  seed: number;
  isPassing: boolean;
  violations: Violation[];
  suppressed: number;
  traceHash: string;
  traceEvents: number;
  stats: CheckStats | undefined;
  /** The run's headline numbers (undefined when the run stopped on an error). */
  messages: RunResult['messages'] | undefined;
  swarm: SwarmMix | null;
  schedule: RecordedSchedule;
}

/** The scenario document a seed really runs: with the swarm mix written into it. */
export function seedDocument(spec: Pick<SeedSpec, 'document' | 'source' | 'seed' | 'swarm'>): { document: Record<string, unknown>; scenario: Scenario; swarm: SwarmMix | null } {
  const scenario = readScenario(spec.source, spec.document);
  if (spec.swarm === false || spec.swarm === null) return { document: spec.document, scenario, swarm: null };
  const mix = spec.swarm === true ? drawSwarm(scenario, spec.seed) : spec.swarm;
  const document = applySwarm(spec.document, scenario, mix);
  return { document, scenario: readScenario(spec.source, document), swarm: mix };
}

interface PreparedSeed {
  spec: SeedSpec;
  world: World;
  monitor: InvariantMonitor;
  recorder: ScheduleRecorder;
  swarm: SwarmMix | null;
}

function prepareSeed(spec: SeedSpec): PreparedSeed {
  const { scenario, swarm } = seedDocument(spec);
  const settings = { ...settingsDefault, ...scenario.server, ...spec.overrides };
  const monitor = new InvariantMonitor(invariantContext(scenario, settings));
  const recorder = new ScheduleRecorder(scenario.host);
  const listeners = [monitor.listener, recorder.listener, ...(spec.listeners ?? [])];
  const world = new World(scenario, { seed: spec.seed, overrides: spec.overrides, listeners });
  return { spec, world, monitor, recorder, swarm };
}

function outcomeOf(prepared: PreparedSeed, result: RunResult): SeedOutcome {
  const report = prepared.monitor.finish(result);
  return {
    seed: prepared.spec.seed,
    isPassing: report.violations.length === 0,
    violations: report.violations,
    suppressed: report.suppressed,
    traceHash: result.traceHash,
    traceEvents: result.traceEvents,
    stats: report.stats,
    messages: result.messages,
    swarm: prepared.swarm,
    schedule: prepared.recorder.schedule,
  };
}

/** A run that stopped on an assertion or a limit is a failing seed; any other error is a simulator bug, reported the same way. */
function errorOutcome(prepared: PreparedSeed, error: unknown): SeedOutcome {
  if (error instanceof ScenarioError || !(error instanceof Error)) throw error;
  const { world } = prepared;
  const kind = error instanceof AssertionError || error instanceof LimitError ? error.name : `${error.name} (a simulator bug)`;
  const violation: Violation = { invariant: 'run-error', message: `${kind}: ${error.message}`, t: world.engine.now };
  return {
    seed: prepared.spec.seed,
    isPassing: false,
    violations: [violation],
    suppressed: 0,
    traceHash: world.trace.hash(),
    traceEvents: world.trace.count,
    stats: undefined,
    messages: undefined,
    swarm: prepared.swarm,
    schedule: prepared.recorder.schedule,
  };
}

/** One seed, synchronously: every client model except `xmppjs-real` (see runSeedAsync). */
export function runSeed(spec: SeedSpec): SeedOutcome {
  const prepared = prepareSeed(spec);
  if (prepared.world.isAsync) {
    throw new ScenarioError(spec.source, 'population', 'has xmppjs-real clients, which only the asynchronous runner drives (check and replay do, shrink does not)');
  }
  try {
    return outcomeOf(prepared, prepared.world.run());
  } catch (error) {
    return errorOutcome(prepared, error);
  }
}

/** One seed, asynchronously when the population has `xmppjs-real` clients (World.runAsync). */
export async function runSeedAsync(spec: SeedSpec, yieldToMicrotasks?: YieldToMicrotasks): Promise<SeedOutcome> {
  const prepared = prepareSeed(spec);
  try {
    return outcomeOf(prepared, await prepared.world.runAsync(yieldToMicrotasks));
  } catch (error) {
    return errorOutcome(prepared, error);
  }
}

/** The shrink oracle for a failing seed: a candidate fails when it breaks the same invariant. */
export function invariantOracle(spec: Omit<SeedSpec, 'document' | 'swarm'>, invariant: InvariantName): ShrinkOracle {
  const run = (document: Record<string, unknown>): SeedOutcome => runSeed({ ...spec, document, swarm: null });
  return {
    fails: (document) => run(document).violations.some((violation) => violation.invariant === invariant),
    record: (document) => run(document).schedule,
  };
}
