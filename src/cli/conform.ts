/**
 * `smacksim conform <scenario...>`: plays each scenario against a real Prosody 0.12.3 and inside the
 * simulator, and prints a unified diff for every difference (`-` Prosody, `+` smacksim).
 * Exit status: 0 when all agree, 1 when any differs or a run failed, 2 for bad input.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import { ConformError, type ConformResult, conformProblems, conformScenario } from './conform/conform.js';
import { ProsodyInstance, prosodyctlFor } from './conform/prosody.js';
import { ScenarioError } from '../scenario/errors.js';
import type { Scenario } from '../scenario/schema.js';
import { loadScenarioFile } from './load.js';

export interface ConformFlags {
  prosody?: string;
  keep?: boolean;
  jobs?: string;
}

/** The prosody executable to use, or undefined when there is none. */
export function findProsody(explicit: string | undefined): string | undefined {
  const name = explicit ?? 'prosody';
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** "Prosody 0.12.3" from `prosodyctl about` (never `prosody --version`: that starts a server). */
export function prosodyVersion(prosody: string): string {
  try {
    const text = execFileSync(prosodyctlFor(prosody), ['about'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return /^Prosody\s+(\S+)/m.exec(text)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function parseJobs(text: string | undefined): number {
  if (text === undefined) return Math.max(2, Math.min(6, 2 * availableParallelism()));
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new ScenarioError('--jobs', 'jobs', 'expected an integer >= 1', text);
  return Number(text);
}

/** Run `work` over `items` with at most `jobs` at a time; results in input order. */
export async function pool<T, R>(items: readonly T[], jobs: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

export async function conformCommand(paths: string[], flags: ConformFlags): Promise<number> {
  const jobs = parseJobs(flags.jobs);
  const scenarios: Array<{ path: string; scenario: Scenario }> = paths.map((path) => ({ path, scenario: loadScenarioFile(path) }));
  for (const { path, scenario } of scenarios) {
    const problems = conformProblems(scenario);
    if (problems.length > 0) throw new ScenarioError(path, '', `cannot run against a real server: ${problems.join('; ')}`);
  }
  const prosody = findProsody(flags.prosody);
  if (prosody === undefined) {
    process.stderr.write(`error: ${flags.prosody ?? 'prosody'} not found; install Prosody 0.12.3 (apt-get install prosody) or pass --prosody PATH\n`);
    return 2;
  }
  const version = prosodyVersion(prosody);
  process.stdout.write(`prosody ${prosody} (version ${version}) · ${scenarios.length} scenario(s) · ${jobs} at a time\n`);
  if (version !== '0.12.3') process.stdout.write(`warning: the simulator ports Prosody 0.12.3; this is ${version}\n`);
  // An interrupted run must not leave servers behind.
  process.once('exit', () => ProsodyInstance.killAll());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      ProsodyInstance.killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  const startedAt = performance.now();
  let failures = 0;
  const outcomes = await pool(scenarios, jobs, async ({ path, scenario }): Promise<ConformResult | string> => {
    try {
      const result = await conformScenario(scenario, path, { prosody, keep: flags.keep === true });
      const status = result.isAgreeing ? 'agree' : 'DIFFER';
      process.stdout.write(`${status.padEnd(6)}  ${path}  (${(result.realMs / 1000).toFixed(1)} s)${result.dir === undefined ? '' : `  kept: ${result.dir}`}\n`);
      return result;
    } catch (error) {
      if (!(error instanceof ConformError)) throw error;
      process.stdout.write(`FAILED  ${path}\n`);
      return error.message;
    }
  });
  for (const outcome of outcomes) {
    if (typeof outcome === 'string') {
      failures++;
      process.stdout.write(`\n${outcome}\n`);
    } else if (!outcome.isAgreeing) {
      failures++;
      process.stdout.write(`\n== ${outcome.source}: ${outcome.name} (- prosody, + smacksim)\n${outcome.diff}\n`);
    }
  }
  const agreeing = scenarios.length - failures;
  process.stdout.write(`\n${agreeing}/${scenarios.length} agree · wall time ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`);
  return failures === 0 ? 0 : 1;
}
