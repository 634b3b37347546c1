import { describe } from 'vitest';
import { describeAccountConformance } from './store-conformance-accounts.js';
import { describeBlobConformance } from './store-conformance-blobs.js';
import { describeDependencyConformance } from './store-conformance-dependencies.js';
import { describeEventConformance } from './store-conformance-events.js';
import { describeLifecycleConformance } from './store-conformance-lifecycle.js';
import { describeQueueControlConformance } from './store-conformance-queue-control.js';
import { describeScheduleConformance } from './store-conformance-schedules.js';
import { describeTaskConformance } from './store-conformance-tasks.js';
import type { StoreEngine } from './store-fixtures.js';

export type { StoreContext, StoreEngine } from './store-fixtures.js';

/**
 * The one conformance suite every Store engine passes: each rule of the `Store` interface
 * (store.ts), run against real engines (a temporary SQLite file, a scratch MongoDB database).
 */
export function describeStoreConformance(engine: StoreEngine): void {
  describe(`Store conformance: ${engine.name}`, () => {
    describeAccountConformance(engine);
    describeBlobConformance(engine);
    describeTaskConformance(engine);
    describeLifecycleConformance(engine);
    describeEventConformance(engine);
    describeQueueControlConformance(engine);
    describeScheduleConformance(engine);
    describeDependencyConformance(engine);
  });
}
