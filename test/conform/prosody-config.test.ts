import { describe, expect, it } from 'vitest';
import { prosodyConfig, unsupportedSettings } from '../../src/cli/conform/prosody-config.js';
import { settingsDefault } from '../../src/scenario/settings.js';

describe('the generated Prosody config', () => {
  const text = prosodyConfig({ dir: '/tmp/run', port: 40123, host: 'localhost', settings: { ...settingsDefault, read_timeout: 3, smacks_hibernation_time: 4, offline: false } });

  it('writes every smacks setting, the read timeout and the close timeout by their Prosody names', () => {
    expect(text).toContain('smacks_hibernation_time = 4\n');
    expect(text).toContain('smacks_max_unacked_stanzas = 0\n');
    expect(text).toContain('smacks_max_old_sessions = 10\n');
    expect(text).toMatch(/network_settings = \{\n\tread_timeout = 3;\n\tsend_timeout = 180;\n\}/);
    expect(text).toContain('c2s_close_timeout = 5\n');
    expect(text).toContain('conflict_resolve = "kick_old"\n');
  });

  it('runs as root on the given loopback port with plaintext PLAIN, and disables mod_offline when asked', () => {
    expect(text).toContain('run_as_root = true');
    expect(text).toContain('c2s_ports = { 40123 }');
    expect(text).toContain('allow_unencrypted_plain_auth = true');
    expect(text).toMatch(/modules_disabled = \{[^}]*"offline"/);
    expect(text).not.toMatch(/modules_enabled = \{[^}]*"offline"/);
    expect(text).toContain('filename = "/tmp/run/prosody.log"');
  });

  it('refuses what Prosody 0.12.3 cannot be given', () => {
    expect(unsupportedSettings({ ...settingsDefault })).toEqual([]);
    expect(unsupportedSettings({ ...settingsDefault, nooffline_noerror: true })[0]).toMatch(/^nooffline_noerror=true/);
    expect(unsupportedSettings({ ...settingsDefault, variant: 'community' })[0]).toMatch(/^variant=community/);
    expect(unsupportedSettings({ ...settingsDefault, cloud_notify: true })[0]).toMatch(/^cloud_notify=true/);
  });

  it('loads mod_csi_simple and mod_mam exactly when the csi and mam switches say so', () => {
    const on = prosodyConfig({ dir: '/tmp/run', port: 1, host: 'localhost', settings: { ...settingsDefault, csi: true, mam: true, csi_queue_size: 7 } });
    expect(on).toMatch(/modules_enabled = \{[^}]*"csi"; "csi_simple"[^}]*"mam"/);
    expect(on).toContain('csi_queue_size = 7\n');
    const off = prosodyConfig({ dir: '/tmp/run', port: 1, host: 'localhost', settings: { ...settingsDefault, csi: false, mam: false } });
    expect(off).toMatch(/modules_disabled = \{[^}]*"csi"; "csi_simple"[^}]*"mam"/);
  });
});
