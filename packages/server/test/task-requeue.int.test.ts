import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { SimForeman } from './support/sim-foreman.js';
import { submit, until } from './support/scheduler-fixtures.js';

/** POST /api/v1/tasks/:key/requeue: an ended task runs again, claimed by a real (simulated) foreman. */
let t: TestServer;
let foreman: SimForeman;

beforeAll(async () => {
  t = await startTestServer({ settings: { leaseMs: 5000, leaseSweepIntervalMs: 100 } });
  foreman = new SimForeman({
    urls: [t.url],
    token: t.users.foreman?.token ?? '',
    id: 'requeue-node',
    mode: 'complete',
    runMs: 10,
  });
  await foreman.connect();
});
afterAll(async () => {
  await foreman.close();
  await t.close();
});

const token = (who: string): string => t.users[who]?.token ?? '';
const requeue = (key: string, who: string) =>
  api(t.url, `/api/v1/tasks/${key}/requeue`, { token: token(who), method: 'POST' });
const stateOf = async (key: string) => (await t.store.getTask(key))?.state;

describe('requeueing a task', () => {
  it('runs a finished task again: a new claim, a new attempt, a new result', async () => {
    const key = await submit(t.url, token('alice'));
    await until(async () => (await stateOf(key)) === 'finished', 3000, 'the first run');
    expect((await t.store.getResult(key))?.attempt).toBe(1);

    const answer = await requeue(key, 'alice');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ key, state: 'queued', attempt: 1 });
    for (const field of ['assignee', 'reason', 'assignedAt', 'startedAt', 'finishedAt'])
      expect(answer.json).not.toHaveProperty(field);

    await until(
      () => foreman.assignments.filter((a) => a.key === key).length === 2,
      3000,
      'the second claim',
    );
    expect(foreman.assignments.filter((a) => a.key === key).map((a) => a.attempt)).toEqual([1, 2]);
    await until(async () => (await stateOf(key)) === 'finished', 3000, 'the second run');
    expect(await t.store.getTask(key)).toMatchObject({ attempt: 2, lostCount: 0 });
    expect((await t.store.getResult(key))?.attempt).toBe(2);
  });

  it('lets a manager requeue a cancelled task, and the events channel sees it queued', async () => {
    foreman.mode = 'hold';
    let key = '';
    try {
      key = await submit(t.url, token('alice'));
      await foreman.next((m) => m.type === 'task:assign' && m.key === key);
      const cancelled = await api(t.url, `/api/v1/tasks/${key}/cancel`, {
        token: token('alice'),
        method: 'POST',
      });
      expect(cancelled.status).toBe(200);
    } finally {
      foreman.mode = 'complete';
    }
    const seqBefore = await t.store.lastEventSeq();
    const answer = await requeue(key, 'manager');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ state: 'queued' });
    expect(answer.json).not.toHaveProperty('reason');
    const events = await t.store.readEvents(seqBefore, 100);
    expect(events.find((e) => e.taskKey === key)).toMatchObject({ state: 'queued', attempt: 1 });
    await until(async () => (await stateOf(key)) === 'finished', 3000, 'the run after requeue');
  });

  it('refuses tasks that have not ended with 409 naming the state', async () => {
    foreman.mode = 'hold';
    try {
      const key = await submit(t.url, token('alice'));
      await until(async () => (await stateOf(key)) === 'running', 3000, 'running');
      const answer = await requeue(key, 'alice');
      expect(answer.status).toBe(409);
      expect(answer.json).toMatchObject({
        error: { code: 'KOLEJKA_CONFLICT', details: { state: 'running' } },
      });
      expect((answer.json as { error: { message: string } }).error.message).toContain('running');
      expect(await stateOf(key)).toBe('running');
      await api(t.url, `/api/v1/tasks/${key}/cancel`, { token: token('alice'), method: 'POST' });
    } finally {
      foreman.mode = 'complete';
    }
  });

  it('refuses others: 404 for who may not read it, 403 for a reader who may not change it', async () => {
    const key = await submit(t.url, token('alice'));
    await until(async () => (await stateOf(key)) === 'finished', 3000, 'finished');
    expect((await requeue(key, 'bob')).status).toBe(404);
    const inspector = await requeue(key, 'inspector');
    expect(inspector.status).toBe(403);
    expect(inspector.json).toMatchObject({ error: { code: 'KOLEJKA_FORBIDDEN' } });
    expect((await requeue('f'.repeat(32), 'alice')).status).toBe(404);
    expect((await api(t.url, `/api/v1/tasks/${key}/requeue`, { method: 'POST' })).status).toBe(401);
    expect(await stateOf(key)).toBe('finished');
  });
});
