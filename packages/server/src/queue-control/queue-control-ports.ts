import type { Logger } from '@kolejka/spec';
import type { QueuePauses } from '../scheduling/queue-pauses.js';
import type { ServerSettings } from '../server-settings.js';
import type { Store } from '../store/store.js';

/** What the queue-control routes read and write. */
export interface QueueControlPorts {
  store: Store;
  clock: () => Date;
  logger: Logger;
  settings: Pick<ServerSettings, 'maxJsonBytes' | 'maxClientPriority'>;
  /** This process's view of the pauses and user policies, refreshed at once after a change made here. */
  scheduler: { pauses: QueuePauses; refreshUserPolicies(): Promise<void> };
}
