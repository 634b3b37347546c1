import type { ResultView } from '@kolejka/spec';
import type { ResultRecord } from '../store/store.js';

/** A result as API v1 shows it. */
export function resultView(result: ResultRecord): ResultView {
  return {
    taskKey: result.taskKey,
    attempt: result.attempt,
    poster: result.poster,
    createdAt: result.createdAt.toISOString(),
    spec: result.spec,
  };
}
