/**
 * The client side of a population group: which client model each account runs on which network, with
 * which knob overrides, on how many devices, and what traffic it makes.
 *
 *   { "name": "u", "count": 100, "model": "conversations", "knobs": { "probeIdle": "3m" },
 *     "network": "lte-good", "resources": 1, "messagesPerHour": 6,
 *     "traffic": { "diurnal": { "peakHour": 20, "amplitude": 0.8 }, "presencePerHour": 2 } }
 *
 * Several devices per account (a phone and a desktop, each with its own preset and network):
 *
 *   { "name": "u", "count": 100, "messagesPerHour": 6,
 *     "devices": [ { "resource": "phone", "model": "monal", "network": "ios-suspend" },
 *                  { "resource": "desktop", "model": "gajim", "network": "wifi-home" } ] }
 *
 * `resources: N` is the short form for N identical devices (resources `<resource>1` … `<resource>N`).
 * A group of one device per account names its clients after the accounts (`u1`, `u2`, …); with
 * several, a client is `<account>/<resource>` (`u1/phone`). The account's traffic is written from one
 * of its devices, drawn uniformly per message.
 */
import type { ClientKnobs } from '../clients/knobs.js';
import { checkKnobs, knobDescriptors } from '../clients/knobs.js';
import { clientPresetNames, clientPresets } from '../clients/presets.js';
import type { TrafficSpec } from '../workload/traffic.js';
import { ScenarioError } from './errors.js';
import { ObjectReader } from './reader.js';

/** The network shape the schema reads (kept there, shared with scripted clients and the peer). */
export interface DeviceNetworkSpec {
  profile: string;
}

export interface DeviceSpec<N extends DeviceNetworkSpec> {
  resource: string;
  /** The preset the device's knobs start from. */
  model: string;
  knobs: ClientKnobs;
  network: N;
}

export type NetworkReader<N> = (source: string, path: string, raw: unknown, fallbackProfile: string) => N;

const resourcePattern = /^[A-Za-z0-9_.-]+$/;

/** Knob overrides on a preset, by their JSON names; unknown names and bad values are refused. */
export function readKnobOverrides(source: string, path: string, raw: unknown, preset: Readonly<ClientKnobs>): ClientKnobs {
  const knobs: ClientKnobs = { ...preset, reconnectSteps: [...preset.reconnectSteps] };
  if (raw === undefined) return knobs;
  const reader = ObjectReader.of(source, path, raw);
  const record = knobs as unknown as Record<string, unknown>;
  for (const descriptor of knobDescriptors) {
    if (!reader.has(descriptor.name)) continue;
    const kind = descriptor.kind;
    const name = descriptor.name;
    switch (kind.type) {
      case 'enum':
        record[descriptor.key] = reader.oneOf(name, kind.values);
        break;
      case 'duration':
        record[descriptor.key] = reader.duration(name);
        break;
      case 'number':
        record[descriptor.key] = reader.number(name, { min: kind.min, ...(kind.max === undefined ? {} : { max: kind.max }), ...(kind.isInteger ? { isInteger: true } : {}) });
        break;
      case 'boolean':
        record[descriptor.key] = reader.boolean(name, false);
        break;
      case 'string': {
        const value = reader.string(name);
        if (!resourcePattern.test(value)) reader.fail(name, 'a resource uses letters, digits, _ . -');
        record[descriptor.key] = value;
        break;
      }
      case 'numbers': {
        const items = reader.array(name)!;
        if (items.length === 0 || items.some((item) => typeof item !== 'number' || !Number.isFinite(item) || item < kind.min)) {
          reader.fail(name, 'expected a non-empty array of numbers', `numbers >= ${kind.min}, e.g. [1, 1, 6, 30]`);
        }
        record[descriptor.key] = items as number[];
        break;
      }
    }
  }
  reader.done(knobDescriptors.map((descriptor) => descriptor.name).join(', '));
  const problem = checkKnobs(knobs);
  if (problem !== undefined) throw new ScenarioError(source, `${path}.${problem.name}`, problem.reason, record[knobDescriptors.find((descriptor) => descriptor.name === problem.name)?.key ?? '']);
  return knobs;
}

function readModel(reader: ObjectReader): string {
  return reader.oneOf('model', clientPresetNames, 'mobile');
}

/**
 * A group's devices: either `devices: [...]`, or the group's own `model`, `knobs`, `network` and
 * `resources`. `reader` is the group's reader (the fields it reads count as seen).
 */
export function readDevices<N extends DeviceNetworkSpec>(source: string, reader: ObjectReader, readNetwork: NetworkReader<N>): Array<DeviceSpec<N>> {
  if (!reader.has('devices')) {
    const model = readModel(reader);
    const preset = clientPresets[model]!.knobs;
    const knobs = readKnobOverrides(source, reader.at('knobs'), reader.raw('knobs'), preset);
    const network = readNetwork(source, reader.at('network'), reader.raw('network'), 'lossy-mobile');
    const resources = reader.number('resources', { min: 1, max: 16, isInteger: true, fallback: 1 });
    if (resources === 1) return [{ resource: knobs.resource, model, knobs, network }];
    return Array.from({ length: resources }, (_, index) => ({ resource: `${knobs.resource}${index + 1}`, model, knobs: { ...knobs, resource: `${knobs.resource}${index + 1}` }, network }));
  }
  for (const key of ['model', 'knobs', 'network', 'resources']) {
    if (reader.has(key)) reader.fail(key, 'a group with `devices` gives model, knobs and network per device', 'devices: [{ resource, model, knobs, network }, …]');
  }
  const items = reader.array('devices')!;
  if (items.length === 0 || items.length > 16) reader.fail('devices', 'expected 1 to 16 devices');
  const devices: Array<DeviceSpec<N>> = [];
  const resources = new Set<string>();
  for (const [index, item] of items.entries()) {
    const deviceReader = ObjectReader.of(source, `${reader.at('devices')}[${index}]`, item);
    const model = readModel(deviceReader);
    const preset = clientPresets[model]!.knobs;
    const knobs = readKnobOverrides(source, deviceReader.at('knobs'), deviceReader.raw('knobs'), preset);
    const resource = deviceReader.string('resource', knobs.resource);
    if (!resourcePattern.test(resource)) deviceReader.fail('resource', 'a resource uses letters, digits, _ . -');
    if (resources.has(resource)) deviceReader.fail('resource', 'two devices of an account bind the same resource', 'a resource of its own per device');
    resources.add(resource);
    knobs.resource = resource;
    const network = readNetwork(source, deviceReader.at('network'), deviceReader.raw('network'), 'lossy-mobile');
    deviceReader.done('resource, model, knobs, network');
    devices.push({ resource, model, knobs, network });
  }
  return devices;
}

/** `traffic`: what an account does besides writing `messagesPerHour` chat messages. */
export function readTraffic(source: string, path: string, raw: unknown): TrafficSpec {
  if (raw === undefined) return { rateSpread: 0, diurnal: undefined, bursts: undefined, presencePerHour: 0, pingsPerHour: 0 };
  const reader = ObjectReader.of(source, path, raw);
  const diurnalRaw = reader.raw('diurnal');
  let diurnal: TrafficSpec['diurnal'];
  if (diurnalRaw === true) diurnal = { peakHour: 20, amplitude: 0.8 };
  else if (diurnalRaw !== undefined && diurnalRaw !== false) {
    const diurnalReader = ObjectReader.of(source, reader.at('diurnal'), diurnalRaw);
    diurnal = {
      peakHour: diurnalReader.number('peakHour', { min: 0, max: 24, fallback: 20 }),
      amplitude: diurnalReader.number('amplitude', { min: 0, max: 0.99, fallback: 0.8 }),
    };
    diurnalReader.done('peakHour (UTC hour of the busiest time), amplitude (0 … 0.99)');
  }
  const burstsReader = reader.object('bursts');
  let bursts: TrafficSpec['bursts'];
  if (burstsReader !== undefined) {
    bursts = {
      probability: burstsReader.number('probability', { min: 0, max: 1 }),
      sizeMin: burstsReader.number('sizeMin', { min: 1, isInteger: true, fallback: 2 }),
      sizeMax: burstsReader.number('sizeMax', { min: 1, isInteger: true, fallback: 5 }),
      gapMsMin: burstsReader.duration('gapMin', 5000),
      gapMsMax: burstsReader.duration('gapMax', 30_000),
    };
    if (bursts.sizeMax < bursts.sizeMin) burstsReader.fail('sizeMax', 'must not be below sizeMin');
    if (bursts.gapMsMax < bursts.gapMsMin) burstsReader.fail('gapMax', 'must not be below gapMin');
    burstsReader.done('probability, sizeMin, sizeMax, gapMin, gapMax');
  }
  const traffic: TrafficSpec = {
    rateSpread: reader.number('rateSpread', { min: 0, max: 3, fallback: 0 }),
    diurnal,
    bursts,
    presencePerHour: reader.number('presencePerHour', { min: 0, fallback: 0 }),
    pingsPerHour: reader.number('pingsPerHour', { min: 0, fallback: 0 }),
  };
  reader.done('rateSpread, diurnal, bursts, presencePerHour, pingsPerHour');
  return traffic;
}
