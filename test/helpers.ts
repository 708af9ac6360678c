/** Shared helpers for scenario tests: load a scenario (file or inline document) and run it. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readScenario, type Scenario } from '../src/scenario/schema.js';
import type { Settings } from '../src/scenario/settings.js';
import type { TraceEvent } from '../src/trace/events.js';
import { type RunResult, runScenario, runScenarioAsync } from '../src/world/world.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export function simsPath(relative: string): string {
  return `${repoRoot}sims/${relative}`;
}

export function loadSim(relative: string): Scenario {
  const path = simsPath(relative);
  return readScenario(path, JSON.parse(readFileSync(path, 'utf8')));
}

export interface RunOutput extends RunResult {
  events_: TraceEvent[];
}

/** Run a scenario (a sims/ path or an inline document) and keep its trace for assertions. */
export function run(scenario: Scenario | string | object, seed = 1, overrides: Partial<Settings> = {}): RunOutput {
  const parsed =
    typeof scenario === 'string' ? loadSim(scenario) : 'clients' in scenario && scenario.clients instanceof Map ? (scenario as Scenario) : readScenario('(test)', scenario);
  const events: TraceEvent[] = [];
  const result = runScenario(parsed, { seed, overrides, listeners: [(event) => events.push(event)] });
  return { ...result, events_: events };
}

/** As `run`, for scenarios that may have `xmppjs-real` clients (their run is asynchronous). */
export async function runAsync(scenario: Scenario | string | object, seed = 1, overrides: Partial<Settings> = {}): Promise<RunOutput> {
  const parsed =
    typeof scenario === 'string' ? loadSim(scenario) : 'clients' in scenario && scenario.clients instanceof Map ? (scenario as Scenario) : readScenario('(test)', scenario);
  const events: TraceEvent[] = [];
  const result = await runScenarioAsync(parsed, { seed, overrides, listeners: [(event) => events.push(event)] });
  return { ...result, events_: events };
}

/** Elements of a wire without the <r/> noise of read-timeout probes. */
export function withoutR(wire: readonly string[] | undefined): string[] {
  return (wire ?? []).filter((line) => line !== "<r xmlns='urn:xmpp:sm:3'/>");
}
