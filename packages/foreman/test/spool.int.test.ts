import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, sleep, until } from './support/cluster.js';

const clusters: Cluster[] = [];
afterAll(async () => {
  for (const cluster of clusters) await cluster.close();
});

/**
 * A foreman whose result is in its spool: the server (started with `--lease <lease>`) is
 * stopped while the task runs, so the upload fails and the result is kept on disk.
 */
async function spooledUpload(name: string, lease: string, script: string) {
  const cluster = await Cluster.create();
  clusters.push(cluster);
  const server = await cluster.startServer(['--lease', lease]);
  const client = cluster.client(server.url);
  const foreman = await cluster.startForeman(name, [server.url]);
  const { key } = await client.putTask(await cluster.taskDir(name, script));
  await until(async () => (await client.getTaskRecord(key)).state === 'running', 20_000, 'running');
  await cluster.stopServer(server);
  await foreman.waitForLog(
    (entry) => entry.message === 'result upload failed; kept in the spool and retried',
    30_000,
    'the spooled upload',
  );
  return { cluster, server, client, foreman, key };
}

describe('a result the server could not take', () => {
  it('is spooled on disk and uploaded by the next foreman process', async () => {
    const spooled = await spooledUpload('spool', '60s', 'sleep 2; echo from the spool');
    const { cluster, client, foreman, key } = spooled;
    let { server } = spooled;
    const spoolDir = path.join(foreman.temp, 'tasks', `${key}.1`);
    expect((await readdir(spoolDir)).sort()).toEqual(['result', 'spool.json']);
    // SIGTERM: nothing runs (the spool waits for the next start), so it exits at once, 0.
    foreman.child.kill('SIGTERM');
    expect(await foreman.exited).toEqual({ code: 0, signal: null });
    expect(JSON.parse(await readFile(path.join(spoolDir, 'spool.json'), 'utf8'))).toMatchObject({
      key,
      attempt: 1,
    });

    server = await cluster.startServer(['--lease', '60s'], server.port);
    const restarted = await cluster.startForeman('spool', [server.url], [], {
      id: foreman.id,
      temp: foreman.temp,
    });
    await restarted.waitForLog((entry) => entry.message === 'result stored' && entry.task === key);
    const record = await client.getTaskRecord(key);
    expect(record).toMatchObject({ state: 'finished', attempt: 1 });
    const result = await client.getResult(key, path.join(cluster.home, 'result-spooled'));
    expect(await readFile(path.join(result.dir, 'out.txt'), 'utf8')).toBe('from the spool\n');
    expect(restarted.ran()).toEqual([]); // uploaded, not run again
    expect(await readdir(path.join(foreman.temp, 'tasks'))).toEqual([]);
  }, 120_000);

  it('is dropped with a log line when its attempt is no longer current, and the task runs again', async () => {
    const spooled = await spooledUpload('stale', '2s', 'sleep 1; echo again');
    const { cluster, client, foreman, key } = spooled;
    let { server } = spooled;
    foreman.child.kill('SIGTERM');
    await foreman.exited;
    // Down for longer than the lease: the restarted server takes the task back.
    await sleep(2500);
    server = await cluster.startServer(['--lease', '2s'], server.port);
    await until(
      async () => (await client.getTaskRecord(key)).state === 'queued',
      20_000,
      'the lease to expire',
    );
    const restarted = await cluster.startForeman('stale', [server.url], [], {
      id: foreman.id,
      temp: foreman.temp,
    });
    await restarted.waitForLog(
      (entry) =>
        entry.message === 'the server dropped a task of this foreman; it is stopped' ||
        entry.message === 'the server refused the result for this attempt; dropped',
    );
    const outcome = await client.waitForResult(key, { timeoutMs: 60_000 });
    expect(outcome.state).toBe('finished');
    expect((await client.getTaskRecord(key)).attempt).toBe(2);
    expect(restarted.ran()).toEqual([key]);
  }, 120_000);
});
