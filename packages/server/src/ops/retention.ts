import { noopLogger, type Logger } from '@kolejka/spec';
import type { Store } from '../store/store.js';
import { waitingDependents } from '../dependencies/waiting-dependents.js';
import { retentionOf, type RetentionPolicy } from './retention-policy.js';

export interface RetentionPorts {
  store: Pick<Store, 'listUsers' | 'listTasks' | 'deleteTask' | 'getTask' | 'getTaskLinks'>;
  logger?: Logger;
}

/** Tasks deleted per page of the listing. */
const PAGE = 500;

/**
 * Deletes each user's ended tasks (finished, failed, cancelled: never one that may still
 * run) created longer ago than the policy keeps them, with their results. Their blobs are
 * then unreferenced and go with the next gc. Deleting is idempotent, so server processes
 * that run this at once only share the work. Returns how many tasks went.
 */
export async function applyRetention(
  { store, logger = noopLogger }: RetentionPorts,
  policy: RetentionPolicy,
  now: Date,
  signal?: AbortSignal,
): Promise<number> {
  let deleted = 0;
  for (const user of await store.listUsers()) {
    const ageMs = retentionOf(policy, user);
    if (ageMs === undefined) continue;
    const filter = {
      owner: user.username,
      states: ['finished', 'failed', 'cancelled'] as const,
      createdBefore: new Date(now.getTime() - ageMs),
    };
    for (;;) {
      signal?.throwIfAborted();
      const page = await store.listTasks({ ...filter, states: [...filter.states] }, PAGE);
      let deletedNow = 0;
      for (const task of page.items) {
        try {
          // A task others still wait on stays (their inputs may come from its result); it
          // goes at a later run, once they are decided.
          if ((await waitingDependents(store, task.key)).length > 0) continue;
          if (await store.deleteTask(task.key, now)) deletedNow++;
        } catch (error) {
          // One task that cannot go (e.g. others still depend on it) keeps the rest going.
          logger.warn('retention kept a task it could not delete', {
            task: task.key,
            error: (error as Error).message,
          });
        }
      }
      deleted += deletedNow;
      // The listing starts over after deletions; a page of which nothing went would repeat.
      if (page.nextCursor === undefined || deletedNow === 0) break;
    }
  }
  if (deleted > 0) logger.info('retention deleted ended tasks', { tasks: deleted });
  return deleted;
}
