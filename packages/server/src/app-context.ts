import type { Logger } from '@kolejka/spec';
import type { BlobStore } from './blobs/blob-store.js';
import type { CallbackDispatcher } from './callbacks.js';
import type { EventsHub } from './events/events-hub.js';
import type { Metrics } from './metrics.js';
import type { Scheduler } from './scheduler/scheduler.js';
import type { ServerSettings } from './settings.js';
import type { Store } from './store/store.js';

/** What every route module gets: the storage, the policy and the shared services. */
export interface AppContext {
  store: Store;
  blobs: BlobStore;
  settings: ServerSettings;
  logger: Logger;
  clock: () => Date;
  callbacks: CallbackDispatcher;
  metrics: Metrics;
  /** The push scheduler (inert until `startServer` starts it). */
  scheduler: Scheduler;
  /** Task state changes for clients (WebSocket and Server-Sent Events). */
  events: EventsHub;
}
