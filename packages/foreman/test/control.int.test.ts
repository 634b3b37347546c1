import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KolejkaClient } from '@kolejka/client';
import {
  Cluster,
  sleep,
  until,
  type ForemanProcess,
  type ServerHandle,
} from './support/cluster.js';

let cluster: Cluster;
let server: ServerHandle;
let client: KolejkaClient;
const docker = new Dockerode();

beforeAll(async () => {
  cluster = await Cluster.create();
  server = await cluster.startServer(['--lease', '10s']);
  client = cluster.client(server.url);
}, 60_000);

afterAll(async () => {
  await cluster.close();
});

async function runningContainer(key: string): Promise<string | undefined> {
  const found = await docker.listContainers({ filters: { label: [`org.kolejka.task=${key}`] } });
  return found[0]?.Id;
}

async function containerIsGone(id: string): Promise<boolean> {
  try {
    const info = await docker.getContainer(id).inspect();
    return !info.State.Running;
  } catch {
    return true;
  }
}

describe('cancellation', () => {
  it('kills the running container within a second', async () => {
    const foreman = await cluster.startForeman('cancel', [server.url]);
    const { key } = await client.putTask(await cluster.taskDir('endless', 'sleep 120'));
    const container = await until(() => runningContainer(key), 20_000, 'the container');
    const cancelledAt = Date.now();
    await client.cancelTask(key);
    await until(() => containerIsGone(container), 5000, 'the container to die');
    const tookMs = Date.now() - cancelledAt;
    console.log(`cancel → container dead: ${tookMs} ms`);
    expect(tookMs).toBeLessThan(1000);
    await foreman.waitForLog(
      (entry) => entry.message === 'task stopped' && entry.cause === 'cancelled',
    );
    expect((await client.getTaskRecord(key)).state).toBe('cancelled');
    await until(
      async () => (await readdir(path.join(foreman.temp, 'tasks'))).length === 0,
      5000,
      'cleanup',
    );
    // Its capacity is back: the next task runs.
    const next = await client.putTask(await cluster.taskDir('after-cancel', 'true'));
    expect((await client.waitForResult(next.key, { timeoutMs: 30_000 })).state).toBe('finished');
    // Protocol 2: the result went in task:finished; the next heartbeat shows it was taken.
    const stored = await foreman.waitForLog(
      (entry) => entry.message === 'result stored' && entry.task === next.key,
    );
    expect(stored.via).toBe('task:finished');
    expect(await readdir(path.join(foreman.temp, 'tasks'))).toEqual([]);
    foreman.child.kill('SIGTERM');
    expect((await foreman.exited).code).toBe(0);
  }, 60_000);
});

describe('a task that cannot run here', () => {
  it('fails with the reason when its image cannot be had (no registry here: the pull fails)', async () => {
    const foreman = await cluster.startForeman('no-image', [server.url]);
    const dir = await cluster.taskDir('no-image', 'true');
    const spec = JSON.parse(await readFile(path.join(dir, 'kolejka_task.json'), 'utf8')) as object;
    await writeFile(
      path.join(dir, 'kolejka_task.json'),
      JSON.stringify({ ...spec, image: 'kolejka-test-foreman/does-not-exist:1' }),
    );
    const { key } = await client.putTask(dir);
    const outcome = await client.waitForResult(key, { timeoutMs: 30_000 });
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toMatch(
      new RegExp(
        `^foreman ${foreman.id}: image kolejka-test-foreman/does-not-exist:1 is not available locally and could not be pulled: `,
      ),
    );
    foreman.child.kill('SIGTERM');
    expect((await foreman.exited).code).toBe(0);
  }, 60_000);
});

describe('draining', () => {
  it('by a manager: no new work until undrained', async () => {
    const foreman = await cluster.startForeman('drained', [server.url]);
    await cluster.manage(server.url, 'POST', `/api/v1/foremen/${foreman.id}/drain`);
    await foreman.waitForLog((entry) => entry.message === 'drained by the server');
    const { key } = await client.putTask(await cluster.taskDir('wait-for-undrain', 'true'));
    await sleep(1000);
    expect((await client.getTaskRecord(key)).state).toBe('queued');
    await cluster.manage(server.url, 'POST', `/api/v1/foremen/${foreman.id}/undrain`);
    expect((await client.waitForResult(key, { timeoutMs: 30_000 })).state).toBe('finished');
    expect(foreman.ran()).toEqual([key]);
    foreman.child.kill('SIGTERM');
    expect((await foreman.exited).code).toBe(0);
  }, 60_000);

  it('on SIGTERM: the running task finishes and reports, nothing new starts, then exit 0', async () => {
    const foreman = await cluster.startForeman('sigterm', [server.url]);
    const running = await client.putTask(
      await cluster.taskDir('finishing', 'sleep 2; echo finished'),
    );
    await until(() => runningContainer(running.key), 20_000, 'the container');
    foreman.child.kill('SIGTERM');
    await foreman.waitForLog(
      (entry) => entry.message === 'draining: no new tasks; running ones finish',
    );
    const later = await client.putTask(await cluster.taskDir('not-taken', 'true'));
    expect(await foreman.exited).toEqual({ code: 0, signal: null });
    expect((await client.getTaskRecord(running.key)).state).toBe('finished');
    expect(foreman.ran()).toEqual([running.key]);
    // The server was told: the task submitted during the drain was never offered to it.
    expect(foreman.logs.filter((entry) => entry.message === 'task rejected')).toEqual([]);
    expect((await client.getTaskRecord(later.key)).state).toBe('queued');
    await client.cancelTask(later.key);
  }, 60_000);

  it('a second SIGTERM stops at once: the container is killed, exit 0', async () => {
    const foreman: ForemanProcess = await cluster.startForeman('stop', [server.url]);
    const { key } = await client.putTask(await cluster.taskDir('stopped', 'sleep 120'));
    const container = await until(() => runningContainer(key), 20_000, 'the container');
    foreman.child.kill('SIGTERM');
    await foreman.waitForLog(
      (entry) => entry.message === 'draining: no new tasks; running ones finish',
    );
    foreman.child.kill('SIGTERM');
    const stoppedAt = Date.now();
    expect(await foreman.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(await containerIsGone(container)).toBe(true);
    expect(await readdir(path.join(foreman.temp, 'tasks'))).toEqual([]);
    await client.cancelTask(key);
  }, 60_000);
});
