import type { Store, TaskState } from '../store/store.js';

export interface QueueStats {
  byState: Record<TaskState, number>;
  total: number;
  /** Tasks held (assigned or running) per assignee. */
  assignees: Record<string, number>;
}

/** Counting assignees reads the held tasks; this many is plenty for a summary. */
const MAX_HELD_SCANNED = 10_000;

export async function queueStats(ports: { store: Store }): Promise<QueueStats> {
  const byState = await ports.store.countTasksByState();
  const total = Object.values(byState).reduce((sum, count) => sum + count, 0);
  const assignees: Record<string, number> = {};
  let cursor: string | undefined;
  let scanned = 0;
  do {
    const page = await ports.store.listTasks({ states: ['assigned', 'running'] }, 1000, cursor);
    for (const task of page.items) {
      if (task.assignee !== undefined)
        assignees[task.assignee] = (assignees[task.assignee] ?? 0) + 1;
    }
    scanned += page.items.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined && scanned < MAX_HELD_SCANNED);
  return { byState, total, assignees };
}
