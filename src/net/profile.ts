/**
 * Named network profiles: a path (latency, jitter, loss, NAT idle expiry, radio wake-up), random faults
 * drawn from rates per hour, and what the device's operating system does to a backgrounded app
 * (`device`). The numbers follow ../shared/spec/xep0198-clients.md §5; each profile says where its
 * numbers come from, and marks the ones nobody has measured for us as *unverified*.
 *
 * `loopback`, `wired` and `lossy-mobile` are the walking skeleton's profiles: their numbers and
 * draws must not change (existing scenarios keep their exact results).
 */
import { type PathOptions, pathOptionsDefault } from './path.js';

export interface FaultRate {
  /** `handover`: a blackhole whose end the client is told about (its OS reports the new network). */
  kind: 'reset' | 'blackhole' | 'outage' | 'handover';
  /** Mean occurrences per virtual hour (a Poisson process). */
  perHour: number;
  /** How long a blackhole, handover or outage lasts before the path heals: uniform in [min, max]. */
  durationMsMin: number;
  durationMsMax: number;
}

/**
 * What the device's OS does to the app while it is in the background (clients/device.ts). Apps that
 * are always in the foreground (knob `foreground: always`) never meet these rules.
 * - `plain`: nothing; the app runs and its timers fire on time.
 * - `ios-suspend`: the app is frozen `suspendAfterMs` after going to the background (its timers stop,
 *   its socket stays open but unread); a push wakes it for `pushWakeMs`.
 * - `android-doze`: `dozeAfterMs` after going to the background the device dozes: the app's timers
 *   fire only at allow-while-idle alarm slots at least `alarmGapMs` apart, and the device has no
 *   network access except in maintenance windows (`windowMs` long, after the gaps `windowGapsMs`, the
 *   last gap repeating) and for `pushWakeMs` after a high-priority push.
 * - `browser-hidden`: `throttleAfterMs` after the tab was hidden, its timers fire only on multiples of
 *   `quantumMs` (Chrome's intensive wake-up throttling).
 * `pushLatencyMs`: from mod_cloud_notify's push to the device (APNs/FCM), for every kind.
 */
export type DeviceEnvironment = { pushLatencyMs: number } & (
  | { kind: 'plain' }
  | { kind: 'ios-suspend'; suspendAfterMsMin: number; suspendAfterMsMax: number; pushWakeMs: number }
  | { kind: 'android-doze'; dozeAfterMs: number; alarmGapMs: number; windowGapsMs: number[]; windowMs: number; pushWakeMs: number }
  | { kind: 'browser-hidden'; throttleAfterMs: number; quantumMs: number }
);

export interface NetworkProfile {
  description: string;
  /** Where the numbers come from. */
  source: string;
  path: PathOptions;
  faults: FaultRate[];
  device: DeviceEnvironment;
}

/** Push latency (APNs/FCM delivery): *unverified*, about a second on a good network. */
const pushLatencyMs = 1000;
const plainDevice: DeviceEnvironment = { kind: 'plain', pushLatencyMs };

const minute = 60_000;
const hour = 3_600_000;

/**
 * A good LTE cell (spec §5 "lte-good"): 50–80 ms RTT, 0.5 % loss, carrier NAT idle timeout 5–30 min
 * (drawn per device), RRC promotion ≈260 ms after the ≈11.6 s tail (Huang et al., "A Close
 * Examination of Performance and Power Characteristics of 4G LTE Networks", MobiSys 2012; *unverified*
 * here, spec §5 asks to calibrate).
 */
const ltePath: PathOptions = {
  ...pathOptionsDefault,
  latencyMs: 25,
  jitterMs: 15,
  lossRate: 0.005,
  lossRetransmitMs: 250,
  natIdleMs: 5 * minute,
  natIdleMsMax: 30 * minute,
  wakeAfterIdleMs: 11_600,
  wakeDelayMs: 260,
};

/** Home Wi-Fi (spec §5 "wifi-home"): 20–40 ms RTT, 0.1 % loss, a router honouring RFC 5382 REQ-5 (TCP idle ≥ 2 h 4 min). */
const wifiPath: PathOptions = {
  ...pathOptionsDefault,
  latencyMs: 10,
  jitterMs: 10,
  lossRate: 0.001,
  lossRetransmitMs: 200,
  natIdleMs: 124 * minute,
  natIdleMsMax: 0,
};

export const networkProfiles: Readonly<Record<string, NetworkProfile>> = Object.freeze({
  loopback: {
    description: 'a loopback link: 0 ms, no faults (what conformance scripts run on)',
    source: 'none: a test fixture',
    path: { ...pathOptionsDefault, latencyMs: 0 },
    faults: [],
    device: plainDevice,
  },
  wired: {
    description: 'a wired desktop: 10 ms one-way, no loss, no faults',
    source: 'a typical office LAN + ISP path; no NAT timeout (a wired desktop usually has a public or long-lived mapping)',
    path: { ...pathOptionsDefault, latencyMs: 10, jitterMs: 2 },
    faults: [],
    device: plainDevice,
  },
  'lossy-mobile': {
    description:
      'a phone on a mediocre cellular network: 40–120 ms one-way, 2 % of frames retransmitted (+400 ms), ' +
      'a reset every 2 h, a black hole (NAT rebinding, handover, a basement: old flows dead for good) every 3 h lasting 5 s–30 min, ' +
      'an outage (tunnel, elevator: TCP retransmits) every hour lasting 5 s–3 min',
    source: 'the walking skeleton\'s mix of spec §5 rows (kept as it was so existing results do not change)',
    path: { ...pathOptionsDefault, latencyMs: 40, jitterMs: 80, lossRate: 0.02, lossRetransmitMs: 400 },
    faults: [
      { kind: 'reset', perHour: 0.5, durationMsMin: 0, durationMsMax: 0 },
      { kind: 'blackhole', perHour: 1 / 3, durationMsMin: 5000, durationMsMax: 1_800_000 },
      { kind: 'outage', perHour: 1, durationMsMin: 5000, durationMsMax: 180_000 },
    ],
    device: plainDevice,
  },
  'wifi-home': {
    description: 'home Wi-Fi: 10–20 ms one-way, 0.1 % loss, a NAT that forgets idle flows after 2 h 4 min, no faults',
    source: 'spec §5 wifi-home (20–40 ms RTT, 0.1 % loss); RFC 5382 REQ-5 for the NAT idle minimum',
    path: wifiPath,
    faults: [],
    device: plainDevice,
  },
  'lte-good': {
    description: 'a good LTE cell: 25–40 ms one-way, 0.5 % loss, carrier NAT idle timeout 5–30 min per device, 260 ms radio wake-up after 11.6 s idle',
    source: 'spec §5 lte-good and the carrier NAT row (Monal #53: 10–15 min, Xabber #152: ~10 min); RRC numbers from Huang et al., MobiSys 2012 (unverified)',
    path: ltePath,
    faults: [],
    device: plainDevice,
  },
  '3g-bad': {
    description: 'a poor 3G/EDGE link: 150–500 ms one-way, 5 % loss (+1 s RTO), outages of 5–60 s four times an hour, a reset every 4 h, carrier NAT 5–30 min, 2 s radio wake-up after 12 s idle',
    source: 'spec §5 lte-edge/3g-bad (300–1000 ms RTT, 3–10 % loss, bursty outages 5–60 s); RFC 6298 initial RTO 1 s; 3G promotion ≈2 s from Qian et al., IMC 2010 (unverified)',
    path: { ...ltePath, latencyMs: 150, jitterMs: 350, lossRate: 0.05, lossRetransmitMs: 1000, wakeAfterIdleMs: 12_000, wakeDelayMs: 2000 },
    faults: [
      { kind: 'outage', perHour: 4, durationMsMin: 5000, durationMsMax: 60_000 },
      { kind: 'reset', perHour: 0.25, durationMsMin: 0, durationMsMax: 0 },
    ],
    device: plainDevice,
  },
  handover: {
    description: 'a phone moving between Wi-Fi and LTE: LTE path, and once an hour a handover: the old path becomes a black hole (no RST, old flows dead for good) and the new network is up 1–5 s later (the OS tells the app)',
    source: 'spec §5 handover row ("IP changes → existing TCP cannot survive; often no RST"; Monal MLXMPPManager.m)',
    path: ltePath,
    faults: [{ kind: 'handover', perHour: 1, durationMsMin: 1000, durationMsMax: 5000 }],
    device: plainDevice,
  },
  tunnel: {
    description: 'a commuter: LTE path with a blackout (tunnel, elevator) once an hour for 30 s–5 min; no FIN or RST either side, TCP retransmits and the flows survive if it is short enough',
    source: 'spec §5 tunnel/elevator row (blackout 30 s–5 min, no FIN/RST)',
    path: ltePath,
    faults: [{ kind: 'outage', perHour: 1, durationMsMin: 30_000, durationMsMax: 300_000 }],
    device: plainDevice,
  },
  'nat-rebind': {
    description: 'an LTE path behind a carrier NAT that silently forgets a flow idle for more than 10 min: a client that probes less often than that loses its connection without being told',
    source: 'spec §5 nat-rebind and carrier NAT rows: ~10 min (Xabber #152), 10–15 min (Monal #53)',
    path: { ...ltePath, natIdleMs: 10 * minute, natIdleMsMax: 0 },
    faults: [],
    device: plainDevice,
  },
  'ios-suspend': {
    description: 'an iPhone on LTE: 5–30 s after the app goes to the background iOS freezes it (timers stop, the socket stays open and unread) until the user opens it or a push wakes it for 30 s',
    source: 'spec §5 iOS backgrounding row (~5 s after applicationDidEnterBackground, beginBackgroundTask ≈30 s, NSE ≈30 s per push); push latency unverified',
    path: ltePath,
    faults: [],
    device: { kind: 'ios-suspend', suspendAfterMsMin: 5000, suspendAfterMsMax: 30_000, pushWakeMs: 30_000, pushLatencyMs },
  },
  'android-doze': {
    description:
      'an Android phone on LTE that dozes 30 min after the app went to the background: timers fire at most every 9 min, ' +
      'network access only in maintenance windows of 30 s after 1 h, 2 h, 4 h, then every 6 h, and for 10 s after a high-priority push',
    source: 'spec §5 Android Doze row (allow-while-idle at most once per 9 min, windows ≈1 h, 2 h, 4 h, 6 h); doze entry delay, window length and push exemption unverified',
    path: ltePath,
    faults: [],
    device: { kind: 'android-doze', dozeAfterMs: 30 * minute, alarmGapMs: 9 * minute, windowGapsMs: [hour, 2 * hour, 4 * hour, 6 * hour], windowMs: 30_000, pushWakeMs: 10_000, pushLatencyMs },
  },
  'browser-hidden': {
    description: 'a web client in a browser tab on home Wi-Fi: 5 min after the tab is hidden, its timers fire only on whole minutes',
    source: 'spec §2.1 and §5 browser row (Chrome intensive wake-up throttling: chained timers aligned to 1 min after 5 min hidden, chromestatus 4718288976216064)',
    path: wifiPath,
    faults: [],
    device: { kind: 'browser-hidden', throttleAfterMs: 5 * minute, quantumMs: minute, pushLatencyMs },
  },
});

export const networkProfileNames = Object.keys(networkProfiles);
