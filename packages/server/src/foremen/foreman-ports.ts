import type { Logger } from '@kolejka/spec';
import type { Principal } from '../accounts/principal.js';
import type { ResultPost } from '../results/result-posting.js';
import type { Scheduler } from '../scheduling/scheduler.js';
import type { ServerSettings } from '../server-settings.js';
import type { Store } from '../store/store.js';

/** What the foremen's connections use, besides the socket: given once to the registry. */
export interface ForemanPorts {
  scheduler: Pick<
    Scheduler,
    'foremen' | 'isRunning' | 'hold' | 'free' | 'forget' | 'parkRejected' | 'capacityFreed'
  >;
  store: Store;
  settings: Pick<ServerSettings, 'leaseMs' | 'leaseSweepIntervalMs' | 'heartbeatIntervalMs'>;
  /** This process's id in foreman records and welcomes. */
  serverId: string;
  clock: () => Date;
  logger: Logger;
  /**
   * Stores a result a foreman sends in `task:finished` (the results feature's `postResult`:
   * the same checks and fencing as the HTTP PUT); resolves when stored, throws a
   * KolejkaError when refused. Without it such results are refused.
   */
  postResult?: (principal: Principal, post: ResultPost) => Promise<unknown>;
}
