/**
 * mod_smacks configuration, by Prosody's option names, with 0.12.3's defaults (spec §1). Times are in
 * seconds as in prosody.cfg.lua. `variant` picks which mod_smacks runs.
 */
import type { BugId } from './bugs.js';

export type SmacksVariant = 'core-0.12' | 'community';

export interface SmacksOptions {
  variant: SmacksVariant;
  smacks_hibernation_time: number;
  smacks_enabled_s2s: boolean;
  smacks_s2s_resend: boolean;
  smacks_max_unacked_stanzas: number;
  smacks_max_inactive_unacked_stanzas: number;
  smacks_max_ack_delay: number;
  /** core only (community too with BUG C-3): ring capacity of the unacked queue. */
  smacks_max_queue_size: number;
  /** community only (core too with BUG M-2): resumable sessions kept per user. */
  smacks_max_hibernated_sessions: number;
  smacks_max_old_sessions: number;
  /** prosody-modules mod_cloud_notify (XEP-0357 push) loaded. */
  cloud_notify: boolean;
  /** mod_cloud_notify: seconds a push-enabled session may hibernate until its first important push. */
  push_max_hibernation_timeout: number;
  /** Historic bugs switched back on (smacks/bugs.ts); each belongs to one variant. */
  bugs: readonly BugId[];
}

export const smacksOptionsDefault: Readonly<SmacksOptions> = Object.freeze({
  variant: 'core-0.12',
  smacks_hibernation_time: 600,
  smacks_enabled_s2s: true,
  smacks_s2s_resend: false,
  smacks_max_unacked_stanzas: 0,
  smacks_max_inactive_unacked_stanzas: 256,
  smacks_max_ack_delay: 30,
  smacks_max_queue_size: 500,
  smacks_max_hibernated_sessions: 10,
  smacks_max_old_sessions: 10,
  cloud_notify: false,
  push_max_hibernation_timeout: 72 * 3600,
  bugs: Object.freeze([]) as readonly BugId[],
});
