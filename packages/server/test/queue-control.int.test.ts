import { describe, expect, it } from 'vitest';
import { openStorage } from '../src/blobs/open-storage.js';
import { startServer } from '../src/server.js';
import { api } from './support/http-client.js';
import { makeTask } from './store-fixtures.js';
import { sleep, submit, until, useSchedulerServer } from './support/scheduler-fixtures.js';
import { SimForeman } from './support/sim-foreman.js';
import { startTestServer } from './support/test-server.js';
import { TIME_SLACK } from '../../../test/support/time-slack.js';

/** Queue control (issue 12): pauses, priority changes, users' limits — real server, real SQLite. */
const fx = useSchedulerServer({
  settings: { leaseMs: 5000, leaseSweepIntervalMs: 200 },
  idPrefix: 'qc',
});
const { alice, foreman } = fx;
const token = (name: string): string => fx.server.users[name]?.token ?? '';
const pause = (json?: unknown) =>
  api(fx.server.url, '/api/v1/queue/pause', {
    method: 'POST',
    token: token('manager'),
    ...(json === undefined ? {} : { json }),
  });
const resume = (json?: unknown) =>
  api(fx.server.url, '/api/v1/queue/resume', {
    method: 'POST',
    token: token('manager'),
    ...(json === undefined ? {} : { json }),
  });

describe('queue pause and resume', () => {
  it(
    'holds 100 queued tasks for 5 s, then resume runs them all',
    async () => {
      const paused = await pause();
      expect(paused.status, paused.text).toBe(200);
      expect(paused.json).toMatchObject({ isPaused: true, pausedTags: [] });
      const sim = await foreman({ mode: 'complete', capacity: { cpus: 64, memory: '64G' } });
      const keys: string[] = [];
      for (let i = 0; i < 100; i++) keys.push(await submit(fx.server.url, alice()));
      await sleep(5000);
      expect(sim.assignments).toHaveLength(0);
      expect((await fx.server.store.countTasksByState()).queued).toBe(100);
      const status = await api(fx.server.url, '/api/v1/queue', { token: alice() });
      expect(status.json).toMatchObject({ isPaused: true, pauses: [{ pausedBy: 'manager' }] });

      expect((await resume()).json).toMatchObject({ isPaused: false, pauses: [] });
      await until(
        () => sim.completed.length === 100,
        20_000 * TIME_SLACK,
        'all 100 tasks to finish',
      );
      expect(new Set(sim.completed)).toEqual(new Set(keys));
    },
    40_000 * TIME_SLACK,
  );

  it('a tag pause holds only the tasks requiring that tag', async () => {
    expect((await pause({ tag: 'judge' })).json).toMatchObject({
      isPaused: false,
      pausedTags: ['judge'],
    });
    const sim = await foreman({
      mode: 'hold',
      tags: ['judge'],
      capacity: { cpus: 8, memory: '8G' },
    });
    const judged = await submit(fx.server.url, alice(), { requires: ['judge'] });
    const plain = await submit(fx.server.url, alice());
    await sim.next((m) => m.type === 'task:assign' && m.key === plain, 3000 * TIME_SLACK);
    await sleep(1000);
    expect(sim.assignments.map((a) => a.key)).toEqual([plain]);
    await resume({ tag: 'judge' });
    await sim.next((m) => m.type === 'task:assign' && m.key === judged, 3000 * TIME_SLACK);
  });

  it('is for managers and admins; a bad tag names its JSON path', async () => {
    const refused = await api(fx.server.url, '/api/v1/queue/pause', {
      method: 'POST',
      token: alice(),
    });
    expect(refused.status).toBe(403);
    const bad = await pause({ tag: 7 });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('/tag');
    const byAdmin = await api(fx.server.url, '/api/v1/queue/resume', {
      method: 'POST',
      token: token('root'),
    });
    expect(byAdmin.status).toBe(200);
  });
});

describe('task priority changes', () => {
  it('changes the order of assignment', async () => {
    await pause();
    const keys = [];
    for (let i = 0; i < 3; i++) keys.push(await submit(fx.server.url, alice()));
    const last = keys[2] ?? '';
    const changed = await api(fx.server.url, `/api/v1/tasks/${last}`, {
      method: 'PATCH',
      token: token('manager'),
      json: { priority: 5 },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({ key: last, priority: 5, state: 'queued' });
    // One task at a time, so the assignments come in run order.
    const sim = await foreman({ mode: 'complete', runMs: 5, capacity: { cpus: 1, memory: '1G' } });
    await resume();
    await until(() => sim.completed.length === 3, 5000 * TIME_SLACK, 'three tasks');
    expect(sim.assignments.map((a) => a.key)).toEqual([last, keys[0], keys[1]]);
  });

  it('moves change the order of assignment; before another priority is a 409', async () => {
    await pause();
    const keys: string[] = [];
    for (let i = 0; i < 4; i++) keys.push(await submit(fx.server.url, alice()));
    const [a, b, c, d] = keys as [string, string, string, string];
    const move = (key: string, json: unknown, who = 'alice') =>
      api(fx.server.url, `/api/v1/tasks/${key}/move`, { token: token(who), json });
    const toFront = await move(d, { to: 'front' });
    expect(toFront.status, toFront.text).toBe(200);
    expect((await move(a, { to: 'back' })).status).toBe(200);
    expect((await move(c, { before: b })).status).toBe(200);
    // d, c, b, a
    const urgent = await submit(fx.server.url, alice(), { priority: -1 });
    const across = await move(a, { before: urgent });
    expect(across.status).toBe(409);
    expect(across.text).toMatch(/within one priority/);
    const bad = await move(a, { to: 'middle' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('/to');
    expect((await move(a, { to: 'front' }, 'bob')).status).toBe(404);
    await fx.server.store.cancelTask(urgent, 'test', new Date());
    const sim = await foreman({ mode: 'complete', runMs: 5, capacity: { cpus: 1, memory: '1G' } });
    await resume();
    await until(() => sim.completed.length === 4, 5000 * TIME_SLACK, 'four tasks');
    expect(sim.assignments.map((x) => x.key)).toEqual([d, c, b, a]);
  });

  it("holds the owner to the server's ceiling and refuses other states", async () => {
    await pause();
    const key = await submit(fx.server.url, alice());
    const patch = (who: string, priority: unknown) =>
      api(fx.server.url, `/api/v1/tasks/${key}`, {
        method: 'PATCH',
        token: token(who),
        json: { priority },
      });
    const high = await patch('alice', 3);
    expect(high.status).toBe(403);
    expect(high.text).toMatch(/ceiling 0.*maxClientPriority/);
    expect((await patch('alice', -2)).json).toMatchObject({ priority: -2 });
    expect((await patch('bob', -1)).status).toBe(404);
    const bad = await patch('alice', 1.5);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('/priority');
    const extra = await api(fx.server.url, `/api/v1/tasks/${key}`, {
      method: 'PATCH',
      token: alice(),
      json: { priority: 0, owner: 'bob' },
    });
    expect(extra.status).toBe(400);
    expect(extra.text).toContain('/owner');
    await fx.server.store.cancelTask(key, 'test', new Date());
    const late = await patch('manager', 9);
    expect(late.status).toBe(409);
    expect(late.text).toMatch(/cancelled/);
    await resume();
  });
});

describe('users: weight and limits', () => {
  it('an admin sets and reads them; others may not', async () => {
    const changed = await api(fx.server.url, '/api/v1/users/bob', {
      method: 'PATCH',
      token: token('root'),
      json: { weight: 3, maxRunning: 4 },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({
      username: 'bob',
      weight: 3,
      maxRunning: 4,
      maxQueued: null,
    });
    const list = await api(fx.server.url, '/api/v1/users', { token: token('root') });
    expect(list.json).toMatchObject({
      items: expect.arrayContaining([expect.objectContaining({ username: 'bob', weight: 3 })]),
    });
    expect(list.text).not.toContain('scrypt');
    expect((await api(fx.server.url, '/api/v1/users', { token: token('manager') })).status).toBe(
      403,
    );
    const bad = await api(fx.server.url, '/api/v1/users/bob', {
      method: 'PATCH',
      token: token('root'),
      json: { weight: -1, maxQueued: 'many' },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('/weight');
    expect(bad.text).toContain('/maxQueued');
    const missing = await api(fx.server.url, '/api/v1/users/nobody', {
      method: 'PATCH',
      token: token('root'),
      json: { weight: 1 },
    });
    expect(missing.status).toBe(404);
    await fx.server.store.setUserQueuePolicy('bob', { weight: null, maxRunning: null });
  });

  it('refuses a submission beyond maxQueued with 429 naming the limit', async () => {
    await pause();
    await fx.server.store.setUserQueuePolicy('bob', { maxQueued: 2 });
    const first = await submit(fx.server.url, token('bob'));
    await submit(fx.server.url, token('bob'));
    // A continuation is a submission too.
    const continuation = await api(fx.server.url, `/api/v1/tasks/${first}/continuations`, {
      token: token('bob'),
      json: { task: { image: 'kolejka-test/busybox:latest', args: ['true'] } },
    });
    expect(continuation.status).toBe(429);
    const over = await api(fx.server.url, '/api/v1/tasks', {
      token: token('bob'),
      json: { task: { image: 'kolejka-test/busybox:latest', args: ['true'] } },
    });
    expect(over.status).toBe(429);
    expect(over.text).toMatch(/maxQueued = 2/);
    // Other users are not limited.
    await submit(fx.server.url, alice());
    await fx.server.store.setUserQueuePolicy('bob', { maxQueued: null });
    await submit(fx.server.url, token('bob'));
    await resume();
  });
});

describe('fair share and maxRunning', () => {
  /** Queues `n` tasks of `owner` straight in the store (volume; the scheduler learns them from the event log). */
  async function queueMany(owner: string, n: number): Promise<string[]> {
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const now = new Date();
      const task = makeTask({ owner, createdAt: now, updatedAt: now });
      await fx.server.store.createTask(task);
      keys.push(task.key);
    }
    return keys;
  }

  /** PATCH /users/NAME as an admin (the server refreshes its scheduler at once). */
  async function setUser(name: string, json: unknown): Promise<void> {
    const response = await api(fx.server.url, `/api/v1/users/${name}`, {
      method: 'PATCH',
      token: token('root'),
      json,
    });
    expect(response.status, response.text).toBe(200);
  }

  async function shareOfBob(weights: { alice: number; bob: number }): Promise<number> {
    await setUser('alice', { weight: weights.alice });
    await setUser('bob', { weight: weights.bob });
    await pause();
    const bobKeys = new Set(await queueMany('bob', 1000));
    await queueMany('alice', 1000);
    const sim = await foreman({ mode: 'complete', capacity: { cpus: 4, memory: '4G' } });
    await sleep(200);
    await resume();
    await until(() => sim.completed.length >= 1000, 30_000 * TIME_SLACK, '1000 tasks');
    await pause();
    const first = sim.assignments.slice(0, 1000);
    await setUser('alice', { weight: null });
    await setUser('bob', { weight: null });
    await resume();
    return first.filter((a) => bobKeys.has(a.key)).length / first.length;
  }

  it(
    'shares assignments equally between two users of weight 1 (within 10%)',
    async () => {
      const share = await shareOfBob({ alice: 1, bob: 1 });
      expect(share).toBeGreaterThan(0.45);
      expect(share).toBeLessThan(0.55);
    },
    60_000 * TIME_SLACK,
  );

  it(
    'shares 1:3 by weight, roughly',
    async () => {
      const share = await shareOfBob({ alice: 1, bob: 3 });
      expect(share).toBeGreaterThan(0.7);
      expect(share).toBeLessThan(0.8);
    },
    60_000 * TIME_SLACK,
  );

  it('assigns no more than maxRunning tasks of a user at once', async () => {
    await setUser('bob', { maxRunning: 2 });
    const sim = await foreman({ mode: 'hold', capacity: { cpus: 16, memory: '16G' } });
    const bobs = [];
    for (let i = 0; i < 5; i++) bobs.push(await submit(fx.server.url, token('bob')));
    const alices = [];
    for (let i = 0; i < 3; i++) alices.push(await submit(fx.server.url, alice()));
    await until(() => sim.assignments.length >= 5, 3000 * TIME_SLACK, 'five assignments');
    await sleep(500);
    const assigned = new Set(sim.assignments.map((a) => a.key));
    expect(bobs.filter((key) => assigned.has(key))).toHaveLength(2);
    expect(alices.every((key) => assigned.has(key))).toBe(true);
    // One of bob's ends: the next one of his is assigned.
    const running = bobs.find((key) => assigned.has(key)) ?? '';
    await fx.server.store.cancelTask(running, 'test', new Date());
    await until(() => sim.assignments.length >= 6, 3000 * TIME_SLACK, 'a third task of bob');
    await setUser('bob', { maxRunning: null });
  });
});

describe('a pause in the store', () => {
  it(
    'is obeyed by another server process on the same store within a second',
    async () => {
      const first = await startTestServer();
      const storage = await openStorage({ home: first.home });
      const second = await startServer({ storage, port: 0 });
      try {
        const manager = first.users.manager?.token ?? '';
        const sim = new SimForeman({
          urls: [second.url],
          token: first.users.foreman?.token ?? '',
          id: 'other-process-1',
          mode: 'hold',
        });
        await sim.connect();
        await api(first.url, '/api/v1/queue/pause', { method: 'POST', token: manager });
        // The other process learns it by its poll (500 ms).
        await sleep(1000);
        const key = await submit(second.url, first.users.alice?.token ?? '');
        await sleep(1000);
        expect(sim.assignments).toHaveLength(0);
        await api(first.url, '/api/v1/queue/resume', { method: 'POST', token: manager });
        await sim.next((m) => m.type === 'task:assign' && m.key === key, 3000 * TIME_SLACK);
        await sim.close();
      } finally {
        await second.close();
        await storage.store.close();
        await storage.blobs.close();
        await first.close();
      }
    },
    20_000 * TIME_SLACK,
  );

  it(
    'survives a server restart',
    async () => {
      const first = await startTestServer();
      try {
        const manager = first.users.manager?.token ?? '';
        const paused = await api(first.url, '/api/v1/queue/pause', {
          method: 'POST',
          token: manager,
        });
        expect(paused.status).toBe(200);
        const key = await submit(first.url, first.users.alice?.token ?? '');
        await first.server.close();
        // A new server process on the same database and blobs.
        const storage = await openStorage({ home: first.home });
        const second = await startServer({ storage, port: 0 });
        try {
          const sim = new SimForeman({
            urls: [second.url],
            token: first.users.foreman?.token ?? '',
            id: 'restart-1',
            mode: 'hold',
          });
          await sim.connect();
          const status = await api(second.url, '/api/v1/queue', { token: manager });
          expect(status.json).toMatchObject({ isPaused: true });
          await sleep(1000);
          expect(sim.assignments).toHaveLength(0);
          await api(second.url, '/api/v1/queue/resume', { method: 'POST', token: manager });
          await sim.next((m) => m.type === 'task:assign' && m.key === key, 3000 * TIME_SLACK);
          await sim.close();
        } finally {
          await second.close();
          await storage.store.close();
          await storage.blobs.close();
        }
      } finally {
        await first.close();
      }
    },
    20_000 * TIME_SLACK,
  );
});
