import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { FOREMAN_LABEL } from '../src/tasks/task-runner.js';
import { Cluster, until } from './support/cluster.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
const clusters: Cluster[] = [];
afterAll(async () => {
  for (const cluster of clusters) await cluster.close();
});

/** The task's parent cgroup dirs (`/kolejka-worker/<container name>`) in every hierarchy. */
function taskCgroupDirs(containerName: string): string[] {
  const hierarchies = readdirSync(CGROUP_ROOT);
  const dirs = [
    path.join(CGROUP_ROOT, 'kolejka-worker', containerName),
    ...hierarchies.map((h) => path.join(CGROUP_ROOT, h, 'kolejka-worker', containerName)),
  ];
  return dirs.filter((dir) => existsSync(dir));
}

describe('a foreman killed with -9 and restarted with the same id', () => {
  it('stops the orphan at once, removes its cgroups, and its hello releases the lease', async () => {
    const cluster = await Cluster.create();
    clusters.push(cluster);
    const docker = new Dockerode();
    // A lease far longer than the test: only the hello can give the task back in time.
    const server = await cluster.startServer(['--lease', '120s']);
    const client = cluster.client(server.url);
    const first = await cluster.startForeman('crash', [server.url]);
    const { key } = await client.putTask(await cluster.taskDir('long', 'sleep 6; echo once'));
    await until(
      async () => (await client.getTaskRecord(key)).state === 'running',
      30_000,
      'running',
    );
    const [orphan] = await docker.listContainers({
      filters: { label: [`${FOREMAN_LABEL}=${first.id}`] },
    });
    expect(orphan).toBeDefined();
    const name = (orphan?.Names[0] ?? '').replace(/^\//, '');
    const cgroups = taskCgroupDirs(name);
    expect(cgroups.length).toBeGreaterThan(0);

    first.child.kill('SIGKILL');
    await first.exited;
    // The orphan runs on after the kill.
    expect((await docker.getContainer(orphan?.Id ?? '').inspect()).State.Running).toBe(true);

    const restartedAt = Date.now();
    const second = await cluster.startForeman('crash', [server.url], [], {
      id: first.id,
      temp: first.temp,
    });
    expect(await docker.listContainers({ all: true, filters: { id: [orphan?.Id ?? ''] } })).toEqual(
      [],
    );
    expect(cgroups.filter((dir) => existsSync(dir))).toEqual([]);
    await until(
      async () => (await client.getTaskRecord(key)).state === 'finished',
      60_000,
      'attempt 2 to finish',
    );
    expect(Date.now() - restartedAt).toBeLessThan(60_000);
    expect(await client.getTaskRecord(key)).toMatchObject({ state: 'finished', attempt: 2 });
    // One run after the restart, and none beside the orphan.
    expect(second.ran()).toEqual([key]);
  }, 180_000);
});
