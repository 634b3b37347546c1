import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from './support/cluster.js';

const clusters: Cluster[] = [];
afterAll(async () => {
  for (const cluster of clusters) await cluster.close();
});

describe('a result sent in task:finished', () => {
  it('is acknowledged on the push channel: the foreman drops its spooled copy at once', async () => {
    const cluster = await Cluster.create();
    clusters.push(cluster);
    // A 60 s lease makes the heartbeat 20 s: only the acknowledgement can explain a quick drop.
    const server = await cluster.startServer(['--lease', '60s']);
    const client = cluster.client(server.url);
    const foreman = await cluster.startForeman('ack', [server.url]);
    const { key } = await client.putTask(await cluster.taskDir('ack', 'echo acknowledged'));
    await foreman.waitForLog(
      (entry) => entry.message === 'task ran' && entry.task === key,
      30_000,
      'the run',
    );
    const ranAt = Date.now();
    const stored = await foreman.waitForLog(
      (entry) => entry.message === 'result stored' && entry.task === key,
      30_000,
      'the result to be stored',
    );
    expect(stored).toMatchObject({ via: 'task:finished', confirmedBy: 'result:stored' });
    expect(Date.now() - ranAt).toBeLessThan(5000);
    expect(await readdir(path.join(foreman.temp, 'tasks'))).toEqual([]);
    expect((await client.getTaskRecord(key)).state).toBe('finished');
  }, 90_000);
});
