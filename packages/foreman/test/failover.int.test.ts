import { readdir } from 'node:fs/promises';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { FOREMAN_LABEL } from '../src/tasks/task-runner.js';
import { Cluster, sleep, until } from './support/cluster.js';

const clusters: Cluster[] = [];
afterAll(async () => {
  for (const cluster of clusters) await cluster.close();
});

async function newCluster(): Promise<Cluster> {
  const cluster = await Cluster.create();
  clusters.push(cluster);
  return cluster;
}

describe('a foreman killed mid-task', () => {
  it('loses the task to the other foreman once the lease ends; restarted, it removes what it left', async () => {
    const cluster = await newCluster();
    const server = await cluster.startServer(['--lease', '3s']);
    const client = cluster.client(server.url);
    const first = await cluster.startForeman('first', [server.url]);
    const dir = await cluster.taskDir('long', 'sleep 4; echo survived');
    const { key } = await client.putTask(dir);
    await until(
      async () => (await client.getTaskRecord(key)).state === 'running',
      20_000,
      'running on the first',
    );
    const second = await cluster.startForeman('second', [server.url]);
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    await first.exited;

    const outcome = await client.waitForResult(key, { timeoutMs: 60_000 });
    expect(outcome.state).toBe('finished');
    const record = await client.getTaskRecord(key);
    expect(record.attempt).toBe(2);
    expect(record.assignee).toBe(second.id);
    expect(second.ran()).toEqual([key]);
    // Reassigned only after the lease (3 s from its last renewal) ran out.
    expect(Date.parse(record.assignedAt ?? '') - killedAt).toBeGreaterThan(1000);
    const result = await client.getResult(key, path.join(cluster.home, 'result-long'));
    expect(result.result.result).toBe(0);

    // The killed foreman's container and work dir are still there; its restart removes them.
    const docker = new Dockerode();
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${FOREMAN_LABEL}=${first.id}`] },
    });
    expect(left).toHaveLength(1);
    expect(left[0]?.Names[0]).toMatch(/^\/kolejka-test-foreman-/);
    expect(await readdir(path.join(first.temp, 'tasks'))).toEqual([`${key}.1`]);
    const restarted = await cluster.startForeman('first', [server.url], [], {
      id: first.id,
      temp: first.temp,
    });
    await restarted.waitForLog(
      (entry) => entry.message === 'removed containers an earlier run left',
    );
    await restarted.waitForLog(
      (entry) => entry.message === 'removed work dirs of tasks an earlier run left',
    );
    expect(
      await docker.listContainers({
        all: true,
        filters: { label: [`${FOREMAN_LABEL}=${first.id}`] },
      }),
    ).toEqual([]);
    expect(await readdir(path.join(first.temp, 'tasks'))).toEqual([]);
  }, 120_000);
});

describe('a server restarted mid-run', () => {
  it('gets its foremen back, and no task is lost or run twice', async () => {
    const cluster = await newCluster();
    let server = await cluster.startServer(['--lease', '20s']);
    const client = cluster.client(server.url);
    const foremen = await Promise.all([
      cluster.startForeman('one', [server.url], ['--cpus', '1']),
      cluster.startForeman('two', [server.url], ['--cpus', '1']),
    ]);
    const dir = await cluster.taskDir('steady', 'sleep 1; echo steady');
    const keys: string[] = [];
    for (let i = 0; i < 8; i++) keys.push((await client.putTask(dir)).key);
    await until(
      async () =>
        (await Promise.all(keys.map((key) => client.getTaskRecord(key)))).some(
          (task) => task.state === 'running',
        ),
      20_000,
      'tasks running',
    );
    await cluster.stopServer(server, 'SIGKILL');
    await sleep(1500);
    server = await cluster.startServer(['--lease', '20s'], server.port);
    for (const foreman of foremen) {
      await foreman.waitForLog(
        (entry) => entry.message === 'connected' && foreman.logs.indexOf(entry) > 0,
        30_000,
        'a reconnect',
      );
    }
    await until(
      async () =>
        (await Promise.all(keys.map((key) => client.getTaskRecord(key)))).every(
          (task) => task.state === 'finished',
        ),
      90_000,
      'every task finished',
    );
    const records = await Promise.all(keys.map((key) => client.getTaskRecord(key)));
    expect(records.every((record) => record.attempt === 1)).toBe(true);
    const ran = foremen.flatMap((foreman) => foreman.ran());
    expect(ran.sort()).toEqual([...keys].sort());
  }, 180_000);
});
