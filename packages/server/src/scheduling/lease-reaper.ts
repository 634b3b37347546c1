import { noopLogger, type Logger } from '@kolejka/spec';
import type { Store, TaskRecord } from '../store/store.js';

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

/** Why a task failed after losing its last lease: `task` is as it was before the loss. */
export function leaseLossReason(task: TaskRecord): string {
  const lost = task.lostCount + 1;
  return `lost ${lost} ${lost === 1 ? 'time' : 'times'}: ${task.assignee === undefined ? 'its holder' : `foreman ${task.assignee}`} stopped answering (the lease of attempt ${task.attempt} expired)`;
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
      for (const expired of await options.store.expireLeases(clock(), leaseLossReason)) {
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
