/**
 * Swarm testing (TigerBeetle's VOPR, FoundationDB's simulation): instead of one fault mix for every
 * seed, each seed also draws its own mix, so some seeds run with no black holes and many resets,
 * others with long outages on a slow lossy link. Rare interleavings that the average mix hides turn
 * up in some corner of the swarm.
 *
 * For every population group: each random fault rate is scaled by a factor from {0, ¼, 1, 4}, and the
 * path's latency and loss are picked from small sets. All draws come from the seed's `swarm` stream,
 * which nothing in the world uses, so the run itself draws exactly what it would without swarm. The
 * mix is stored in repro files and applied to the scenario document, so replay is exact.
 */
import { RngStreams } from '../engine/rng.js';
import type { Scenario } from '../scenario/schema.js';

export const swarmRateFactors = [0, 0.25, 1, 4] as const;
export const swarmLinks = [
  { latencyMs: 5, jitterMs: 2 },
  { latencyMs: 40, jitterMs: 80 },
  { latencyMs: 150, jitterMs: 100 },
  { latencyMs: 400, jitterMs: 300 },
] as const;
export const swarmLossRates = [0, 0.01, 0.05, 0.2] as const;

export interface SwarmGroupMix {
  group: string;
  /** Factor per fault kind of the group's network. */
  faultScale: Record<string, number>;
  latencyMs: number;
  jitterMs: number;
  lossRate: number;
}

export interface SwarmMix {
  groups: SwarmGroupMix[];
}

export function drawSwarm(scenario: Scenario, seed: number): SwarmMix {
  const rng = new RngStreams(seed).stream('swarm');
  return {
    groups: scenario.groups.map((group) => {
      const faultScale: Record<string, number> = {};
      for (const fault of group.network.faults) faultScale[fault.kind] = rng.pick(swarmRateFactors);
      const link = rng.pick(swarmLinks);
      return { group: group.name, faultScale, latencyMs: link.latencyMs, jitterMs: link.jitterMs, lossRate: rng.pick(swarmLossRates) };
    }),
  };
}

/**
 * The scenario document with the mix written into each group's `network` (explicit latency, jitter,
 * loss and fault rates; other fields of the group's network are kept). `scenario` is the document read.
 */
export function applySwarm(document: Record<string, unknown>, scenario: Scenario, mix: SwarmMix): Record<string, unknown> {
  const copy = structuredClone(document);
  const groups = (copy.population as { groups?: Array<Record<string, unknown>> } | undefined)?.groups ?? [];
  for (const [index, raw] of groups.entries()) {
    const spec = scenario.groups[index];
    const drawn = mix.groups.find((entry) => entry.group === spec?.name);
    if (spec === undefined || drawn === undefined) continue;
    const network: Record<string, unknown> = typeof raw.network === 'object' && raw.network !== null ? { ...(raw.network as Record<string, unknown>) } : { profile: spec.network.profile };
    network['latencyMs'] = drawn.latencyMs;
    network['jitterMs'] = drawn.jitterMs;
    network['lossRate'] = drawn.lossRate;
    network['faults'] = spec.network.faults.map((fault) => ({
      kind: fault.kind,
      perHour: fault.perHour * (drawn.faultScale[fault.kind] ?? 1),
      durationMin: fault.durationMsMin,
      durationMax: fault.durationMsMax,
    }));
    raw.network = network;
  }
  return copy;
}

/** One line per group, for the report: `phone: reset×4 blackhole×0 outage×1, 150 ms ± 100, loss 5 %`. */
export function describeSwarm(mix: SwarmMix): string {
  return mix.groups
    .map((group) => {
      const scales = Object.entries(group.faultScale).map(([kind, factor]) => `${kind}×${factor}`).join(' ');
      return `${group.group}: ${scales}${scales === '' ? '' : ', '}${group.latencyMs} ms ± ${group.jitterMs}, loss ${group.lossRate * 100} %`;
    })
    .join('; ');
}
