import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage } from '../src/ops/gc.js';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/**
 * API v1 /schedules against a real server on a real SQLite file, with a clock the test
 * moves: validation, access, pause/resume, the firing of the running server's runner, the
 * task view's schedule, the metrics and the gc's respect for a schedule's blobs.
 */
const T0 = new Date('2025-06-01T10:00:00.000Z');
let now = T0;
let t: TestServer;
const token = (name: string): string => t.users[name]?.token ?? '';
const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  t = await startTestServer({
    clock: () => now,
    settings: { imagePatterns: ['kolejka-test/.*'], schedulePollMs: 60_000 },
  });
});
afterAll(async () => {
  await t.close();
});

async function upload(user: string, content: string): Promise<string> {
  const hash = sha256(content);
  const response = await api(t.url, `/api/v1/blobs/${hash}`, {
    method: 'PUT',
    token: token(user),
    body: content,
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  expect([200, 201]).toContain(response.status);
  return hash;
}

const task = (files: Record<string, unknown> = {}): Record<string, unknown> => ({
  image: 'kolejka-test/busybox:latest',
  args: ['sh', 'run.sh'],
  files,
});

type Issue = { path: string; message: string };
const issuesOf = (json: unknown): Issue[] =>
  (json as { error: { details: { issues: Issue[] } } }).error.details.issues;

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('not in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('POST /api/v1/schedules validation', () => {
  it('names the JSON path of a bad cron expression, time zone, overlap and priority', async () => {
    const response = await api(t.url, '/api/v1/schedules', {
      token: token('alice'),
      json: {
        cron: '61 * * * *',
        timezone: 'Mars/Olympus',
        overlap: 'never',
        priority: 1.5,
        task: task(),
      },
    });
    expect(response.status).toBe(400);
    const paths = issuesOf(response.json).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['/cron', '/timezone', '/overlap', '/priority']));
    expect(JSON.stringify(response.json)).toMatch(/minute/);
    expect((response.json as { error: { code: string } }).error.code).toBe('KOLEJKA_VALIDATION');
  });

  it('refuses six fields, a missing cron and a missing task', async () => {
    const six = await api(t.url, '/api/v1/schedules', {
      token: token('alice'),
      json: { cron: '0 0 * * * *', task: task() },
    });
    expect(six.status).toBe(400);
    expect(issuesOf(six.json)).toEqual([expect.objectContaining({ path: '/cron' })]);
    const missing = await api(t.url, '/api/v1/schedules', { token: token('alice'), json: {} });
    expect(missing.status).toBe(400);
    expect(issuesOf(missing.json).map((issue) => issue.path)).toEqual(['/cron', '/task']);
  });

  it('checks the task as a submission, paths under /task', async () => {
    const response = await api(t.url, '/api/v1/schedules', {
      token: token('alice'),
      json: {
        cron: '@hourly',
        task: { ...task({ 'in.txt': { reference: sha256('never uploaded') } }), image: 'evil/img' },
      },
    });
    expect(response.status).toBe(400);
    const paths = issuesOf(response.json).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['/task/image', '/task/files/in.txt/reference']));
  });

  it('needs a token, and the permission to submit tasks', async () => {
    expect(
      (await api(t.url, '/api/v1/schedules', { json: { cron: '@daily', task: task() } })).status,
    ).toBe(401);
    const inspector = await api(t.url, '/api/v1/schedules', {
      token: token('inspector'),
      json: { cron: '@daily', task: task() },
    });
    expect(inspector.status).toBe(403);
  });
});

describe('schedules through the API', () => {
  it('creates, lists, shows, pauses, resumes and removes a schedule; owner or manager only', async () => {
    now = T0;
    const created = await api(t.url, '/api/v1/schedules', {
      token: token('alice'),
      json: {
        cron: '@daily',
        timezone: 'Europe/Warsaw',
        task: task(),
        priority: 7,
        name: 'nightly',
      },
    });
    expect(created.status).toBe(201);
    const schedule = created.json as Record<string, unknown>;
    expect(schedule).toMatchObject({
      owner: 'alice',
      name: 'nightly',
      cron: '@daily',
      timezone: 'Europe/Warsaw',
      priority: 7,
      overlap: 'skip',
      paused: false,
      firedCount: 0,
      // Midnight in Warsaw (UTC+2 in June).
      nextFiringAt: '2025-06-01T22:00:00.000Z',
      task: { image: 'kolejka-test/busybox:latest' },
    });
    expect(created.headers.location).toBe(`/api/v1/schedules/${String(schedule.id)}`);
    const path = `/api/v1/schedules/${String(schedule.id)}`;

    expect((await api(t.url, path, { token: token('alice') })).json).toEqual(schedule);
    // Bob neither sees nor changes it; the inspector sees it; the manager changes it.
    expect((await api(t.url, path, { token: token('bob') })).status).toBe(404);
    expect(
      (await api(t.url, path, { method: 'PATCH', token: token('bob'), json: { paused: true } }))
        .status,
    ).toBe(404);
    expect((await api(t.url, path, { token: token('inspector') })).status).toBe(200);
    expect(
      (
        await api(t.url, path, {
          method: 'PATCH',
          token: token('inspector'),
          json: { paused: true },
        })
      ).status,
    ).toBe(403);
    const bobs = await api(t.url, '/api/v1/schedules', { token: token('bob') });
    expect(bobs.json).toEqual({ items: [] });
    const all = await api(t.url, '/api/v1/schedules', { token: token('manager') });
    expect((all.json as { items: { id: string }[] }).items.map((s) => s.id)).toContain(schedule.id);

    const paused = await api(t.url, path, {
      method: 'PATCH',
      token: token('manager'),
      json: { paused: true, priority: -3 },
    });
    expect(paused.status).toBe(200);
    expect(paused.json).toMatchObject({ paused: true, priority: -3 });
    expect(paused.json).not.toHaveProperty('nextFiringAt');
    const bad = await api(t.url, path, {
      method: 'PATCH',
      token: token('alice'),
      json: { paused: 'yes', cron: '* * * * *' },
    });
    expect(bad.status).toBe(400);
    expect(issuesOf(bad.json).map((issue) => issue.path)).toEqual(['/paused', '/cron']);
    const resumed = await api(t.url, path, {
      method: 'PATCH',
      token: token('alice'),
      json: { paused: false },
    });
    expect(resumed.json).toMatchObject({ paused: false, nextFiringAt: '2025-06-01T22:00:00.000Z' });

    expect((await api(t.url, path, { method: 'DELETE', token: token('bob') })).status).toBe(404);
    expect((await api(t.url, path, { method: 'DELETE', token: token('alice') })).status).toBe(204);
    expect((await api(t.url, path, { token: token('alice') })).status).toBe(404);
  });

  it('fires through the running server: the task records its schedule, the schedule shows it', async () => {
    now = new Date('2025-06-01T11:00:30.000Z');
    const input = await upload('alice', 'echo scheduled');
    const created = await api(t.url, '/api/v1/schedules', {
      token: token('alice'),
      json: { cron: '* * * * *', task: task({ 'run.sh': { reference: input } }), priority: 5 },
    });
    expect(created.status).toBe(201);
    const id = (created.json as { id: string }).id;
    expect(created.json).toMatchObject({ nextFiringAt: '2025-06-01T11:01:00.000Z' });
    const path = `/api/v1/schedules/${id}`;
    // Move the clock past the tick; a change to any schedule wakes the runner at once (the
    // same priority: the runner's own poll may fire first, and the task must not differ).
    now = new Date('2025-06-01T11:01:00.200Z');
    await api(t.url, path, { method: 'PATCH', token: token('alice'), json: { priority: 5 } });
    const fired = await until(async () => {
      const view = (await api(t.url, path, { token: token('alice') })).json as {
        lastTask?: { key: string; state?: string };
      };
      return view.lastTask;
    });
    expect(fired.state).toBe('queued');
    const taskView = await api(t.url, `/api/v1/tasks/${fired.key}`, { token: token('alice') });
    expect(taskView.json).toMatchObject({
      schedule: id,
      owner: 'alice',
      priority: 5,
      state: 'queued',
      spec: { id: fired.key, files: { 'run.sh': { reference: input } } },
    });
    const view = (await api(t.url, path, { token: token('alice') })).json;
    expect(view).toMatchObject({
      firedCount: 1,
      lastTickAt: '2025-06-01T11:01:00.000Z',
      lastFiredAt: '2025-06-01T11:01:00.200Z',
      nextFiringAt: '2025-06-01T11:02:00.000Z',
    });
    const metrics = await api(t.url, '/metrics');
    expect(metrics.text).toMatch(/^kolejka_schedule_firings_total 1$/m);
    expect(metrics.text).toMatch(/^kolejka_schedule_skipped_firings_total 0$/m);

    // The next tick is skipped (overlap skip, the task is still queued).
    now = new Date('2025-06-01T11:02:00.100Z');
    await api(t.url, path, { method: 'PATCH', token: token('alice'), json: { priority: 5 } });
    await until(async () => {
      const v = (await api(t.url, path, { token: token('alice') })).json as {
        skippedCount: number;
      };
      return v.skippedCount === 1 ? true : undefined;
    });
    expect((await api(t.url, '/metrics')).text).toMatch(
      /^kolejka_schedule_skipped_firings_total 1$/m,
    );

    // gc keeps the blob the schedule names even with the task and the reference gone.
    await api(t.url, `/api/v1/tasks/${fired.key}`, { method: 'DELETE', token: token('alice') });
    await t.store.deleteReferencesToBlob(input);
    await api(t.url, path, { method: 'PATCH', token: token('alice'), json: { paused: true } });
    const gcNow = new Date(Date.now() + 30 * 24 * 3_600_000);
    await collectGarbage({ store: t.store, blobs: t.blobs, now: gcNow });
    expect(await t.store.getBlob(input)).toBeDefined();
    await api(t.url, path, { method: 'DELETE', token: token('alice') });
    await collectGarbage({ store: t.store, blobs: t.blobs, now: gcNow });
    expect(await t.store.getBlob(input)).toBeUndefined();
  });
});
