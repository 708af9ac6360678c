/**
 * Population groups with client models (src/scenario/population.ts): presets, knob overrides,
 * devices, traffic; every mistake refused with the field's path, the bad value and what is allowed.
 */
import { describe, expect, it } from 'vitest';
import { clientPresets } from '../../src/clients/presets.js';
import { ScenarioError } from '../../src/scenario/errors.js';
import { readScenario } from '../../src/scenario/schema.js';

const source = 'sims/test.json';

function withGroup(group: Record<string, unknown>): Record<string, unknown> {
  return { name: 'g', duration: '1h', population: { groups: [{ name: 'u', count: 3, ...group }] } };
}

function refusal(group: Record<string, unknown>): string {
  try {
    readScenario(source, withGroup(group));
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe('model and knobs', () => {
  it('a preset by name, with single knobs overridden by their JSON names', () => {
    const [group] = readScenario(source, withGroup({ model: 'conversations', knobs: { probeIdle: '3m', useFailedH: false, reconnectSteps: [1, 2] } })).groups;
    expect(group!.model).toBe('conversations');
    expect(group!.knobs).toEqual({ ...clientPresets.conversations!.knobs, probeIdleMs: 180_000, useFailedH: false, reconnectSteps: [1, 2] });
  });

  it('refuses an unknown preset, listing the presets', () => {
    expect(refusal({ model: 'pidgin' })).toMatch(/population\.groups\[0\]\.model: not one of the allowed values \(got "pidgin"\); allowed: mobile, conversations, monal/);
  });

  it('refuses an unknown knob, listing the knob names', () => {
    expect(refusal({ knobs: { pingEvery: '1m' } })).toMatch(/population\.groups\[0\]\.knobs\.pingEvery: unknown field 'pingEvery'; allowed: resource, sm, smNs, ackRequest/);
  });

  it('refuses a bad value with what is allowed', () => {
    expect(refusal({ knobs: { onFailedResume: 'retry' } })).toBe(
      `${source}: population.groups[0].knobs.onFailedResume: not one of the allowed values (got "retry"); allowed: drop, failEvent, resendMessages, resendAll`,
    );
    expect(refusal({ knobs: { probeIdle: 'soon' } })).toMatch(/knobs\.probeIdle: not a duration/);
    expect(refusal({ knobs: { reconnectJitter: 2 } })).toMatch(/knobs\.reconnectJitter: out of range \(got 2\); allowed: a number >= 0 <= 1/);
  });

  it('refuses knobs that contradict each other', () => {
    expect(refusal({ knobs: { probe: 'whitespace', probeTimeout: '10s' } })).toMatch(/knobs\.probeTimeout: nothing answers a whitespace keepalive; use probeTimeout 0/);
    expect(refusal({ model: 'gajim', knobs: { sm: 'off', probe: 'r' } })).toMatch(/knobs\.probe: an <r\/> probe needs Stream Management/);
    expect(refusal({ knobs: { ackRequest: 'everyN' } })).toMatch(/knobs\.ackEveryN: ackRequest everyN needs ackEveryN >= 1/);
  });
});

describe('devices', () => {
  it('several devices per account, each with its preset and network', () => {
    const [group] = readScenario(source, withGroup({ devices: [{ resource: 'phone', model: 'monal', network: 'ios-suspend' }, { model: 'dino', network: 'wifi-home' }] })).groups;
    expect(group!.devices.map((device) => [device.resource, device.model, device.network.profile])).toEqual([
      ['phone', 'monal', 'ios-suspend'],
      ['dino', 'dino', 'wifi-home'],
    ]);
  });

  it('refuses model or network beside devices, and two devices with one resource', () => {
    expect(refusal({ model: 'monal', devices: [{ model: 'dino' }] })).toMatch(/population\.groups\[0\]\.model: a group with `devices` gives model, knobs and network per device/);
    expect(refusal({ devices: [{ resource: 'x' }, { resource: 'x' }] })).toMatch(/devices\[1\]\.resource: two devices of an account bind the same resource/);
  });
});

describe('traffic and networks', () => {
  it('reads diurnal (true for 20:00 and 0.8), bursts, presence and pings', () => {
    const [group] = readScenario(source, withGroup({ traffic: { diurnal: true, bursts: { probability: 0.3 }, presencePerHour: 2, pingsPerHour: 1, rateSpread: 1 } })).groups;
    expect(group!.traffic).toEqual({ rateSpread: 1, diurnal: { peakHour: 20, amplitude: 0.8 }, bursts: { probability: 0.3, sizeMin: 2, sizeMax: 5, gapMsMin: 5000, gapMsMax: 30_000 }, presencePerHour: 2, pingsPerHour: 1 });
  });

  it('refuses an unknown traffic field', () => {
    expect(refusal({ traffic: { groupchat: 1 } })).toMatch(/traffic\.groupchat: unknown field 'groupchat'; allowed: rateSpread, diurnal, bursts, presencePerHour, pingsPerHour/);
  });

  it('a network may override the NAT timeout and the radio wake-up of its profile', () => {
    const [group] = readScenario(source, withGroup({ network: { profile: 'lte-good', natIdle: '4m', wakeDelay: '1s' } })).groups;
    expect(group!.network.path).toMatchObject({ natIdleMs: 240_000, natIdleMsMax: 0, wakeDelayMs: 1000 });
    expect(group!.network.device.kind).toBe('plain');
  });

  it('accepts handover among random faults', () => {
    const [group] = readScenario(source, withGroup({ network: { profile: 'wired', faults: [{ kind: 'handover', perHour: 2, durationMin: '1s', durationMax: '3s' }] } })).groups;
    expect(group!.network.faults).toEqual([{ kind: 'handover', perHour: 2, durationMsMin: 1000, durationMsMax: 3000 }]);
  });
});
