import type { ForemanHello, Logger } from '@kolejka/spec';
import { leaseLossReason } from '../scheduling/lease-reaper.js';
import type { Store } from '../store/store.js';

/**
 * What a hello says this foreman no longer holds goes back to the queue at once instead of
 * at the end of its lease: assignments it never acknowledged (the task:assign was lost with
 * the old connection) are released as if rejected; tasks it was running (a foreman killed
 * and restarted with the same id, whose containers are gone) are lost now, as an expired
 * lease would lose them (lostCount + 1, failed after maxAttempts losses).
 */
export async function releaseUnheld(
  ports: { store: Store; logger: Logger },
  hello: ForemanHello,
  now: Date,
): Promise<void> {
  const { store, logger } = ports;
  const listed = new Set(hello.running.map((task) => task.key));
  const assigned = await store.listTasks({ assignee: hello.foremanId, states: ['assigned'] }, 1000);
  for (const task of assigned.items)
    if (!listed.has(task.key)) await store.releaseTask(task.key, task.attempt, now);
  const running = await store.listTasks({ assignee: hello.foremanId, states: ['running'] }, 1000);
  const lost = running.items
    .filter((task) => !listed.has(task.key))
    .map(({ key, attempt }) => ({ key, attempt }));
  if (lost.length === 0) return;
  // Ending their leases now makes the expiry (one atomic, fenced update per task) take them.
  await store.renewLeases(hello.foremanId, lost, new Date(now.getTime() - 1));
  for (const expired of await store.expireLeases(now, leaseLossReason)) {
    logger.warn('lease released: the foreman no longer holds the task', {
      task: expired.task.key,
      outcome: expired.outcome,
      assignee: expired.previousAssignee,
    });
  }
}
