import { describe, expect, it } from 'vitest';
import { attemptOutcome } from '../src/scheduling/attempt-outcome.js';
import type { HeldTask } from '../src/scheduling/foreman-session.js';
import type { TaskEvent } from '../src/store/store.js';

const held: HeldTask = {
  key: 'k',
  attempt: 2,
  demand: {},
  isExclusive: false,
  phase: 'running',
  acceptTimer: undefined,
};
const event = (overrides: Partial<TaskEvent>): TaskEvent => ({
  seq: 1,
  taskKey: 'k',
  owner: 'alice',
  state: 'running',
  attempt: 2,
  assignee: 'f1',
  at: new Date(0),
  ...overrides,
});

describe('attemptOutcome', () => {
  it('ignores older events and the holder’s own claim and start', () => {
    expect(attemptOutcome(event({ state: 'queued', attempt: 1 }), held, 'f1')).toBeUndefined();
    expect(attemptOutcome(event({ state: 'assigned' }), held, 'f1')).toBeUndefined();
    expect(attemptOutcome(event({}), held, 'f1')).toBeUndefined();
    expect(
      attemptOutcome(event({ state: 'cancelled' }), { ...held, phase: 'claiming' }, 'f1'),
    ).toBeUndefined();
  });

  it('ends the attempt when it finished, or says why it is over', () => {
    expect(attemptOutcome(event({ state: 'finished' }), held, 'f1')).toEqual({
      isFinished: true,
      reason: 'finished',
    });
    const over = (e: Partial<TaskEvent>): string | undefined =>
      attemptOutcome(event(e), held, 'f1')?.reason;
    expect(over({ state: 'cancelled' })).toBe('the task was cancelled');
    expect(over({ state: 'failed' })).toBe('the task failed');
    expect(over({ isDeleted: true, state: 'running' })).toBe('the task was deleted');
    expect(over({ state: 'queued', assignee: undefined })).toMatch(
      /attempt 2 is no longer current/,
    );
    expect(over({ state: 'assigned', attempt: 3, assignee: 'f2' })).toMatch(/at attempt 3/);
    expect(over({ state: 'running', assignee: 'f2' })).toMatch(/no longer current/);
  });
});
