import { type Store } from '../store/store.js';
import { HttpError } from '../http/errors.js';

/**
 * Refuses a submission (429) when the owner already has `maxQueued` tasks waiting or
 * queued. Counted before the insert, not in it: two submissions racing at the limit may
 * both pass — the limit is a guard against floods, not an exact quota.
 */
export async function assertBelowQueuedLimit(
  store: Pick<Store, 'getUser' | 'countTasksOf'>,
  owner: string,
): Promise<void> {
  const limit = (await store.getUser(owner))?.maxQueued;
  if (limit === undefined) return;
  const queued = await store.countTasksOf(owner, ['waiting', 'queued']);
  if (queued >= limit)
    throw new HttpError(
      429,
      'KOLEJKA_CONFLICT',
      `User ${owner} has ${queued} tasks waiting or queued, at the limit maxQueued = ${limit}: wait for some to run (an admin sets the limit)`,
      { details: { maxQueued: limit, queued } },
    );
}
