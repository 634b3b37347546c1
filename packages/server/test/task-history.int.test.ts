import { describe, expect, it } from 'vitest';
import type { TaskHistoryView } from '@kolejka/spec';
import { api } from './support/http-client.js';
import { submit, until, useSchedulerServer } from './support/scheduler-fixtures.js';
import { TIME_SLACK } from '../../../test/support/time-slack.js';

/** GET /api/v1/tasks/{key}/history — real server, real SQLite, a simulated foreman. */
const fx = useSchedulerServer({ settings: { leaseMs: 5000 }, idPrefix: 'hist' });
const { alice } = fx;
const token = (name: string): string => fx.server.users[name]?.token ?? '';
const history = (key: string, as = alice()) =>
  api(fx.server.url, `/api/v1/tasks/${key}/history`, { token: as });
const finished = (key: string) =>
  until(
    async () => (await fx.server.store.getTask(key))?.state === 'finished',
    10_000 * TIME_SLACK,
    `task ${key} to finish`,
  );

describe('task history', () => {
  it("shows a finished task's states in order and its attempt with the foreman", async () => {
    const sim = await fx.foreman({ mode: 'complete' });
    const key = await submit(fx.server.url, alice());
    await finished(key);

    const response = await history(key);
    expect(response.status, response.text).toBe(200);
    const view = response.json as TaskHistoryView;
    expect(view.items.map((item) => item.state)).toEqual([
      'queued',
      'assigned',
      'running',
      'finished',
    ]);
    expect(view.items.map((item) => item.attempt)).toEqual([0, 1, 1, 1]);
    expect(view.items[1]?.assignee).toBe(sim.options.id);
    const times = view.items.map((item) => Date.parse(item.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(view.attempts).toEqual([
      {
        attempt: 1,
        assignee: sim.options.id,
        assignedAt: view.items[1]?.at,
        startedAt: view.items[2]?.at,
        endedAt: view.items[3]?.at,
        outcome: 'finished',
      },
    ]);
    expect(view.isTruncated).toBe(false);
    // The same times the task record keeps.
    const task = await fx.server.store.getTask(key);
    expect(view.attempts[0]?.startedAt).toBe(task?.startedAt?.toISOString());
  });

  it('a released attempt ends queued; the next one is the foreman that finished it', async () => {
    const key = await submit(fx.server.url, alice());
    // A processor claims it through the store and gives it back before any foreman exists.
    const now = new Date();
    const claimed = await fx.server.store.claimTask(key, {
      assignee: 'foreman',
      leaseExpiresAt: new Date(now.getTime() + 60_000),
      now,
    });
    expect(claimed?.attempt).toBe(1);
    await fx.server.store.releaseTask(key, 1, new Date(now.getTime() + 1));
    const sim = await fx.foreman({ mode: 'complete' });
    await finished(key);

    const view = (await history(key)).json as TaskHistoryView;
    expect(view.items.map((item) => [item.state, item.attempt, item.assignee ?? null])).toEqual([
      ['queued', 0, null],
      ['assigned', 1, 'foreman'],
      ['queued', 1, null],
      ['assigned', 2, sim.options.id],
      ['running', 2, sim.options.id],
      ['finished', 2, sim.options.id],
    ]);
    expect(
      view.attempts.map((a) => [a.attempt, a.assignee, a.outcome, a.startedAt !== undefined]),
    ).toEqual([
      [1, 'foreman', 'queued', false],
      [2, sim.options.id, 'finished', true],
    ]);
  });

  it('a cancelled task ends with its reason; no attempt when it never ran', async () => {
    const key = await submit(fx.server.url, alice());
    const cancelled = await api(fx.server.url, `/api/v1/tasks/${key}/cancel`, {
      method: 'POST',
      token: alice(),
    });
    expect(cancelled.status, cancelled.text).toBe(200);
    const view = (await history(key)).json as TaskHistoryView;
    expect(view.items.map((item) => item.state)).toEqual(['queued', 'cancelled']);
    expect(view.items[1]?.reason).toBe('cancelled by alice');
    expect(view.attempts).toEqual([]);
  });

  it('is visible as the task is: owner, assignee, inspectors; 404 for others and bad keys', async () => {
    await fx.foreman({ mode: 'complete' });
    const key = await submit(fx.server.url, alice());
    await finished(key);
    for (const reader of ['alice', 'foreman', 'inspector', 'manager', 'root'])
      expect((await history(key, token(reader))).status, reader).toBe(200);
    const other = await history(key, token('bob'));
    expect(other.status).toBe(404);
    expect(other.json).toMatchObject({ error: { code: 'KOLEJKA_NOT_FOUND' } });
    expect((await history('0'.repeat(32))).status).toBe(404);
    expect((await history('not-a-key')).status).toBe(404);
    const anonymous = await api(fx.server.url, `/api/v1/tasks/${key}/history`);
    expect(anonymous.status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const response = await api(fx.server.url, '/api/v1/openapi.json');
    const document = response.json as {
      paths: Record<string, { get?: { operationId?: string; description?: string } }>;
      components: { schemas: Record<string, unknown> };
    };
    const operation = document.paths['/api/v1/tasks/{key}/history']?.get;
    expect(operation?.operationId).toBe('getTaskHistory');
    expect(operation?.description).toMatch(/7 days/);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['TaskHistory', 'TaskHistoryEntry', 'TaskAttempt']),
    );
  });
});
