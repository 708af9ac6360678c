/** Picks the mod_smacks variant a run uses. */
import type { Server } from '../server/server.js';
import type { SmacksApi } from './api.js';
import { CommunitySmacks } from './community.js';
import { CoreSmacks } from './core.js';
import type { SmacksOptions } from './options.js';

export function loadSmacks(server: Server, options: SmacksOptions): SmacksApi {
  switch (options.variant) {
    case 'core-0.12':
      return new CoreSmacks(server, options);
    case 'community':
      return new CommunitySmacks(server, options);
  }
}
