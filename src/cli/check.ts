/**
 * Finding, replaying and shrinking failures:
 * - `smacksim check <scenario> --seeds N`: runs many seeds on worker threads, holds each to the
 *   invariants (src/check/invariants.ts) and writes a repro file for every failing seed at once;
 * - `smacksim replay FILE [--verify]`: re-runs a repro file bit for bit (same trace hash), or twice,
 *   naming the first trace event where the two runs differ;
 * - `smacksim shrink FILE`: delta-debugs a repro to a small scenario file that fails the same way.
 * Exit codes: 0 all passed / reproduced / shrunk, 1 a seed failed / the hash differs / nothing to
 * shrink, 2 bad input.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type Command, Option } from 'commander';
import type { Violation } from '../check/invariants.js';
import { type Repro, readRepro, reproFileName, reproFormat, reproOverrides } from '../check/repro.js';
import { invariantOracle, runSeed, runSeedAsync, type SeedOutcome, seedDocument } from '../check/seed-run.js';
import { scenarioSize, shrinkScenario } from '../check/shrink.js';
import { describeSwarm } from '../check/swarm.js';
import { ScenarioError } from '../scenario/errors.js';
import { readScenario } from '../scenario/schema.js';
import { bugIdsText, parseBugArgument, parseSetArgument, type Settings } from '../scenario/settings.js';
import type { TraceEvent } from '../trace/events.js';
import { World } from '../world/world.js';
import type { CheckWorkerData, CheckWorkerReply } from './check-worker.js';
import { readDocument } from './load.js';

export interface CheckFlags {
  /** Absent: the scenario's `check.seeds`, else 100. */
  seeds?: string;
  from?: string;
  swarm?: boolean;
  jobs?: string;
  set: string[];
  bug: string[];
  repros: string;
}

/** Seeds checked when neither `--seeds` nor the scenario's `check.seeds` says how many. */
const defaultSeeds = 100;

/** The microtask drain for `xmppjs-real` clients: a setImmediate turn (as `smacksim run` does). */
const yieldToMacrotask = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function command(parts: readonly string[]): string {
  return parts.map(quote).join(' ');
}

function count(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) throw new ScenarioError(flag, flag.slice(2), `expected an integer >= ${min}`, text);
  return Number(text);
}

function firstViolation(outcome: SeedOutcome): Violation {
  return outcome.violations[0]!;
}

function describeViolation(violation: Violation): string {
  return `${violation.invariant}: ${violation.message}${violation.t === undefined ? '' : ` (t=${violation.t} ms)`}`;
}

/** The command that checks exactly this seed again. */
function checkOneCommand(scenarioPath: string | undefined, seed: number, flags: CheckFlags): string {
  const parts = ['smacksim', 'check'];
  if (scenarioPath !== undefined) parts.push(scenarioPath);
  parts.push('--seeds', '1', '--from', String(seed));
  if (flags.swarm) parts.push('--swarm');
  for (const set of flags.set) parts.push('--set', set);
  for (const bug of flags.bug) parts.push('--bug', bug);
  return command(parts);
}

// ---- progress on the terminal ----

class Progress {
  private readonly isTty: boolean;
  private lastPlain = 0;
  private readonly startedAt = performance.now();

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream,
  ) {
    this.isTty = out.isTTY === true;
  }

  private line(done: number, failing: number): string {
    const seconds = ((performance.now() - this.startedAt) / 1000).toFixed(1);
    const width = 24;
    const filled = Math.round((width * done) / this.total);
    const bar = this.isTty ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
    return `${bar}${done}/${this.total} seeds · ${failing} failing · ${seconds} s`;
  }

  update(done: number, failing: number): void {
    if (this.isTty) {
      this.out.write(`\r\x1b[2K${this.line(done, failing)}`);
      return;
    }
    // Plain output (a pipe, a CI log): a line at every tenth of the way.
    const step = Math.max(1, Math.ceil(this.total / 10));
    if (done === this.total || done - this.lastPlain >= step) {
      this.lastPlain = done;
      this.out.write(`checked ${this.line(done, failing)}\n`);
    }
  }

  /** Print lines above the progress line. */
  print(text: string): void {
    if (this.isTty) this.out.write('\r\x1b[2K');
    this.out.write(`${text}\n`);
  }

  finish(): void {
    if (this.isTty) this.out.write('\n');
  }

  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }
}

// ---- check ----

export async function checkCommand(scenarioPath: string | undefined, flags: CheckFlags): Promise<number> {
  const document = readDocument(scenarioPath);
  const source = scenarioPath ?? '(built-in default)';
  const scenario = readScenario(source, document);
  const seeds = count('--seeds', flags.seeds, scenario.check?.seeds ?? defaultSeeds, 1);
  const from = count('--from', flags.from, 1, 0);
  const jobs = Math.min(seeds, count('--jobs', flags.jobs, availableParallelism(), 1));
  const settings: Record<string, unknown> = {};
  for (const set of flags.set) Object.assign(settings, parseSetArgument(set));
  const bugs = flags.bug.map(parseBugArgument);
  const overrides = reproOverrides('--set', scenario.server, settings, bugs);
  // Refuse bad settings before any worker starts (a bug of the other variant, say): assembling a world checks them.
  new World(scenario, { seed: from, overrides });
  const out = process.stdout;
  // `smacksim check … | head`: a closed pipe ends the command quietly (the repro files are written).
  out.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(1);
  });
  out.write(`seeds=${from}..${from + seeds - 1}\n`);
  out.write(`scenario ${scenario.name} · ${seeds} seeds on ${jobs} worker${jobs === 1 ? '' : 's'}${flags.swarm ? ' · swarm' : ''}${flags.bug.length > 0 ? ` · bugs ${flags.bug.join(' ')}` : ''}\n`);
  const progress = new Progress(seeds, out);
  progress.update(0, 0);
  const failures: number[] = [];
  let done = 0;
  let cpuMs = 0;

  const report = (seed: number, outcome: SeedOutcome, wallMs: number): void => {
    done++;
    cpuMs += wallMs;
    if (!outcome.isPassing) {
      failures.push(seed);
      const repro: Repro = {
        format: reproFormat,
        scenarioPath: scenarioPath ?? null,
        scenario: document,
        settings,
        bugs: flags.bug,
        seed,
        swarm: outcome.swarm,
        invariant: { name: firstViolation(outcome).invariant, message: firstViolation(outcome).message },
        violations: outcome.violations,
        traceHash: outcome.traceHash,
        traceEvents: outcome.traceEvents,
        schedule: outcome.schedule,
      };
      const path = join(flags.repros, reproFileName(scenario.name, seed));
      // Written at once: an interrupted check keeps every failure found so far.
      mkdirSync(flags.repros, { recursive: true });
      writeFileSync(path, `${JSON.stringify({ ...repro, replay: command(['smacksim', 'replay', path]) }, null, 2)}\n`);
      const lines = [`FAIL seed=${seed} ${describeViolation(firstViolation(outcome))}`];
      for (const violation of outcome.violations.slice(1)) lines.push(`  also ${describeViolation(violation)}`);
      if (outcome.suppressed > 0) lines.push(`  and ${outcome.suppressed} more violation(s) of the same kinds`);
      if (outcome.swarm !== null) lines.push(`  swarm  ${describeSwarm(outcome.swarm)}`);
      lines.push(`  repro  ${path}`);
      lines.push(`  replay ${command(['smacksim', 'replay', path])}`);
      lines.push(`  check  ${checkOneCommand(scenarioPath, seed, flags)}`);
      progress.print(lines.join('\n'));
    }
    progress.update(done, failures.length);
  };

  const seedList = Array.from({ length: seeds }, (_, index) => from + index);
  if (jobs === 1) {
    for (const seed of seedList) {
      const startedAt = performance.now();
      const outcome = await runSeedAsync({ document, source, seed, overrides, swarm: flags.swarm === true }, yieldToMacrotask);
      report(seed, outcome, performance.now() - startedAt);
    }
  } else {
    // On a terminal the clock on the progress line keeps moving between results.
    const ticker = out.isTTY ? setInterval(() => progress.update(done, failures.length), 500) : undefined;
    try {
      await runOnWorkers(seedList, jobs, { document, source, overrides, swarm: flags.swarm === true }, report);
    } finally {
      if (ticker !== undefined) clearInterval(ticker);
    }
  }
  progress.finish();
  const wallS = progress.elapsedMs / 1000;
  out.write(
    `${seeds} seeds checked in ${wallS.toFixed(1)} s on ${jobs} worker${jobs === 1 ? '' : 's'} (${(cpuMs / seeds / 1000).toFixed(2)} s per seed): ` +
      `${seeds - failures.length} passed, ${failures.length} failed\n`,
  );
  if (failures.length > 0) out.write(`failing seeds: ${failures.sort((a, b) => a - b).join(' ')}; repro files in ${flags.repros}/\n`);
  return failures.length > 0 ? 1 : 0;
}

/** Hand seeds to `jobs` workers, one at a time each, until all are done. */
function runOnWorkers(seeds: readonly number[], jobs: number, data: CheckWorkerData, report: (seed: number, outcome: SeedOutcome, wallMs: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let running = 0;
    let failed = false;
    const workers: Worker[] = [];
    const stopAll = (): void => {
      for (const worker of workers) void worker.terminate();
    };
    const onSignal = (): void => {
      stopAll();
      process.stdout.write('\ninterrupted: the repro files of the failures found so far are written\n');
      process.exit(130);
    };
    process.once('SIGINT', onSignal);
    const feed = (worker: Worker): void => {
      const seed = seeds[next++];
      if (seed === undefined) {
        void worker.terminate();
        if (--running === 0) {
          process.off('SIGINT', onSignal);
          resolve();
        }
        return;
      }
      worker.postMessage(seed);
    };
    for (let index = 0; index < jobs; index++) {
      const worker = new Worker(new URL('./check-worker.js', import.meta.url), { workerData: data });
      workers.push(worker);
      running++;
      worker.on('message', (reply: CheckWorkerReply) => {
        if (failed) return;
        if ('error' in reply) {
          failed = true;
          stopAll();
          process.off('SIGINT', onSignal);
          reject(new Error(`seed ${reply.seed}: ${reply.error}`));
          return;
        }
        report(reply.seed, reply.outcome, reply.wallMs);
        feed(worker);
      });
      worker.on('error', (error) => {
        if (failed) return;
        failed = true;
        stopAll();
        process.off('SIGINT', onSignal);
        reject(error);
      });
      feed(worker);
    }
  });
}

// ---- replay ----

export interface ReplayFlags {
  verify?: boolean;
}

export function loadRepro(path: string): Repro {
  return readRepro(path, readDocument(path));
}

function reproSpec(path: string, repro: Repro): { document: Record<string, unknown>; source: string; overrides: Partial<Settings> } {
  const source = `${path}: scenario`;
  const scenario = readScenario(source, repro.scenario);
  return { document: repro.scenario, source, overrides: reproOverrides(path, scenario.server, repro.settings, repro.bugs) };
}

/** 32-bit FNV-1a of one event's JSON: a fingerprint per event, to find where two runs part. */
function eventHash(event: TraceEvent): number {
  const text = JSON.stringify(event);
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return hash >>> 0;
}

class EventHashes {
  private hashes = new Uint32Array(1 << 16);
  length = 0;
  readonly listener = (event: TraceEvent): void => {
    if (this.length === this.hashes.length) {
      const grown = new Uint32Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.length++] = eventHash(event);
  };
  at(index: number): number | undefined {
    return index < this.length ? this.hashes[index] : undefined;
  }
}

export async function replayCommandLine(path: string, flags: ReplayFlags): Promise<number> {
  const repro = loadRepro(path);
  const spec = reproSpec(path, repro);
  const out = process.stdout;
  out.write(`seed=${repro.seed}\n`);
  const name = String(repro.scenario.name);
  out.write(
    `repro ${path}: scenario ${name} · seed ${repro.seed}` +
      `${repro.bugs.length > 0 ? ` · bugs ${repro.bugs.join(' ')}` : ''}` +
      `${Object.keys(repro.settings).length > 0 ? ` · ${Object.entries(repro.settings).map(([key, value]) => `${key}=${String(value)}`).join(' ')}` : ''}\n`,
  );
  if (repro.swarm !== null) out.write(`swarm ${describeSwarm(repro.swarm)}\n`);
  out.write(`saved failure: ${repro.invariant.name}: ${repro.invariant.message}\n`);
  const first = new EventHashes();
  const startedAt = performance.now();
  const outcome = await runSeedAsync({ ...spec, seed: repro.seed, swarm: repro.swarm, listeners: [first.listener] }, yieldToMacrotask);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(2);
  const same = outcome.traceHash === repro.traceHash;
  out.write(`trace hash ${outcome.traceHash} (${outcome.traceEvents} events, ${seconds} s) ${same ? '=' : '≠'} saved ${repro.traceHash}: ${same ? 'reproduced bit for bit' : 'NOT the saved run'}\n`);
  const again = outcome.violations.find((violation) => violation.invariant === repro.invariant.name);
  out.write(again === undefined ? `${repro.invariant.name} holds in this run\n` : `still broken: ${describeViolation(again)}\n`);
  let code = same ? 0 : 1;
  if (flags.verify) code = Math.max(code, await verify(path, repro, spec, first, outcome));
  return code;
}

/** Run the repro a second time and compare the two event streams one event at a time. */
async function verify(path: string, repro: Repro, spec: ReturnType<typeof reproSpec>, first: EventHashes, firstOutcome: SeedOutcome): Promise<number> {
  const out = process.stdout;
  let index = 0;
  let diverged: { index: number; event: TraceEvent } | undefined;
  const compare = (event: TraceEvent): void => {
    if (diverged === undefined && eventHash(event) !== first.at(index)) diverged = { index, event };
    index++;
  };
  const second = await runSeedAsync({ ...spec, seed: repro.seed, swarm: repro.swarm, listeners: [compare] }, yieldToMacrotask);
  if (diverged === undefined && index !== first.length) diverged = { index, event: undefined as never };
  if (diverged === undefined) {
    out.write(`verify: run 1 and run 2 are identical (${index} trace events, hash ${second.traceHash})\n`);
    return 0;
  }
  // The first run's event at that index: run it once more and take it (runs are meant to be equal).
  const at = diverged.index;
  let original: TraceEvent | undefined;
  let count = 0;
  const pick = (event: TraceEvent): void => {
    if (count++ === at) original = event;
  };
  await runSeedAsync({ ...spec, seed: repro.seed, swarm: repro.swarm, listeners: [pick] }, yieldToMacrotask);
  const show = (event: TraceEvent | undefined): string => (event === undefined ? '(the run had ended)' : JSON.stringify(event));
  out.write(`verify: the runs DIVERGE at trace event #${at} of ${path}\n`);
  out.write(`  run 1: ${show(original)}\n`);
  out.write(`  run 2: ${show(diverged.event)}\n`);
  out.write(`  hashes: run 1 ${firstOutcome.traceHash}, run 2 ${second.traceHash}\n`);
  return 1;
}

// ---- shrink ----

export interface ShrinkFlags {
  out?: string;
  budget?: string;
}

export function shrinkCommandLine(path: string, flags: ShrinkFlags): number {
  const repro = loadRepro(path);
  const spec = reproSpec(path, repro);
  const out = process.stdout;
  const invariant = repro.invariant.name;
  out.write(`seed=${repro.seed}\n`);
  out.write(`shrinking ${path}: ${invariant} (${repro.invariant.message})\n`);
  // The starting point: the document the seed really ran, with its swarm mix written in.
  const { document } = seedDocument({ document: repro.scenario, source: spec.source, seed: repro.seed, swarm: repro.swarm });
  const oracle = invariantOracle({ source: spec.source, seed: repro.seed, overrides: spec.overrides }, invariant);
  const startedAt = performance.now();
  if (!oracle.fails(document)) {
    out.write(`the repro does not break ${invariant} any more: nothing to shrink\n`);
    return 1;
  }
  const budget = count('--budget', flags.budget, 600, 1);
  const result = shrinkScenario(document, oracle, { budget, log: (line) => out.write(`  ${line}\n`) });
  // A file that stands alone: the seed, --set and --bug go into it.
  const name = String(repro.scenario.name);
  const server = { ...((result.document.server as Record<string, unknown> | undefined) ?? {}), ...JSON.parse(JSON.stringify(spec.overrides)) };
  const shrunk: Record<string, unknown> = {
    name: result.document.name,
    description: `Shrunk by smacksim shrink from ${basename(path)} (seed ${repro.seed}): breaks ${invariant}. ${String(result.document.description ?? '')}`.trim(),
    seed: repro.seed,
    ...Object.fromEntries(Object.entries(result.document).filter(([key]) => key !== 'name' && key !== 'description' && key !== 'seed' && key !== 'server')),
    ...(Object.keys(server).length > 0 ? { server } : {}),
  };
  const target = flags.out ?? join(dirname(path), `shrunk-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  const check = runSeed({ document: shrunk, source: target, seed: repro.seed, overrides: {}, swarm: null });
  const still = check.violations.find((violation) => violation.invariant === invariant);
  writeFileSync(target, `${JSON.stringify(shrunk, null, 2)}\n`);
  const before = scenarioSize(document, repro.schedule);
  const after = scenarioSize(shrunk, check.schedule);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  out.write(`wrote ${target} after ${result.tests} runs (${seconds} s)${result.isScheduled ? '' : '; the population stayed random'}\n`);
  const rows: Array<[string, number, number]> = [
    ['clients', before.clients, after.clients],
    ['steps', before.steps, after.steps],
    ['faults', before.faults, after.faults],
    ['messages', before.messages, after.messages],
  ];
  out.write(`  ${''.padEnd(10)}${'original'.padStart(10)}${'shrunk'.padStart(10)}\n`);
  for (const [label, was, now] of rows) out.write(`  ${label.padEnd(10)}${String(was).padStart(10)}${String(now).padStart(10)}\n`);
  if (still === undefined) {
    out.write(`the written file does not break ${invariant} on its own (a setting did not survive the move into the file)\n`);
    return 1;
  }
  out.write(`still broken: ${describeViolation(still)}\n`);
  out.write(`check it: ${command(['smacksim', 'check', target, '--seeds', '1', '--from', String(repro.seed)])}\n`);
  return 0;
}

// ---- commander ----

export function registerCheckCommands(program: Command): void {
  program
    .command('check')
    .description('run many seeds in parallel, hold each to the invariants, write a repro file for every failing seed')
    .argument('[scenario]', 'scenario file (JSON, see sims/; default: the built-in one)')
    .option('--seeds <n>', `how many seeds (default: the scenario's check.seeds, else ${defaultSeeds})`)
    .option('--from <s>', 'the first seed (default 1)')
    .option('--swarm', 'draw each seed’s own fault mix (rates ×0, ×¼, ×1, ×4; latency; loss) from the seed')
    .option('--jobs <j>', 'worker threads (default: one per CPU)')
    .addOption(new Option('--set <key=value>', 'override a server setting by its Prosody name (repeatable)').argParser(collect).default([]))
    .addOption(new Option('--bug <id>', `switch a historic mod_smacks bug back on (repeatable): ${bugIdsText()}`).argParser(collect).default([]))
    .option('--repros <dir>', 'where repro files go', 'repros')
    .action(async (scenarioPath: string | undefined, flags: CheckFlags) => {
      process.exitCode = await checkCommand(scenarioPath, flags);
    });
  program
    .command('replay')
    .description('re-run a repro file bit for bit and compare its trace hash with the saved one')
    .argument('<file>', 'a repro file written by check')
    .option('--verify', 'run it twice and name the first trace event where the runs differ')
    .action(async (path: string, flags: ReplayFlags) => {
      process.exitCode = await replayCommandLine(path, flags);
    });
  program
    .command('shrink')
    .description('delta-debug a repro file to a small scenario that breaks the same invariant')
    .argument('<file>', 'a repro file written by check')
    .option('--out <file>', 'where the shrunk scenario goes (default: shrunk-<name>.json beside the repro)')
    .option('--budget <n>', 'at most this many candidate runs', '600')
    .action((path: string, flags: ShrinkFlags) => {
      process.exitCode = shrinkCommandLine(path, flags);
    });
}
