/**
 * The repro file `smacksim check` writes for every failing seed (repros/<scenario>-<seed>.json) and
 * `smacksim replay` / `smacksim shrink` read: everything a run is a function of, plus what it broke
 * and what it looked like.
 *
 * - `scenario`: the scenario document as read (so the file stands alone, whatever happens to sims/);
 * - `settings`: the `--set` overrides, by Prosody name; `bugs`: the `--bug` ids;
 * - `seed`; `swarm`: the fault mix the seed drew (null without `--swarm`);
 * - `invariant`: the first invariant broken, `violations`: all that were kept;
 * - `traceHash`: the run's fingerprint, which replay must reproduce;
 * - `schedule`: the faults and messages the run recorded (`net.fault`, `message.sent`), for shrinking.
 */
import { ScenarioError } from '../scenario/errors.js';
import { ObjectReader } from '../scenario/reader.js';
import { parseSetting, type Settings } from '../scenario/settings.js';
import type { InvariantName, Violation } from './invariants.js';
import type { RecordedSchedule } from './schedule-recorder.js';
import type { SwarmMix } from './swarm.js';

export const reproFormat = 'smacksim-repro/1';

export interface Repro {
  format: typeof reproFormat;
  /** The scenario file check was given (informational; the document below is what runs). */
  scenarioPath: string | null;
  scenario: Record<string, unknown>;
  settings: Record<string, unknown>;
  bugs: string[];
  seed: number;
  swarm: SwarmMix | null;
  invariant: { name: InvariantName; message: string };
  violations: Violation[];
  traceHash: string;
  traceEvents: number;
  schedule: RecordedSchedule;
}

/** Where check writes the repro of a seed. */
export function reproFileName(scenarioName: string, seed: number): string {
  return `${scenarioName.replace(/[^A-Za-z0-9_.-]/g, '_')}-${seed}.json`;
}

/** Validate a parsed repro file; `source` names it in errors. */
export function readRepro(source: string, raw: unknown): Repro {
  const reader = ObjectReader.of(source, '', raw);
  const format = reader.string('format');
  if (format !== reproFormat) reader.fail('format', 'not a smacksim repro file (or one of another version)', reproFormat);
  const scenarioPath = reader.raw('scenarioPath');
  const scenario = reader.object('scenario');
  if (scenario === undefined) reader.fail('scenario', 'missing required field', 'the scenario document');
  const settingsReader = reader.object('settings');
  const settings: Record<string, unknown> = {};
  for (const key of Object.keys(settingsReader?.value ?? {})) {
    parseSetting(source, `settings.${key}`, key, settingsReader!.raw(key));
    settings[key] = settingsReader!.raw(key);
  }
  const bugs = (reader.array('bugs') ?? []).map((bug, index) => {
    if (typeof bug !== 'string') throw new ScenarioError(source, `bugs[${index}]`, 'expected a bug id', bug);
    return bug;
  });
  const repro: Repro = {
    format: reproFormat,
    scenarioPath: typeof scenarioPath === 'string' ? scenarioPath : null,
    scenario: scenario!.value,
    settings,
    bugs,
    seed: reader.number('seed', { min: 0, isInteger: true }),
    swarm: (reader.raw('swarm') ?? null) as SwarmMix | null,
    invariant: reader.raw('invariant') as Repro['invariant'],
    violations: (reader.raw('violations') ?? []) as Violation[],
    traceHash: reader.string('traceHash'),
    traceEvents: reader.number('traceEvents', { min: 0, fallback: 0 }),
    schedule: (reader.raw('schedule') ?? { faults: [], messages: [] }) as RecordedSchedule,
  };
  if (typeof repro.invariant?.name !== 'string') reader.fail('invariant', 'expected {name, message}');
  reader.raw('replay');
  reader.done();
  return repro;
}

/**
 * The settings a repro (or check) runs with: the `--set` overrides, then the `--bug` ids added to the
 * scenario's own `bugs`.
 */
export function reproOverrides(source: string, scenarioServer: Partial<Settings>, settings: Record<string, unknown>, bugs: readonly string[]): Partial<Settings> {
  const overrides: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) overrides[key] = parseSetting(source, `settings.${key}`, key, value);
  if (bugs.length > 0) {
    const own = (overrides['bugs'] ?? (scenarioServer as Record<string, unknown>)['bugs'] ?? []) as string[];
    const all = [...own, ...bugs.filter((bug) => !own.includes(bug))];
    overrides['bugs'] = parseSetting(source, 'bugs', 'bugs', all);
  }
  return overrides as Partial<Settings>;
}
