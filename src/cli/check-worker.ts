/**
 * A worker thread of `smacksim check`: receives seeds one at a time, runs each with the invariants,
 * and posts the outcome back (the recorded schedule only for a failing seed: the parent writes it
 * into the repro file, and a passing seed's schedule would only cost copying).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSeedAsync, type SeedOutcome } from '../check/seed-run.js';
import type { Settings } from '../scenario/settings.js';

export interface CheckWorkerData {
  document: Record<string, unknown>;
  source: string;
  overrides: Partial<Settings>;
  swarm: boolean;
}

export type CheckWorkerReply = { seed: number; outcome: SeedOutcome; wallMs: number } | { seed: number; error: string };

const data = workerData as CheckWorkerData;
const port = parentPort!;

/** The microtask drain for `xmppjs-real` clients: a setImmediate turn (as `smacksim run` does). */
const yieldToMacrotask = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

port.on('message', async (seed: number) => {
  const startedAt = performance.now();
  let reply: CheckWorkerReply;
  try {
    const outcome = await runSeedAsync({ document: data.document, source: data.source, seed, overrides: data.overrides, swarm: data.swarm }, yieldToMacrotask);
    if (outcome.isPassing) outcome.schedule = { faults: [], messages: [] };
    reply = { seed, outcome, wallMs: performance.now() - startedAt };
  } catch (error) {
    reply = { seed, error: (error as Error).message };
  }
  port.postMessage(reply);
});
