/**
 * The server settings a scenario or `--set` may change: every core and mod_smacks option by its
 * Prosody name, with the type and bounds Prosody would accept. One table, typed against the two
 * layers' option objects, so a new option cannot be added without a rule here.
 */
import { type ServerOptions, serverOptionsDefault } from '../server/options.js';
import { type BugId, bugCatalogue, bugIds, bugsVariantProblem, isBugId } from '../smacks/bugs.js';
import { type SmacksOptions, smacksOptionsDefault } from '../smacks/options.js';
import { ScenarioError } from './errors.js';

export type Settings = ServerOptions & SmacksOptions;

export const settingsDefault: Readonly<Settings> = Object.freeze({ ...serverOptionsDefault, ...smacksOptionsDefault });

type Rule =
  | { kind: 'number'; min?: number; isInteger?: boolean; minExclusive?: boolean; text: string }
  | { kind: 'boolean'; text: string }
  | { kind: 'enum'; values: readonly string[]; text: string }
  | { kind: 'list'; values: readonly string[]; text: string };

export const settingRules: { readonly [Key in keyof Settings]: Rule } = {
  variant: { kind: 'enum', values: ['core-0.12', 'community'], text: 'which mod_smacks runs: core 0.12.3, or the prosody-modules community module' },
  smacks_hibernation_time: { kind: 'number', min: 0, text: 'seconds a disconnected resumable session is kept' },
  smacks_enabled_s2s: { kind: 'boolean', text: 'Stream Management on s2s links' },
  smacks_s2s_resend: { kind: 'boolean', text: 're-route unacked s2s stanzas instead of bouncing them' },
  smacks_max_unacked_stanzas: { kind: 'number', min: 0, text: 'request an ack when more than this many are unacked' },
  smacks_max_inactive_unacked_stanzas: { kind: 'number', min: 0, text: 'the same threshold while CSI-inactive' },
  smacks_max_ack_delay: { kind: 'number', min: 0, text: 'seconds after an <r/> before smacks-ack-delayed fires (0: never)' },
  smacks_max_queue_size: { kind: 'number', min: 0, minExclusive: true, isInteger: true, text: 'ring capacity of the unacked queue (core); must be > 0' },
  smacks_max_hibernated_sessions: { kind: 'number', min: 0, minExclusive: true, isInteger: true, text: 'resumable sessions kept per user (community); must be > 0' },
  smacks_max_old_sessions: { kind: 'number', min: 0, isInteger: true, text: 'expired-session h records kept per user' },
  cloud_notify: { kind: 'boolean', text: 'mod_cloud_notify loaded: push-enabled sessions hibernate until their first important push, then smacks_hibernation_time' },
  push_max_hibernation_timeout: { kind: 'number', min: 0, text: 'mod_cloud_notify: seconds a push session may hibernate without an important push (72 h)' },
  read_timeout: { kind: 'number', min: 0, minExclusive: true, text: 'network_settings.read_timeout, seconds' },
  send_timeout: { kind: 'number', min: 0, minExclusive: true, text: 'network_settings.send_timeout, seconds: a peer that stops reading is dropped once the socket buffers are full for this long' },
  c2s_close_timeout: { kind: 'number', min: 0, text: 'seconds to wait for the client’s </stream:stream> after a server close' },
  conflict_resolve: { kind: 'enum', values: ['kick_old', 'kick_new', 'increment', 'random'], text: 'what binding an already bound resource does' },
  offline: { kind: 'boolean', text: 'mod_offline loaded' },
  nooffline_noerror: { kind: 'boolean', text: 'mod_nooffline_noerror loaded' },
  csi: { kind: 'boolean', text: 'mod_csi and mod_csi_simple loaded (Debian default: yes)' },
  csi_queue_size: { kind: 'number', min: 0, text: 'mod_csi_simple: stanzas held while inactive before a forced flush' },
  csi_resume_inactive_delay: { kind: 'number', min: 0, text: 'mod_csi_simple: seconds after a flush before writes are held again' },
  mam: { kind: 'boolean', text: 'mod_mam loaded (archives messages, stanza-id)' },
  bugs: { kind: 'list', values: bugIds, text: 'historic mod_smacks bugs switched back on (smacks/bugs.ts), each for one variant' },
};

export function isSettingName(name: string): name is keyof Settings {
  return Object.prototype.hasOwnProperty.call(settingRules, name);
}

export const settingNames = Object.keys(settingRules) as (keyof Settings)[];

function allowedText(rule: Rule): string {
  switch (rule.kind) {
    case 'boolean':
      return 'true or false';
    case 'enum':
      return rule.values.join(', ');
    case 'list':
      return `a list (JSON array, or comma-separated with --set) of ${rule.values.join(', ')}`;
    case 'number': {
      const bound = rule.min === undefined ? 'a number' : rule.minExclusive ? `a number > ${rule.min}` : `a number >= ${rule.min}`;
      return rule.isInteger ? bound.replace('a number', 'an integer') : bound;
    }
  }
}

/**
 * Check one setting. Values may come as JSON values or, from `--set`, as strings: Prosody's
 * get_option_number accepts numeric strings, get_option_boolean accepts "true"/"false".
 */
export function parseSetting(source: string, path: string, name: string, raw: unknown): Settings[keyof Settings] {
  if (!isSettingName(name)) {
    throw new ScenarioError(source, path, `unknown setting '${name}'`, undefined, settingNames.join(', '));
  }
  const rule = settingRules[name];
  const bad = (): never => {
    throw new ScenarioError(source, path, `invalid value for ${name}`, raw, allowedText(rule));
  };
  switch (rule.kind) {
    case 'boolean':
      if (raw === true || raw === 'true') return true;
      if (raw === false || raw === 'false') return false;
      return bad();
    case 'enum':
      if (typeof raw === 'string' && rule.values.includes(raw)) return raw as Settings[keyof Settings];
      return bad();
    case 'list':
      return parseBugList(source, path, raw);
    case 'number': {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
      if (!Number.isFinite(value)) return bad();
      if (rule.min !== undefined && (rule.minExclusive ? value <= rule.min : value < rule.min)) return bad();
      if (rule.isInteger && !Number.isInteger(value)) return bad();
      return value;
    }
  }
}

/** Parse `key=value` from the command line into a settings patch. */
export function parseSetArgument(text: string): Partial<Settings> {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new ScenarioError('--set', text, 'expected key=value', text, settingNames.join(', '));
  const name = text.slice(0, equals).trim();
  const value = text.slice(equals + 1).trim();
  return { [name]: parseSetting('--set', name, name, value) } as Partial<Settings>;
}

/** `bugs`: a JSON array of ids, or (from `--set`) one comma-separated string; kept in catalogue order. */
function parseBugList(source: string, path: string, raw: unknown): readonly BugId[] {
  const items = typeof raw === 'string' ? raw.split(',').map((item) => item.trim()).filter((item) => item !== '') : raw;
  if (!Array.isArray(items)) throw new ScenarioError(source, path, 'expected a list of bug ids', raw, bugIdsText());
  for (const item of items) {
    if (typeof item !== 'string' || !isBugId(item)) throw new ScenarioError(source, path, `unknown bug ${JSON.stringify(item)}`, raw, bugIdsText());
  }
  return bugIds.filter((id) => items.includes(id));
}

/** Every bug id with the variant it belongs to, for error messages. */
export function bugIdsText(): string {
  return bugCatalogue.map((info) => `${info.id} (${info.variant})`).join(', ');
}

/** One `--bug ID` from the command line. */
export function parseBugArgument(text: string): BugId {
  const id = text.trim();
  if (!isBugId(id)) throw new ScenarioError('--bug', id, `unknown bug ${JSON.stringify(id)}`, undefined, bugIdsText());
  return id;
}

/**
 * Refuse a bug of the other variant. Only the merged settings (scenario, `--set`, `--bug`) know the
 * variant, so this runs when a run is assembled, not when a file is read.
 */
function checkBugsVariant(source: string, settings: Settings, path = 'server.bugs'): void {
  const problem = bugsVariantProblem(settings.bugs, settings.variant);
  if (problem === undefined) return;
  const own = bugCatalogue.filter((info) => info.variant === settings.variant).map((info) => info.id);
  throw new ScenarioError(source, path, problem, settings.bugs, `for ${settings.variant}: ${own.join(', ')} (or set variant to the one the bug needs)`);
}

/**
 * Rules that involve more than one setting, checked once the scenario's settings and `--set` are
 * merged (before anything runs): what Prosody would refuse at module load.
 */
export function checkCombinedSettings(source: string, settings: Settings, path = 'server'): void {
  checkBugsVariant(source, settings, `${path}.bugs`);
  if (settings.variant === 'community' && settings.smacks_max_old_sessions <= 0) {
    // community mod_smacks: util.cache(smacks_max_old_sessions) asserts a positive size at load.
    throw new ScenarioError(source, `${path}.smacks_max_old_sessions`, 'the community variant needs a positive value (util.cache asserts size > 0)', settings.smacks_max_old_sessions, 'an integer >= 1');
  }
}
