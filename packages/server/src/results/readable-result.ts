import { KolejkaError } from '@kolejka/spec';
import type { Principal } from '../accounts/principal.js';
import type { ResultRecord, Store, TaskRecord } from '../store/store.js';
import { mayReadResult, visibleTask } from '../tasks/task-access.js';

/** The 404 of a task without a result; `details.state` tells a poller whether to wait on. */
export function noResult(task: TaskRecord): KolejkaError {
  const why =
    task.state === 'failed' || task.state === 'cancelled'
      ? `Task ${task.key} is ${task.state}${task.reason === undefined ? '' : ` (${task.reason})`}: it has no result`
      : `Task ${task.key} has no result yet (it is ${task.state})`;
  return new KolejkaError('KOLEJKA_NOT_FOUND', why, {
    details: {
      taskKey: task.key,
      state: task.state,
      ...(task.reason === undefined ? {} : { reason: task.reason }),
    },
  });
}

/**
 * The result of task `key` as the caller may read it (GET .../result and .../result/archive):
 * a task they cannot see is 404, one they see but may not read the result of is 403, a task
 * without a result is 404 with its state.
 */
export async function readableResult(
  ports: Parameters<typeof visibleTask>[0] & { store: Store },
  principal: Principal,
  key: string,
): Promise<{ task: TaskRecord; result: ResultRecord }> {
  const task = await visibleTask(ports, principal, key);
  if (!mayReadResult(principal, task)) {
    throw new KolejkaError('KOLEJKA_FORBIDDEN', 'Only the owner or an inspector reads results');
  }
  const result = await ports.store.getResult(task.key);
  if (result === undefined) throw noResult(task);
  return { task, result };
}
