#!/usr/bin/env node
/**
 * smacksim command line. The only layer that touches process, files, the console and the real clock.
 */
import { Command, Option } from 'commander';
import { AssertionError, LimitError } from '../engine/assert.js';
import { ScenarioError } from '../scenario/errors.js';
import { type Settings, bugIdsText, checkCombinedSettings, parseBugArgument, parseSetArgument, settingNames, settingsDefault } from '../scenario/settings.js';
import { runScenarioAsync } from '../world/world.js';
import { registerCheckCommands } from './check.js';
import { registerScenariosCommand } from './scenarios.js';
import { conformCommand, type ConformFlags } from './conform.js';
import { loadScenario } from './load.js';
import { formatReport } from './report.js';
import { TraceFile } from './trace-file.js';
import { serveViz } from './viz.js';

interface RunFlags {
  seed?: string;
  set: string[];
  bug: string[];
  json?: boolean;
  trace?: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseSeed(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new ScenarioError('--seed', 'seed', 'expected a non-negative integer', text);
  return Number(text);
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The one command that reproduces this run bit for bit. */
export function replayCommand(scenarioPath: string | undefined, seed: number, sets: readonly string[], bugs: readonly string[] = []): string {
  const parts = ['smacksim', 'run'];
  if (scenarioPath !== undefined) parts.push(scenarioPath);
  parts.push('--seed', String(seed));
  for (const set of sets) parts.push('--set', set);
  for (const bug of bugs) parts.push('--bug', bug);
  return parts.map(quote).join(' ');
}

/**
 * The microtask drain between engine events for `xmppjs-real` clients (World.runAsync): a setImmediate
 * turn ends the current macrotask, after which Node runs every queued promise continuation (and
 * process.nextTick callback) before the immediate fires, so the drain is complete. Nothing else runs
 * in the CLI's event loop meanwhile.
 */
const yieldToMacrotask = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

async function runCommand(scenarioPath: string | undefined, flags: RunFlags): Promise<number> {
  const scenario = loadScenario(scenarioPath);
  const seed = parseSeed(flags.seed, scenario.seed);
  const overrides: Partial<Settings> = {};
  for (const set of flags.set) Object.assign(overrides, parseSetArgument(set));
  // --bug adds to the bugs the scenario (or --set bugs=…) already switches on.
  const bugs = flags.bug.map(parseBugArgument);
  if (bugs.length > 0) {
    const current = overrides.bugs ?? scenario.server.bugs ?? settingsDefault.bugs;
    overrides.bugs = parseSetArgument(`bugs=${[...current, ...bugs].join(',')}`).bugs!;
  }
  checkCombinedSettings(scenarioPath ?? '(built-in default)', { ...settingsDefault, ...scenario.server, ...overrides });
  const replay = replayCommand(scenarioPath, seed, flags.set, bugs);
  const out = flags.json ? process.stderr : process.stdout;
  out.write(`seed=${seed}\n`);
  const traceFile = flags.trace === undefined ? undefined : new TraceFile(flags.trace);
  const startedAt = performance.now();
  try {
    // Synchronous unless the population has xmppjs-real clients (the real xmpp.js awaits promises).
    const result = await runScenarioAsync(scenario, { seed, overrides, ...(traceFile ? { traceSink: traceFile.sink } : {}) }, yieldToMacrotask);
    const wallMs = performance.now() - startedAt;
    if (flags.json) {
      const { fates: _fates, ...summary } = result;
      process.stdout.write(`${JSON.stringify({ ...summary, wallMs: Math.round(wallMs), replay })}\n`);
    } else {
      process.stdout.write(`${formatReport(result)}\n`);
      process.stdout.write(`wall time ${(wallMs / 1000).toFixed(2)} s\n`);
      process.stdout.write(`replay: ${replay}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof AssertionError || error instanceof LimitError) {
      process.stderr.write(`run failed: ${error.message}\nreplay: ${replay}\n`);
      return 1;
    }
    throw error;
  } finally {
    traceFile?.close();
  }
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('smacksim')
    .description('Deterministic simulator for XMPP Stream Management (XEP-0198) with Prosody mod_smacks')
    .showHelpAfterError()
    .exitOverride();
  program
    .command('run')
    .description('run one scenario (default: a built-in population of phones on a lossy network for a virtual day)')
    .argument('[scenario]', 'scenario file (JSON, see sims/)')
    .option('--seed <n>', 'the run seed (default: the scenario’s own)')
    .addOption(new Option('--set <key=value>', `override a server setting by its Prosody name (${settingNames.join(', ')})`).argParser(collect).default([]))
    .addOption(new Option('--bug <id>', `switch a historic mod_smacks bug back on (repeatable): ${bugIdsText()}`).argParser(collect).default([]))
    .option('--json', 'print one JSON object instead of the table')
    .option('--trace <file>', 'write every trace event as JSON lines')
    .action(async (scenarioPath: string | undefined, flags: RunFlags) => {
      process.exitCode = await runCommand(scenarioPath, flags);
    });
  program
    .command('viz')
    .description('serve the run viewer for a trace written with --trace (timeline per client, message chart)')
    .argument('<trace>', 'a JSON-lines trace file')
    .option('--port <n>', 'port on 127.0.0.1', '8198')
    .action((tracePath: string, flags: { port: string }) => serveViz(tracePath, Number(flags.port)));
  program
    .command('conform')
    .description('play scenario scripts against a real Prosody 0.12.3 and in the simulator, and diff what the clients saw')
    .argument('<scenario...>', 'scenario files with a `script` (see test/conformance/)')
    .option('--prosody <path>', 'the prosody executable (prosodyctl is taken from beside it)')
    .option('--keep', 'keep each run directory (config, Prosody debug log, client trace) and print its path')
    .option('--jobs <n>', 'scenarios run at the same time (default: 2 per CPU, from 2 to 6)')
    .action(async (paths: string[], flags: ConformFlags) => {
      process.exitCode = await conformCommand(paths, flags);
    });
  registerCheckCommands(program);
  registerScenariosCommand(program);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof ScenarioError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    const code = (error as { code?: string; exitCode?: number }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      process.exitCode = code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 2;
      return;
    }
    throw error;
  }
}

await main();
