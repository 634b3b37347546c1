import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KolejkaClient, RemoteTask } from '@kolejka/client';
import { Cluster, until, type ForemanProcess, type ServerHandle } from './support/cluster.js';

/* Task graphs on a real server with real foremen and Docker (issue 12). */

let cluster: Cluster;
let server: ServerHandle;
let client: KolejkaClient;
let foremen: ForemanProcess[];

beforeAll(async () => {
  cluster = await Cluster.create();
  server = await cluster.startServer();
  client = cluster.client(server.url);
  foremen = await Promise.all([
    cluster.startForeman('g1', [server.url], ['--cpus', '2']),
    cluster.startForeman('g2', [server.url], ['--cpus', '2']),
  ]);
}, 60_000);

afterAll(async () => {
  await cluster.close();
});

const ranCount = (key: string): number =>
  foremen.flatMap((foreman) => foreman.ran()).filter((ran) => ran === key).length;

async function ended(key: string): Promise<RemoteTask> {
  return until(
    async () => {
      const task = await client.getTaskRecord(key);
      return ['finished', 'failed', 'cancelled'].includes(task.state) ? task : undefined;
    },
    120_000,
    `task ${key} to end`,
  );
}

describe('task graphs with real foremen', () => {
  it('runs a diamond A → B, C → D in order, each task once', async () => {
    const dir = await cluster.taskDir('diamond', 'sleep 0.3; echo step');
    const a = await client.putTask(dir);
    const b = await client.putTask(dir, { dependencies: [a.key] });
    const c = await client.putTask(dir, { dependencies: [a.key] });
    const d = await client.putTask(dir, { dependencies: [b.key, c.key] });
    expect([b.state, c.state, d.state]).toEqual(['waiting', 'waiting', 'waiting']);
    const [ta, tb, tc, td] = await Promise.all([a, b, c, d].map((task) => ended(task.key)));
    for (const task of [ta, tb, tc, td]) {
      expect(task?.state).toBe('finished');
      expect(task?.attempt).toBe(1);
    }
    const time = (value: string | undefined): number => Date.parse(value ?? '');
    expect(time(tb?.startedAt)).toBeGreaterThanOrEqual(time(ta?.finishedAt));
    expect(time(tc?.startedAt)).toBeGreaterThanOrEqual(time(ta?.finishedAt));
    expect(time(td?.startedAt)).toBeGreaterThanOrEqual(
      Math.max(time(tb?.finishedAt), time(tc?.finishedAt)),
    );
    await until(() => [a, b, c, d].every((task) => ranCount(task.key) === 1), 10_000, 'run logs');
    for (const task of [a, b, c, d]) expect(ranCount(task.key)).toBe(1);
  }, 180_000);

  it('applies after policies to a failing task and propagates the cancellation', async () => {
    const failing = await client.putTask(await cluster.taskDir('fail', 'exit 3'));
    const ok = await cluster.taskDir('ok', 'echo fine');
    const onSuccess = await client.putTask(ok, {
      dependencies: [failing.key],
      after: 'succeeded',
    });
    const onFinish = await client.putTask(ok, { dependencies: [failing.key] });
    const downstream = await client.putTask(ok, { dependencies: [onSuccess.key], after: 'any' });
    const deeper = await client.putTask(ok, { dependencies: [onSuccess.key] });
    expect((await ended(failing.key)).state).toBe('finished');
    expect(await ended(onSuccess.key)).toMatchObject({
      state: 'cancelled',
      reason: `dependency ${failing.key} exited 3`,
    });
    expect((await ended(onFinish.key)).state).toBe('finished');
    // `any` runs after a cancelled dependency; the default does not.
    expect((await ended(downstream.key)).state).toBe('finished');
    expect(await ended(deeper.key)).toMatchObject({
      state: 'cancelled',
      reason: `dependency ${onSuccess.key} was cancelled`,
    });
    expect(ranCount(onSuccess.key) + ranCount(deeper.key)).toBe(0);
  }, 180_000);

  it("puts a dependency's result file into the dependent's container", async () => {
    const compile = await client.putTask(
      await cluster.taskDir('compile', 'echo "binary built at $(date +%s%N)"'),
    );
    const runDir = await cluster.taskDir('run', 'cat prog.bin');
    const run = await client.addContinuation(compile.key, runDir, {
      after: 'succeeded',
      inputs: { 'prog.bin': { from: compile.key, path: 'out.txt' } },
    });
    expect(run.state).toBe('waiting');
    expect((await ended(run.key)).state).toBe('finished');
    const home = path.join(cluster.home, 'results');
    const compiled = await client.getResult(compile.key, path.join(home, 'compile'));
    const ran = await client.getResult(run.key, path.join(home, 'run'));
    const built = await readFile(path.join(compiled.dir, 'out.txt'), 'utf8');
    expect(built).toMatch(/^binary built at \d+/);
    expect(await readFile(path.join(ran.dir, 'out.txt'), 'utf8')).toBe(built);
    // The released task names the blob as a task file.
    const record = await client.getTaskRecord(run.key);
    expect(record.spec.files['prog.bin']?.reference).toMatch(/^[0-9a-f]{64}$/);
    expect(record).toMatchObject({ dependencies: [compile.key], after: 'succeeded' });
  }, 180_000);
});
