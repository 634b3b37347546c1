import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFsBlobStore, type FsBlobStore } from '../src/blobs/fs-blob-store.js';
import { MaintenanceRunner } from '../src/ops/maintenance.js';
import { Metrics } from '../src/ops/metrics.js';
import { parseRetention, retentionOf } from '../src/ops/retention-policy.js';
import { resolveServerSettings } from '../src/server-settings.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { assignedTask, at, makeResult, makeTask } from './store-fixtures.js';
import { startTestServer } from './support/test-server.js';

const DAY = 24 * 3_600_000;

describe('the retention policy', () => {
  const policy = parseRetention('default=90D, client=30D, manager=60D, user:alice=7D');
  const user = (username: string, roles: ('client' | 'manager' | 'processor')[]) => ({
    username,
    roles,
    createdAt: at(0),
  });

  it("keeps a user's tasks for its own entry, else its longest role's, else the default", () => {
    expect(retentionOf(policy, user('alice', ['client']))).toBe(7 * DAY);
    expect(retentionOf(policy, user('carol', ['client']))).toBe(30 * DAY);
    expect(retentionOf(policy, user('dave', ['client', 'manager']))).toBe(60 * DAY);
    expect(retentionOf(policy, user('node', ['processor']))).toBe(90 * DAY);
    expect(retentionOf(parseRetention('client=1D'), user('node', ['processor']))).toBeUndefined();
  });

  it('names a wrong entry', () => {
    expect(() => parseRetention('client')).toThrow(/retention "client": expected NAME=AGE/);
    expect(() => parseRetention('clients=1D')).toThrow(/"clients" is not default, a role/);
    expect(() => parseRetention('client=soon')).toThrow(/retention "client=soon"/);
    expect(() => parseRetention('client=0')).toThrow(/must be positive/);
    expect(() => resolveServerSettings({ retention: 'x=1D' })).toThrow(/retention/);
  });
});

describe('maintenance: retention, then gc', () => {
  let dir: string;
  let store: SqliteStore;
  let blobs: FsBlobStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kolejka-retention-'));
    store = await openSqliteStore({ path: path.join(dir, 'kolejka.sqlite3') });
    blobs = await openFsBlobStore({ dir: path.join(dir, 'blobs') });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function upload(content: string): Promise<string> {
    const { hash, size } = await blobs.put(Readable.from([Buffer.from(content)]));
    await store.putBlob({ hash, size, createdAt: at(0) });
    return hash;
  }

  async function finishedTask(owner: string, output: string): Promise<string> {
    const task = await assignedTask(store, 'f1', makeTask({ owner }));
    const result = makeResult(task.key, 1, { files: { 'out.txt': await upload(output) } });
    await store.finishTask(task.key, 1, result, at(2));
    return task.key;
  }

  it("deletes ended tasks past their owner's age, with their results and then their blobs", async () => {
    await store.createUser({ username: 'alice', roles: ['client'], createdAt: at(0) });
    await store.createUser({ username: 'boss', roles: ['manager'], createdAt: at(0) });
    const old = await finishedTask('alice', 'alice output');
    const kept = await finishedTask('boss', 'boss output');
    const cancelled = makeTask({ owner: 'alice' });
    await store.createTask(cancelled);
    await store.cancelTask(cancelled.key, 'changed my mind', at(3));
    const queued = makeTask({ owner: 'alice' });
    await store.createTask(queued);

    const metrics = new Metrics();
    const runner = new MaintenanceRunner({
      store,
      blobs,
      retention: parseRetention('client=1D'),
      intervalMs: 0,
      onReport: (report) => metrics.recordMaintenance(report),
      // The fixtures' tasks are from 2024, past the client's day; two hours on, the blob
      // files written now are past the gc's hour of grace.
      clock: () => new Date(Date.now() + 2 * 3_600_000),
    });
    const report = await runner.runOnce();

    expect(report.tasksDeleted).toBe(2);
    expect(await store.getTask(old)).toBeUndefined();
    expect(await store.getResult(old)).toBeUndefined();
    expect(await store.getTask(cancelled.key)).toBeUndefined();
    expect((await store.getTask(kept))?.state).toBe('finished');
    expect((await store.getTask(queued.key))?.state).toBe('queued'); // not ended: never deleted
    expect(report.blobsDeleted).toBe(1);
    expect(report.bytesFreed).toBe('alice output'.length);
    const exposition = await metrics.render(store);
    expect(exposition).toContain('kolejka_retention_tasks_deleted_total 2');
    expect(exposition).toContain(`kolejka_gc_bytes_freed_total ${'alice output'.length}`);
    expect(exposition).toContain('kolejka_maintenance_runs_total 1');
    await runner.close();
  });

  it('keeps an ended task that others still wait on, with the result file their input needs', async () => {
    await store.createUser({ username: 'alice', roles: ['client'], createdAt: at(0) });
    const compiled = await finishedTask('alice', 'compiled');
    const other = await assignedTask(store, 'f1', makeTask({ owner: 'alice' }));
    const dependent = makeTask({
      owner: 'alice',
      state: 'waiting',
      links: {
        dependencies: [compiled, other.key],
        after: 'finished',
        inputs: { prog: { from: compiled, path: 'out.txt' } },
      },
    });
    await store.createTask(dependent);
    const runner = new MaintenanceRunner({
      store,
      blobs,
      retention: parseRetention('client=1D'),
      intervalMs: 0,
      clock: () => new Date(Date.now() + 2 * 3_600_000),
    });
    expect((await runner.runOnce()).tasksDeleted).toBe(0);
    expect((await store.getTask(compiled))?.state).toBe('finished');
    // Its last dependency ends: the input resolves, and the next run deletes the task (the
    // released dependent names the blob itself, so the gc keeps it).
    await store.finishTask(other.key, 1, makeResult(other.key, 1), at(5));
    const released = await store.getTask(dependent.key);
    expect(released?.state).toBe('queued');
    const input = released?.spec.files.prog?.reference ?? '';
    expect(input).toMatch(/^[0-9a-f]{64}$/);
    const report = await runner.runOnce();
    expect(report.tasksDeleted).toBe(2);
    expect(await store.getTask(compiled)).toBeUndefined();
    expect(await store.getBlob(input)).toBeDefined();
    await runner.close();
  });

  it('runs on its own every interval once started, and stops at close', async () => {
    await store.createUser({ username: 'alice', roles: ['client'], createdAt: at(0) });
    await finishedTask('alice', 'x');
    const reports: number[] = [];
    const runner = new MaintenanceRunner({
      store,
      blobs,
      retention: parseRetention('default=1D'),
      intervalMs: 50,
      onReport: (report) => reports.push(report.tasksDeleted),
      clock: () => new Date(at(0).getTime() + 2 * DAY),
    });
    runner.start();
    const deadline = Date.now() + 5000;
    while (reports.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await runner.close();
    const runs = reports.length;
    expect(reports.slice(0, 2)).toEqual([1, 0]);
    await new Promise((r) => setTimeout(r, 150));
    expect(reports.length).toBe(runs);
  });
});

describe('a server with a retention policy', () => {
  it('deletes ended tasks by itself and counts them in /metrics', async () => {
    const server = await startTestServer({
      settings: { retention: 'client=1D', maintenanceIntervalMs: 100 },
    });
    try {
      // Fixture tasks are from 2024: long past alice's (a client's) day.
      const task = await assignedTask(server.store, 'f1', makeTask({ owner: 'alice' }));
      await server.store.finishTask(task.key, 1, makeResult(task.key, 1), at(2));
      const deadline = Date.now() + 10_000;
      while ((await server.store.getTask(task.key)) !== undefined && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(await server.store.getTask(task.key)).toBeUndefined();
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^kolejka_retention_tasks_deleted_total 1$/m);
      const settings = (await (
        await fetch(`${server.url}/api/v1/settings`, {
          headers: { Authorization: `Bearer ${server.users.alice?.token}` },
        })
      ).json()) as { retention: string; maintenanceIntervalMs: number };
      expect(settings).toMatchObject({ retention: 'client=86400s', maintenanceIntervalMs: 100 });
    } finally {
      await server.close();
    }
  });
});
