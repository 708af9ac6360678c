import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/scenario/errors.js';
import { checkCombinedSettings, parseSetArgument, parseSetting, settingNames, settingsDefault } from '../../src/scenario/settings.js';

function refusal(run: () => unknown): ScenarioError {
  try {
    run();
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error('the setting was accepted');
}

describe('parseSetArgument (--set key=value)', () => {
  it("reads 'smacks_max_ack_delay=5' as the number 5", () => {
    expect(parseSetArgument('smacks_max_ack_delay=5')).toEqual({ smacks_max_ack_delay: 5 });
  });

  it('reads booleans and enums', () => {
    expect(parseSetArgument('offline=false')).toEqual({ offline: false });
    expect(parseSetArgument('conflict_resolve=kick_new')).toEqual({ conflict_resolve: 'kick_new' });
  });

  it('trims spaces around the key and the value', () => {
    expect(parseSetArgument(' smacks_hibernation_time = 300 ')).toEqual({ smacks_hibernation_time: 300 });
  });

  it('refuses an unknown name, naming it and listing the real ones', () => {
    const error = refusal(() => parseSetArgument('nosuch=1'));
    expect(error.source).toBe('--set');
    expect(error.path).toBe('nosuch');
    expect(error.message).toContain("--set: nosuch: unknown setting 'nosuch'; allowed: variant, smacks_hibernation_time");
  });

  it('refuses text without key=value', () => {
    expect(refusal(() => parseSetArgument('smacks_max_ack_delay')).message).toContain('expected key=value');
    expect(refusal(() => parseSetArgument('=5')).message).toContain('expected key=value');
  });

  it('refuses smacks_max_queue_size=0 and a fractional queue size', () => {
    expect(refusal(() => parseSetArgument('smacks_max_queue_size=0')).message).toBe(
      '--set: smacks_max_queue_size: invalid value for smacks_max_queue_size (got "0"); allowed: an integer > 0',
    );
    expect(refusal(() => parseSetArgument('smacks_max_queue_size=2.5')).message).toContain('allowed: an integer > 0');
  });

  it('refuses an empty value for a number', () => {
    expect(refusal(() => parseSetArgument('read_timeout=')).message).toContain('allowed: a number > 0');
  });
});

describe('parseSetting follows Prosody get_option_number / get_option_boolean', () => {
  it.each([
    ['600', 600],
    [' 600 ', 600],
    ['1e3', 1000],
    ['0x10', 16],
    ['2.5', 2.5],
  ])('accepts the numeric string %j for smacks_hibernation_time as %d', (raw, expected) => {
    expect(parseSetting('test', 'server.smacks_hibernation_time', 'smacks_hibernation_time', raw)).toBe(expected);
  });

  it('accepts JSON numbers as they are', () => {
    expect(parseSetting('test', 'server.smacks_max_unacked_stanzas', 'smacks_max_unacked_stanzas', 5)).toBe(5);
  });

  it.each([['abc'], ['12abc'], [''], [true], [null]])('refuses %j for a number setting', (raw) => {
    const error = refusal(() => parseSetting('test', 'server.smacks_max_ack_delay', 'smacks_max_ack_delay', raw));
    expect(error.path).toBe('server.smacks_max_ack_delay');
    expect(error.message).toContain('allowed: a number >= 0');
  });

  it('refuses a negative hibernation time', () => {
    expect(refusal(() => parseSetting('test', 'p', 'smacks_hibernation_time', -1)).message).toBe(
      'test: p: invalid value for smacks_hibernation_time (got -1); allowed: a number >= 0',
    );
  });

  it('accepts "true" and "false" for booleans and refuses "yes"', () => {
    expect(parseSetting('test', 'p', 'offline', 'true')).toBe(true);
    expect(parseSetting('test', 'p', 'offline', false)).toBe(false);
    expect(refusal(() => parseSetting('test', 'p', 'offline', 'yes')).message).toContain('allowed: true or false');
  });
});

describe('settings defaults', () => {
  it('match Prosody 0.12.3 mod_smacks defaults', () => {
    expect(settingsDefault.smacks_hibernation_time).toBe(600);
    expect(settingsDefault.smacks_max_unacked_stanzas).toBe(0);
    expect(settingsDefault.smacks_max_inactive_unacked_stanzas).toBe(256);
    expect(settingsDefault.smacks_max_ack_delay).toBe(30);
    expect(settingsDefault.smacks_max_queue_size).toBe(500);
    expect(settingsDefault.smacks_max_old_sessions).toBe(10);
  });

  it('have a validation rule for every setting and a setting for every rule', () => {
    expect([...settingNames].sort()).toEqual(Object.keys(settingsDefault).sort());
  });
});

describe('settings that depend on each other', () => {
  it('refuses smacks_max_old_sessions 0 for the community variant, whose util.cache asserts a positive size', () => {
    const refusal = (): void => checkCombinedSettings('f.json', { ...settingsDefault, variant: 'community', smacks_max_old_sessions: 0 });
    expect(refusal).toThrow("f.json: server.smacks_max_old_sessions: the community variant needs a positive value (util.cache asserts size > 0) (got 0); allowed: an integer >= 1");
    expect(() => checkCombinedSettings('f.json', { ...settingsDefault, smacks_max_old_sessions: 0 })).not.toThrow();
  });
});
