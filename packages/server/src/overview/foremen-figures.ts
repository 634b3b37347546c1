import {
  CONSUMABLE_LIMITS,
  dumpLimits,
  parseLimits,
  type Limits,
  type LimitsJson,
} from '@kolejka/spec';
import { foremanView } from '../foremen/foreman-view.js';
import type { ForemenRegistry } from '../foremen/foremen-registry.js';
import type { Store } from '../store/store.js';

export interface ForemenFigures {
  /** Foremen connected now (to any server process). */
  online: number;
  /** Of those, the ones draining (taking no new tasks). */
  draining: number;
  /** What the online foremen offer, summed (each consumable limit over those that declare it). */
  capacity: LimitsJson;
  /** What the online foremen that take tasks (not draining) have free, summed likewise. */
  free: LimitsJson;
}

type Totals = Partial<Record<(typeof CONSUMABLE_LIMITS)[number], number>>;

function add(totals: Totals, json: LimitsJson): void {
  const limits: Limits = parseLimits(json);
  for (const name of CONSUMABLE_LIMITS) {
    const value = limits[name];
    // A foreman given more than it offers (capacity changed under it) has nothing free, not less.
    if (value !== undefined) totals[name] = (totals[name] ?? 0) + Math.max(0, value);
  }
}

/**
 * The foremen as the listing (`GET /api/v1/foremen`) sees them, summed: free capacity is
 * read from the store (the tasks each holds), so every server process answers alike.
 */
export async function foremenFigures(ports: {
  store: Store;
  foremen: Pick<ForemenRegistry, 'local'>;
}): Promise<ForemenFigures> {
  const records = (await ports.store.listForemen()).filter((record) => record.isOnline);
  const views = await Promise.all(
    records.map((record) => foremanView(ports.store, record, ports.foremen.local(record.id))),
  );
  const capacity: Totals = {};
  const free: Totals = {};
  let draining = 0;
  for (const view of views) {
    add(capacity, view.capacity);
    if (view.draining) draining += 1;
    else add(free, view.free);
  }
  return {
    online: views.length,
    draining,
    capacity: dumpLimits(capacity),
    free: dumpLimits(free),
  };
}
