import { matchTask, parseTask, takeCapacity, type Limits, type Logger } from '@kolejka/spec';
import type { Principal } from '../accounts/principal.js';
import type { ServerSettings } from '../server-settings.js';
import type { Store, TaskRecord } from '../store/store.js';

/** What the dequeue claims with: the store, the time, a log, and the compat lease. */
export interface DequeuePorts {
  store: Store;
  clock: () => Date;
  logger: Logger;
  settings: Pick<ServerSettings, 'compatLeaseMs'>;
}

export interface DequeueRequest {
  /** At most this many tasks (the original's `concurency`; it returned one more). */
  concurrency: number;
  /** What the foreman has (its limits); absent fields are not advertised. */
  capacity: Limits;
  tags: string[];
}

const PAGE = 100;
/** Queued tasks looked at per request: the original looked at the 100 oldest only. */
const MAX_SCANNED = 2000;

/**
 * The original `/queue/dequeue/` on the shared claim: walks queued tasks in run order,
 * skips those that do not fit (spec `matchTask`, no head-of-line blocking, as the
 * original), and claims each chosen task atomically in the store, so concurrent callers
 * never get the same task. Claimed tasks hold a long compat lease: original foremen never
 * renew it.
 */
export async function dequeueTasks(
  ports: DequeuePorts,
  principal: Principal,
  request: DequeueRequest,
): Promise<TaskRecord[]> {
  // Queue control (issue 12): original foremen obey the pauses too (read per request: a
  // dequeue is rare next to the push scheduler, and this way it is never stale).
  const pauses = await ports.store.listQueuePauses();
  if (pauses.some((pause) => pause.tag === undefined)) return [];
  const pausedTags = new Set(pauses.map((pause) => pause.tag));
  const now = ports.clock();
  const leaseExpiresAt = new Date(now.getTime() + ports.settings.compatLeaseMs);
  const chosen: TaskRecord[] = [];
  let free: Limits = { ...request.capacity };
  let isExclusiveChosen = false;
  let after: { priority: number; createdAt: Date; key: string } | undefined;
  let scanned = 0;
  while (chosen.length < request.concurrency && !isExclusiveChosen && scanned < MAX_SCANNED) {
    const page = await ports.store.listQueuedTasks(PAGE, after);
    for (const task of page) {
      scanned++;
      after = { priority: task.priority, createdAt: task.createdAt, key: task.key };
      const spec = parseTask(task.spec);
      if (spec.requires.some((tag) => pausedTags.has(tag))) continue;
      const match = matchTask(
        { requires: spec.requires, limits: spec.limits, exclusive: spec.exclusive === true },
        {
          tags: request.tags,
          capacity: request.capacity,
          free,
          runningTasks: chosen.length,
          isRunningExclusive: isExclusiveChosen,
        },
      );
      if (!match.fits) continue;
      const claimed = await ports.store.claimTask(task.key, {
        assignee: principal.username,
        leaseExpiresAt,
        now,
      });
      if (claimed === undefined) continue; // another claimer won this one
      chosen.push(claimed);
      free = takeCapacity(free, match.demand);
      if (spec.exclusive === true) isExclusiveChosen = true;
      if (isExclusiveChosen || chosen.length >= request.concurrency) break;
    }
    if (page.length < PAGE) break;
  }
  if (chosen.length > 0) {
    ports.logger.info('tasks dequeued', {
      assignee: principal.username,
      tasks: chosen.map((task) => task.key),
    });
  }
  return chosen;
}
