/**
 * Comparing the two sides of a conformance run: per scripted client its normalized wire and the
 * fates of the messages it sent, plus which script steps timed out. Nothing is loosened: lines must
 * be equal, in order.
 */
import type { Scenario, Step } from '../../scenario/schema.js';
import { unifiedDiff } from './diff.js';
import type { SideResult } from './real-run.js';

export const referenceName = 'prosody';
export const simulatorName = 'smacksim';

function fateLines(side: SideResult, client: string): string[] {
  return side.fates.filter((fate) => fate.sender === client).map((fate) => `${fate.id} → ${fate.to}: ${fate.fate}`);
}

function stepLabel(step: Step | undefined, index: number): string {
  if (step === undefined) return `step ${index}`;
  const who = 'client' in step ? ` ${step.client}` : step.do === 'wait-for' ? ('server' in step.until ? ` server ${step.until.server}` : ` ${step.until.client} ${step.until.element.text}`) : '';
  return `script[${index}] ${step.do}${who}`;
}

function timeoutLines(side: SideResult, scenario: Scenario): string[] {
  return side.timeouts.map((index) => `${stepLabel(scenario.script[index], index)}: timed out`);
}

/** Unified diffs (reference = real Prosody, `-`; simulator, `+`) of everything that differs; '' when all agree. */
export function compareSides(scenario: Scenario, reference: SideResult, simulator: SideResult): string {
  const diffs: string[] = [];
  const add = (what: string, before: string[], after: string[]): void => {
    const diff = unifiedDiff(before, after, `${referenceName} ${what}`, `${simulatorName} ${what}`);
    if (diff !== '') diffs.push(diff);
  };
  for (const client of scenario.clients.keys()) {
    add(`${client} wire`, reference.wire[client] ?? [], simulator.wire[client] ?? []);
    add(`${client} fates`, fateLines(reference, client), fateLines(simulator, client));
  }
  add('step timeouts', timeoutLines(reference, scenario), timeoutLines(simulator, scenario));
  if (reference.settled !== simulator.settled) add('settle', [`settled: ${reference.settled}`], [`settled: ${simulator.settled}`]);
  return diffs.join('\n');
}

/** One side in full, as the lines compareSides compares (written beside a kept run). */
export function sideText(scenario: Scenario, side: SideResult): string {
  const out: string[] = [];
  for (const client of scenario.clients.keys()) {
    out.push(`== ${client} wire`, ...(side.wire[client] ?? []), `== ${client} fates`, ...fateLines(side, client));
  }
  out.push('== step timeouts', ...timeoutLines(side, scenario), `== settled: ${side.settled}`);
  return `${out.join('\n')}\n`;
}
