import { KolejkaError } from '@kolejka/spec';
import { MAX_DEPENDENCIES, TERMINAL_TASK_STATES, type Store } from '../store/store.js';

/** Dependents that still wait on the task (a deletion would take their dependency away). */
export async function waitingDependents(
  store: Pick<Store, 'getTask' | 'getTaskLinks'>,
  key: string,
): Promise<string[]> {
  const links = await store.getTaskLinks(key, MAX_DEPENDENCIES);
  if (links === undefined || links.dependentCount === 0) return [];
  const waiting: string[] = [];
  for (const dependent of links.dependents)
    if ((await store.getTask(dependent.key))?.state === 'waiting') waiting.push(dependent.key);
  return waiting;
}

export function dependentsConflict(key: string, waiting: readonly string[]): KolejkaError {
  const shown = waiting.slice(0, 10).join(', ');
  const more = waiting.length > 10 ? ` and ${waiting.length - 10} more` : '';
  return new KolejkaError(
    'KOLEJKA_CONFLICT',
    `Task ${key} cannot be deleted: tasks wait on it (${shown}${more}); delete with ?cascade=true to cancel them too`,
    { details: { dependents: waiting } },
  );
}

/**
 * `?cascade=true`: cancels every unfinished task downstream of `key` (its dependents, theirs,
 * …) with a reason naming the deletion. They are cancelled, not deleted, so their owners see
 * why they never ran. Returns how many were cancelled.
 */
export async function cancelDownstream(
  store: Pick<Store, 'getTask' | 'getTaskLinks' | 'cancelTask'>,
  key: string,
  now: Date,
): Promise<number> {
  let cancelled = 0;
  const seen = new Set<string>([key]);
  let frontier = [key];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const current of frontier) {
      const links = await store.getTaskLinks(current, MAX_DEPENDENCIES);
      for (const dependent of links?.dependents ?? []) {
        if (seen.has(dependent.key)) continue;
        seen.add(dependent.key);
        next.push(dependent.key);
        const task = await store.getTask(dependent.key);
        if (task === undefined || TERMINAL_TASK_STATES.includes(task.state)) continue;
        if (await store.cancelTask(dependent.key, `dependency ${key} was deleted`, now))
          cancelled++;
      }
    }
    frontier = next;
  }
  return cancelled;
}
