import { describe, expect, it } from 'vitest';
import { TASK_HISTORY_LIMIT, type TaskEvent, type TaskState } from '../src/store/store.js';
import { taskHistoryView } from '../src/tasks/task-history.js';
import { at } from './store-fixtures.js';

let seq = 0;
const event = (
  state: TaskState,
  attempt: number,
  second: number,
  extra: Partial<TaskEvent> = {},
): TaskEvent => ({
  seq: ++seq,
  taskKey: 'k',
  owner: 'alice',
  state,
  attempt,
  at: at(second),
  ...extra,
});
const iso = (second: number): string => at(second).toISOString();

/** The history view derived from a task's events (GET /api/v1/tasks/{key}/history). */
describe('taskHistoryView', () => {
  it('lists states and derives attempts: lost, then finished', () => {
    const view = taskHistoryView([
      event('queued', 0, 0),
      event('assigned', 1, 1, { assignee: 'f1' }),
      event('running', 1, 2, { assignee: 'f1' }),
      event('queued', 1, 3),
      event('assigned', 2, 4, { assignee: 'f2' }),
      event('running', 2, 5, { assignee: 'f2' }),
      event('finished', 2, 6, { assignee: 'f2' }),
    ]);
    expect(view.items.map((item) => item.state)).toEqual([
      'queued',
      'assigned',
      'running',
      'queued',
      'assigned',
      'running',
      'finished',
    ]);
    expect(view.items[1]).toEqual({ state: 'assigned', attempt: 1, at: iso(1), assignee: 'f1' });
    expect(view.attempts).toEqual([
      {
        attempt: 1,
        assignee: 'f1',
        assignedAt: iso(1),
        startedAt: iso(2),
        endedAt: iso(3),
        outcome: 'queued',
      },
      {
        attempt: 2,
        assignee: 'f2',
        assignedAt: iso(4),
        startedAt: iso(5),
        endedAt: iso(6),
        outcome: 'finished',
      },
    ]);
    expect(view.isTruncated).toBe(false);
  });

  it('an attempt goes on until an ending event; one never started has no startedAt', () => {
    const running = taskHistoryView([
      event('queued', 0, 0),
      event('assigned', 1, 1, { assignee: 'f1' }),
      event('running', 1, 2, { assignee: 'f1' }),
    ]);
    expect(running.attempts).toEqual([
      { attempt: 1, assignee: 'f1', assignedAt: iso(1), startedAt: iso(2) },
    ]);
    const cancelled = taskHistoryView([
      event('queued', 0, 0),
      event('assigned', 1, 1, { assignee: 'f1' }),
      event('cancelled', 1, 2, { assignee: 'f1', reason: 'cancelled by alice' }),
    ]);
    expect(cancelled.attempts).toEqual([
      { attempt: 1, assignee: 'f1', assignedAt: iso(1), endedAt: iso(2), outcome: 'cancelled' },
    ]);
    expect(cancelled.items.at(-1)?.reason).toBe('cancelled by alice');
  });

  it('events outside an attempt (waiting, queued, cancelled while queued) open none', () => {
    const view = taskHistoryView([
      event('waiting', 0, 0),
      event('queued', 0, 1),
      event('cancelled', 0, 2, { reason: 'enough' }),
    ]);
    expect(view.items.map((item) => item.state)).toEqual(['waiting', 'queued', 'cancelled']);
    expect(view.attempts).toEqual([]);
  });

  it('folds repeats of a state (priority changes) into the first', () => {
    const view = taskHistoryView([
      event('queued', 0, 0),
      event('queued', 0, 1),
      event('queued', 0, 2),
      event('assigned', 1, 3, { assignee: 'f1' }),
    ]);
    expect(view.items.map((item) => [item.state, item.at])).toEqual([
      ['queued', iso(0)],
      ['assigned', iso(3)],
    ]);
  });

  it('shows what is known of an attempt whose first events were pruned', () => {
    const view = taskHistoryView([
      event('running', 3, 10, { assignee: 'f3' }),
      event('failed', 3, 11, { assignee: 'f3', reason: 'crashed' }),
    ]);
    expect(view.attempts).toEqual([
      { attempt: 3, assignee: 'f3', startedAt: iso(10), endedAt: iso(11), outcome: 'failed' },
    ]);
    const ended = taskHistoryView([event('finished', 2, 10, { assignee: 'f2' })]);
    expect(ended.attempts).toEqual([
      { attempt: 2, assignee: 'f2', endedAt: iso(10), outcome: 'finished' },
    ]);
  });

  it('drops the events of a deleted task of the same key, and flags a full history', () => {
    const view = taskHistoryView([
      event('queued', 0, 0),
      event('cancelled', 0, 1),
      event('cancelled', 0, 2, { isDeleted: true }),
      event('queued', 0, 3),
    ]);
    expect(view.items).toEqual([{ state: 'queued', attempt: 0, at: iso(3) }]);
    const full = Array.from({ length: TASK_HISTORY_LIMIT }, (_, i) => event('queued', 0, i));
    expect(taskHistoryView(full).isTruncated).toBe(true);
    expect(taskHistoryView(full.slice(1)).isTruncated).toBe(false);
  });
});
