import { KolejkaError } from '@kolejka/spec';
import type { TaskRecord } from '../store/store.js';

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
