import {
  combineLimits,
  demandOf,
  dumpLimits,
  parseLimits,
  takeCapacity,
  type LimitsJson,
} from '@kolejka/spec';
import type { ForemanRecord, Store, TaskState } from '../store/store.js';
import type { ForemanSession } from '../scheduling/foreman-session.js';
import { requirementsOf } from '../scheduling/queue-index.js';

/** A foreman as `GET /api/v1/foremen` shows it. */
export interface ForemanView {
  id: string;
  username: string;
  version?: string;
  tags: string[];
  capacity: LimitsJson;
  free: LimitsJson;
  running: { key: string; attempt: number; state: TaskState }[];
  lastHeartbeatAt?: string;
  online: boolean;
  draining: boolean;
  serverId?: string;
  updatedAt: string;
}

/**
 * The listing of one foreman. Its tasks and free capacity come from the store (assigned and
 * running tasks it holds, their demands taken from its capacity), so every server process
 * answers the same whichever holds the connection; the connection's own process adds what
 * only it knows (a foreman draining itself).
 */
export async function foremanView(
  store: Store,
  record: ForemanRecord,
  session: ForemanSession | undefined,
): Promise<ForemanView> {
  const capacity = parseLimits(record.capacity);
  const page = await store.listTasks(
    { assignee: record.id, states: ['assigned', 'running'] },
    1000,
  );
  let free = { ...capacity };
  for (const task of page.items)
    free = takeCapacity(free, demandOf(combineLimits(requirementsOf(task.spec).limits, capacity)));
  return {
    id: record.id,
    username: record.username,
    ...(record.version === undefined ? {} : { version: record.version }),
    tags: record.tags,
    capacity: record.capacity,
    free: dumpLimits(free),
    running: page.items.map((task) => ({
      key: task.key,
      attempt: task.attempt,
      state: task.state,
    })),
    ...(record.lastHeartbeatAt === undefined
      ? {}
      : { lastHeartbeatAt: record.lastHeartbeatAt.toISOString() }),
    online: record.isOnline,
    draining: record.isDraining || session?.isSelfDraining === true,
    ...(record.serverId === undefined ? {} : { serverId: record.serverId }),
    updatedAt: record.updatedAt.toISOString(),
  };
}
