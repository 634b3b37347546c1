import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KolejkaClient, RemoteTask } from '@kolejka/client';
import { Cluster, type ForemanProcess, type ServerHandle } from './support/cluster.js';

let cluster: Cluster;
let server: ServerHandle;
let client: KolejkaClient;
let zoneA: ForemanProcess;
let zoneB: ForemanProcess;

beforeAll(async () => {
  cluster = await Cluster.create();
  server = await cluster.startServer();
  client = cluster.client(server.url);
  [zoneA, zoneB] = await Promise.all([
    cluster.startForeman('a', [server.url], ['--tags', 'zone:a', '--cpus', '2']),
    cluster.startForeman('b', [server.url], ['--tags', 'zone:b', '--cpus', '1']),
  ]);
}, 60_000);

afterAll(async () => {
  await cluster.close();
});

async function waitAll(keys: string[]): Promise<RemoteTask[]> {
  await Promise.all(keys.map((key) => client.waitForResult(key, { timeoutMs: 120_000 })));
  return Promise.all(keys.map((key) => client.getTaskRecord(key)));
}

describe('two foremen on one server', () => {
  it('share 50 tasks, each run exactly once', async () => {
    const dir = await cluster.taskDir('share', 'echo shared');
    const before = new Set([...zoneA.ran(), ...zoneB.ran()]);
    const keys: string[] = [];
    for (let i = 0; i < 50; i++) keys.push((await client.putTask(dir)).key);
    const records = await waitAll(keys);
    expect(records.map((record) => record.state)).toEqual(keys.map(() => 'finished'));
    // One attempt each: never assigned twice.
    expect(records.every((record) => record.attempt === 1)).toBe(true);
    const ranA = zoneA.ran().filter((key) => !before.has(key));
    const ranB = zoneB.ran().filter((key) => !before.has(key));
    expect([...ranA, ...ranB].sort()).toEqual([...keys].sort());
    expect(ranA.length).toBeGreaterThan(0);
    expect(ranB.length).toBeGreaterThan(0);
    // The assignee the server recorded ran it.
    for (const record of records) {
      const runner = ranA.includes(record.key) ? zoneA.id : zoneB.id;
      expect(record.assignee).toBe(runner);
    }
    // The server's view of free capacity and the foremen's own agree: nothing was turned down.
    for (const foreman of [zoneA, zoneB])
      expect(foreman.logs.filter((entry) => entry.message === 'task rejected')).toEqual([]);
    const result = await client.getResultRecord(keys[0] as string);
    expect(result.spec.tags).toContain(ranA.includes(keys[0] as string) ? 'zone:a' : 'zone:b');
  }, 180_000);

  it('runs a task only where its required tags are', async () => {
    const onA = await cluster.taskDir('need-a', 'true', { requires: ['zone:a'] });
    const onB = await cluster.taskDir('need-b', 'true', { requires: ['zone:b'] });
    const keys = { a: [] as string[], b: [] as string[] };
    for (let i = 0; i < 6; i++) {
      keys.a.push((await client.putTask(onA)).key);
      keys.b.push((await client.putTask(onB)).key);
    }
    const records = await waitAll([...keys.a, ...keys.b]);
    for (const record of records) {
      expect(record.state).toBe('finished');
      expect(record.assignee).toBe(keys.a.includes(record.key) ? zoneA.id : zoneB.id);
    }
    // A task no foreman can ever run waits with the reason.
    const nowhere = await client.putTask(
      await cluster.taskDir('need-c', 'true', { requires: ['zone:c'] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const waiting = await client.getTaskRecord(nowhere.key);
    expect(waiting.state).toBe('queued');
    expect(waiting.reason).toMatch(/zone:c/);
    await client.cancelTask(nowhere.key);
  }, 120_000);

  it('runs an exclusive task alone on its foreman', async () => {
    const exclusive = await cluster.taskDir('exclusive', 'sleep 1', {
      requires: ['zone:a'],
      exclusive: true,
      limits: { cpus: 1, memory: '64M', time: '30s' },
    });
    const short = await cluster.taskDir('short', 'sleep 0.3', { requires: ['zone:a'] });
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) keys.push((await client.putTask(short)).key);
    const exclusiveKey = (await client.putTask(exclusive)).key;
    for (let i = 0; i < 3; i++) keys.push((await client.putTask(short)).key);
    const records = await waitAll([...keys, exclusiveKey]);
    const alone = records.find((record) => record.key === exclusiveKey) as RemoteTask;
    expect(alone.assignee).toBe(zoneA.id);
    // From the container's start (task:started) to the stored result.
    const span = (record: RemoteTask): [number, number] => [
      Date.parse(record.startedAt ?? ''),
      Date.parse(record.finishedAt ?? ''),
    ];
    const [start, end] = span(alone);
    for (const record of records.filter((item) => item.key !== exclusiveKey)) {
      const [otherStart, otherEnd] = span(record);
      expect(
        otherEnd <= start || otherStart >= end,
        `${record.key} overlaps the exclusive task`,
      ).toBe(true);
    }
    // Without the exclusive task, zone:a's two CPUs do run short tasks side by side.
    const overlapping = records
      .filter((item) => item.key !== exclusiveKey)
      .some((a, i, all) =>
        all.some((b, j) => j > i && span(a)[0] < span(b)[1] && span(b)[0] < span(a)[1]),
      );
    expect(overlapping).toBe(true);
  }, 120_000);
});
