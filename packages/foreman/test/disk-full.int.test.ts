import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, until } from './support/cluster.js';

const clusters: Cluster[] = [];
const mounts: string[] = [];
afterAll(async () => {
  for (const cluster of clusters) await cluster.close();
  for (const mount of mounts) {
    execFileSync('umount', ['-l', mount]);
    await rm(mount, { recursive: true, force: true });
  }
});

/** A real tmpfs of `size` (root is needed) as the foreman's `--temp`. */
async function smallTemp(size: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-small-temp-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

describe('a foreman whose --temp disk fills up', () => {
  it('survives the task that filled it, fails it disk_full, and takes no task until there is room', async () => {
    const cluster = await Cluster.create();
    clusters.push(cluster);
    const server = await cluster.startServer(['--lease', '60s']);
    const client = cluster.client(server.url);
    const temp = await smallTemp('24m');
    const foreman = await cluster.startForeman('small', [server.url], [], { temp });

    // A result larger than the disk: the task writes it in its workspace (a tmpfs of its
    // own), and the foreman fills --temp taking it out.
    const filler = await cluster.taskDir(
      'filler',
      'dd if=/dev/zero of=/var/lib/kolejka/result/fill bs=1M count=100 2>/dev/null; echo done',
    );
    const { key } = await client.putTask(filler);
    await until(
      async () => (await client.getTaskRecord(key)).state === 'failed',
      60_000,
      'the filler to fail',
    );
    const record = await client.getTaskRecord(key);
    expect(record.reason).toMatch(/disk_full/);
    expect(foreman.child.exitCode).toBeNull();

    // The foreman has room again once the work dir is gone; fill it from outside instead.
    const outside = path.join(temp, 'outside');
    await writeFile(outside, Buffer.alloc(23 * 1024 * 1024)).catch(() => undefined);
    const next = await cluster.taskDir('next', 'echo next');
    const { key: nextKey } = await client.putTask(next);
    await foreman.waitForLog(
      (entry) =>
        entry.message === 'task rejected' &&
        entry.task === nextKey &&
        /disk_full/.test(String(entry.reason)),
      30_000,
      'the rejection for a full disk',
    );
    // The foreman logs its rejection before the server has handled it: back in the queue soon.
    await until(
      async () => (await client.getTaskRecord(nextKey)).state === 'queued',
      5_000,
      'the rejected task back in the queue',
    );

    await rm(outside);
    await until(
      async () => (await client.getTaskRecord(nextKey)).state === 'finished',
      60_000,
      'the next task to run once there is room',
    );
    expect(foreman.child.exitCode).toBeNull();
  }, 180_000);
});
