/**
 * Named network profiles: a path (latency, jitter, loss) plus random faults drawn from rates per hour.
 * The numbers follow ../shared/spec/xep0198-clients.md §5; the "Real world" issue refines them.
 */
import { type PathOptions, pathOptionsDefault } from './path.js';

export interface FaultRate {
  kind: 'reset' | 'blackhole' | 'outage';
  /** Mean occurrences per virtual hour (a Poisson process). */
  perHour: number;
  /** How long a blackhole or outage lasts before the path heals: uniform in [min, max]. */
  durationMsMin: number;
  durationMsMax: number;
}

export interface NetworkProfile {
  description: string;
  path: PathOptions;
  faults: FaultRate[];
}

export const networkProfiles: Readonly<Record<string, NetworkProfile>> = Object.freeze({
  loopback: {
    description: 'a loopback link: 0 ms, no faults (what conformance scripts run on)',
    path: { ...pathOptionsDefault, latencyMs: 0 },
    faults: [],
  },
  wired: {
    description: 'a wired desktop: 10 ms one-way, no loss, no faults',
    path: { ...pathOptionsDefault, latencyMs: 10, jitterMs: 2 },
    faults: [],
  },
  'lossy-mobile': {
    description:
      'a phone on a mediocre cellular network: 40–120 ms one-way, 2 % of frames retransmitted (+400 ms), ' +
      'a reset every 2 h, a black hole (NAT rebinding, handover, a basement: old flows dead for good) every 3 h lasting 5 s–30 min, ' +
      'an outage (tunnel, elevator: TCP retransmits) every hour lasting 5 s–3 min',
    path: { ...pathOptionsDefault, latencyMs: 40, jitterMs: 80, lossRate: 0.02, lossRetransmitMs: 400 },
    faults: [
      { kind: 'reset', perHour: 0.5, durationMsMin: 0, durationMsMax: 0 },
      { kind: 'blackhole', perHour: 1 / 3, durationMsMin: 5000, durationMsMax: 1_800_000 },
      { kind: 'outage', perHour: 1, durationMsMin: 5000, durationMsMax: 180_000 },
    ],
  },
});

export const networkProfileNames = Object.keys(networkProfiles);
