import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { SimForeman } from './support/sim-foreman.js';
import { submit, until } from './support/scheduler-fixtures.js';

/** GET /api/v1/overview: the dashboard's first screen, from a real server and foremen. */
let t: TestServer;
let worker: SimForeman;
let holder: SimForeman;

interface Overview {
  at: string;
  tasks: { counts: Record<string, number> };
  queueWait: { windowSeconds: number; samples: number; p50Ms: number | null; p95Ms: number | null };
  throughput: {
    windowSeconds: number;
    finished: number;
    failed: number;
    cancelled: number;
    perMinute: number[];
  };
  foremen: {
    online: number;
    draining: number;
    capacity: Record<string, unknown>;
    free: Record<string, unknown>;
  };
  queue: { paused: boolean; pausedTags: string[] };
}

const token = (who: string): string => t.users[who]?.token ?? '';

async function overview(who: string): Promise<Overview> {
  const response = await api(t.url, '/api/v1/overview', { token: token(who) });
  expect(response.status, response.text).toBe(200);
  return response.json as Overview;
}

beforeAll(async () => {
  t = await startTestServer({ settings: { leaseMs: 5000, leaseSweepIntervalMs: 100 } });
  // One foreman runs tasks to the end; the other (tag "hold", connected once the first tasks
  // ended, so that it gets none of them) keeps what it gets.
  worker = new SimForeman({
    urls: [t.url],
    token: t.users.foreman?.token ?? '',
    id: 'overview-worker',
    mode: 'complete',
    runMs: 5,
    capacity: { cpus: 4, memory: '4G' },
  });
  holder = new SimForeman({
    urls: [t.url],
    token: t.users.foreman?.token ?? '',
    id: 'overview-holder',
    mode: 'hold',
    tags: ['hold'],
    capacity: { cpus: 2, memory: '1G', gpus: 1 },
  });
  await worker.connect();
});
afterAll(async () => {
  await worker.close();
  await holder.close();
  await t.close();
});

describe('the overview', () => {
  it('counts tasks, their waits and ends, foremen and their free capacity, and queue pauses', async () => {
    const empty = await overview('manager');
    expect(empty.queueWait).toEqual({ windowSeconds: 3600, samples: 0, p50Ms: null, p95Ms: null });
    expect(empty.throughput.perMinute).toHaveLength(60);
    expect(empty.throughput.perMinute.every((n) => n === 0)).toBe(true);
    expect(empty.foremen).toEqual({
      online: 1,
      draining: 0,
      capacity: { cpus: 4, memory: `${4 * 1024 ** 3}b` },
      free: { cpus: 4, memory: `${4 * 1024 ** 3}b` },
    });
    expect(empty.queue).toEqual({ paused: false, pausedTags: [] });

    const done = [
      await submit(t.url, token('alice')),
      await submit(t.url, token('alice')),
      await submit(t.url, token('bob')),
    ];
    for (const key of done)
      await until(async () => (await t.store.getTask(key))?.state === 'finished', 3000, 'done');
    await holder.connect();
    const held = await submit(t.url, token('bob'), {
      requires: ['hold'],
      limits: { cpus: 1, memory: '256M' },
    });
    await until(async () => (await t.store.getTask(held))?.state === 'running', 3000, 'held');
    const cancelled = await submit(t.url, token('alice'), { requires: ['nobody-has-this'] });
    await api(t.url, `/api/v1/tasks/${cancelled}/cancel`, {
      token: token('alice'),
      method: 'POST',
    });
    await api(t.url, '/api/v1/queue/pause', {
      token: token('manager'),
      json: { tag: 'gpu' },
    });

    const all = await overview('inspector');
    expect(Date.parse(all.at)).toBeGreaterThan(Date.now() - 10_000);
    expect(all.tasks.counts).toEqual({
      waiting: 0,
      queued: 0,
      assigned: 0,
      running: 1,
      finished: 3,
      failed: 0,
      cancelled: 1,
    });
    expect(all.queueWait.samples).toBe(4);
    expect(all.queueWait.p50Ms).toEqual(expect.any(Number));
    expect(all.queueWait.p95Ms).toBeGreaterThanOrEqual(all.queueWait.p50Ms ?? 0);
    expect(all.throughput).toMatchObject({ finished: 3, failed: 0, cancelled: 1 });
    // Everything ended within the last minute or two: the newest minutes hold it.
    expect(all.throughput.perMinute.reduce((sum, n) => sum + n, 0)).toBe(4);
    expect(all.throughput.perMinute.slice(0, 57).every((n) => n === 0)).toBe(true);
    expect(all.foremen).toEqual({
      online: 2,
      draining: 0,
      capacity: { cpus: 6, memory: `${5 * 1024 ** 3}b`, gpus: 1 },
      free: { cpus: 5, memory: `${5 * 1024 ** 3 - 256 * 1024 ** 2}b`, gpus: 1 },
    });
    expect(all.queue).toEqual({ paused: false, pausedTags: ['gpu'] });

    // A client's task figures are its own; the rest is the same for everybody.
    const alices = await overview('alice');
    expect(alices.tasks.counts).toMatchObject({ finished: 2, cancelled: 1, running: 0 });
    expect(alices.queueWait.samples).toBe(2);
    expect(alices.throughput).toMatchObject({ finished: 2, cancelled: 1 });
    expect(alices.foremen).toEqual(all.foremen);
    expect(alices.queue).toEqual(all.queue);
    const bobs = await overview('bob');
    expect(bobs.tasks.counts).toMatchObject({ finished: 1, running: 1, cancelled: 0 });
    // The processor has no tasks of its own.
    const processor = await overview('foreman');
    expect(Object.values(processor.tasks.counts).every((n) => n === 0)).toBe(true);
    expect(processor.throughput.finished).toBe(0);

    // A draining foreman counts as online, but not in the free capacity.
    const drained = await api(t.url, '/api/v1/foremen/overview-holder/drain', {
      token: token('manager'),
      method: 'POST',
    });
    expect(drained.status).toBe(200);
    const draining = await overview('manager');
    expect(draining.foremen).toMatchObject({
      online: 2,
      draining: 1,
      free: { cpus: 4, memory: `${4 * 1024 ** 3}b` },
    });
    expect(draining.foremen.free).not.toHaveProperty('gpus');
    await api(t.url, '/api/v1/queue/resume', { token: token('manager'), json: { tag: 'gpu' } });
  });

  it('needs a signed-in caller', async () => {
    expect((await api(t.url, '/api/v1/overview')).status).toBe(401);
    expect((await api(t.url, '/api/v1/overview', { token: 'nope' })).status).toBe(401);
  });
});
