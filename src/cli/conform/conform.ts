/**
 * `smacksim conform`: one scenario against a real Prosody and inside the simulator, compared.
 * This folder is the only place besides src/cli that touches processes, sockets and the real clock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { networkProfiles } from '../../net/profile.js';
import type { Scenario } from '../../scenario/schema.js';
import { type Settings, settingsDefault } from '../../scenario/settings.js';
import { runScenario } from '../../world/world.js';
import { compareSides, sideText } from './compare.js';
import { unsupportedSettings } from './prosody-config.js';
import { ProsodyInstance } from './prosody.js';
import { RealRun, type RealRunLimits, realRunLimitsDefault, type SideResult } from './real-run.js';

export interface ConformOptions {
  /** The prosody executable. */
  prosody: string;
  /** Keep the run's directory (config, debug log, client trace) and report its path. */
  keep: boolean;
  limits?: RealRunLimits;
}

export interface ConformResult {
  source: string;
  name: string;
  /** True when every compared line agrees. */
  isAgreeing: boolean;
  /** Unified diffs, '' when agreeing. */
  diff: string;
  /** Wall time of the real run, ms. */
  realMs: number;
  /** The kept directory (with --keep), else undefined. */
  dir: string | undefined;
  reference: SideResult;
  simulator: SideResult;
}

/** Why a scenario cannot be played against a real server, or [] when it can. */
export function conformProblems(scenario: Scenario): string[] {
  const problems: string[] = [];
  if (scenario.groups.length > 0) problems.push('population: conformance scenarios are scripts only');
  if (scenario.script.length === 0) problems.push('script: a conformance scenario needs a script');
  if (scenario.peer !== undefined) problems.push('peer: s2s with a second domain is not set up against a real server');
  for (const [index, step] of scenario.script.entries()) {
    if (step.do === 'restart' && step.target !== 'server') problems.push(`script[${index}].target: only the server itself can be restarted`);
  }
  for (const [name, spec] of scenario.clients) {
    if (spec.domain !== scenario.host) problems.push(`clients.${name}.account: only accounts of ${scenario.host} exist on the real server`);
    if (spec.network.faults.length > 0) problems.push(`clients.${name}.network.faults: random faults are not reproducible against a real server`);
    // The proxy adds a fixed one-way latency and nothing else of a path: every other path option must
    // be the loopback profile's (lossRetransmitMs only matters with loss).
    const path = spec.network.path as unknown as Record<string, unknown>;
    const loopback = networkProfiles.loopback!.path as unknown as Record<string, unknown>;
    for (const key of Object.keys(path)) {
      if (key === 'latencyMs' || key === 'lossRetransmitMs' || path[key] === loopback[key]) continue;
      problems.push(`clients.${name}.network.${key}: not modelled by the proxy (only latencyMs is; use the delay step for more)`);
    }
  }
  problems.push(...unsupportedSettings(effectiveSettings(scenario)));
  return problems;
}

export function effectiveSettings(scenario: Scenario): Settings {
  return { ...settingsDefault, ...scenario.server };
}

/** The simulator's side, in the shape of the real one. */
export function simulatorSide(scenario: Scenario): SideResult {
  const result = runScenario(scenario, { seed: scenario.seed });
  return { wire: result.wire, fates: result.fates, timeouts: result.scriptTimeouts, settled: result.settled };
}

export class ConformError extends Error {
  override name = 'ConformError';
}

export async function conformScenario(scenario: Scenario, source: string, options: ConformOptions): Promise<ConformResult> {
  const problems = conformProblems(scenario);
  if (problems.length > 0) throw new ConformError(`${source}: cannot run against a real server:\n  ${problems.join('\n  ')}`);
  let simulator: SideResult;
  try {
    simulator = simulatorSide(scenario);
  } catch (error) {
    throw new ConformError(`${source}: the simulator failed: ${(error as Error).message}`);
  }
  let prosody: ProsodyInstance;
  try {
    prosody = await ProsodyInstance.start({ prosody: options.prosody, host: scenario.host, settings: effectiveSettings(scenario), accounts: scenario.accounts, label: scenario.name });
  } catch (error) {
    throw new ConformError(`${source}: could not start Prosody: ${(error as Error).message}`);
  }
  const startedAt = performance.now();
  const run = new RealRun(scenario, prosody, options.limits ?? realRunLimitsDefault);
  let reference: SideResult;
  try {
    reference = await run.run();
  } catch (error) {
    writeTrace(prosody.dir, run);
    await prosody.stop(true);
    throw new ConformError(`${source}: the run against Prosody failed (directory kept: ${prosody.dir}): ${(error as Error).message}`);
  }
  const realMs = performance.now() - startedAt;
  if (options.keep) {
    writeTrace(prosody.dir, run);
    writeFileSync(join(prosody.dir, 'prosody.side.txt'), sideText(scenario, reference));
    writeFileSync(join(prosody.dir, 'smacksim.side.txt'), sideText(scenario, simulator));
  }
  await prosody.stop(options.keep);
  const diff = compareSides(scenario, reference, simulator);
  return { source, name: scenario.name, isAgreeing: diff === '', diff, realMs, dir: options.keep ? prosody.dir : undefined, reference, simulator };
}

/** With --keep: the real clients' trace (JSON lines) beside Prosody's log. */
function writeTrace(dir: string, run: RealRun): void {
  writeFileSync(join(dir, 'client-trace.jsonl'), run.traceEvents.map((event) => JSON.stringify(event)).join('\n') + '\n');
}
