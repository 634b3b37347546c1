import { noopLogger, type Logger } from '@kolejka/spec';
import type { Store, TaskRecord } from './store/store.js';

export interface LeaseReaperOptions {
  store: Store;
  intervalMs: number;
  clock?: () => Date;
  logger?: Logger;
}

export interface LeaseReaper {
  /** One sweep now (tests, and the first sweep at start). */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

function reasonFor(task: TaskRecord): string {
  return `the lease of attempt ${task.attempt} (held by ${task.assignee ?? 'nobody'}) expired; ${task.lostCount + 1} of ${task.maxAttempts} attempts lost`;
}

/**
 * Returns tasks whose lease expired to the queue (or fails them after `maxAttempts`
 * losses), every `intervalMs`. Works for several server processes on one store: the
 * store's expiry is one atomic update per task, so two reapers never double-count.
 */
export function startLeaseReaper(options: LeaseReaperOptions): LeaseReaper {
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? noopLogger;
  let running: Promise<void> | undefined;
  let isClosed = false;
  const sweep = async (): Promise<void> => {
    if (isClosed) return;
    try {
      for (const expired of await options.store.expireLeases(clock(), reasonFor)) {
        logger.warn('lease expired', {
          task: expired.task.key,
          outcome: expired.outcome,
          assignee: expired.previousAssignee,
        });
      }
    } catch (error) {
      logger.error('lease sweep failed', { error: (error as Error).message });
    }
  };
  const timer = setInterval(() => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
  }, options.intervalMs);
  timer.unref();
  return {
    sweep,
    async close() {
      isClosed = true;
      clearInterval(timer);
      await running;
    },
  };
}
