import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from './support/cluster.js';

const MiB = 1024 ** 2;
const clusters: Cluster[] = [];
afterAll(async () => {
  for (const cluster of clusters) await cluster.close();
});

/** Runs `script` as a task that names no workspace; its result and its stdout (with stderr). */
async function runWithoutWorkspace(
  cluster: Cluster,
  serverArgs: string[],
  name: string,
  script: string,
): Promise<{ workspace: number | undefined; output: string }> {
  const server = await cluster.startServer(serverArgs);
  await cluster.startForeman(name, [server.url]);
  const client = cluster.client(server.url);
  const { key } = await client.putTask(await cluster.taskDir(name, `(${script}) 2>&1`));
  expect((await client.waitForResult(key, { timeoutMs: 60_000 })).state).toBe('finished');
  const dir = path.join(cluster.home, `result-${name}`);
  const result = await client.getResult(key, dir);
  return {
    workspace: result.result.limits.workspace,
    output: await readFile(path.join(dir, 'out.txt'), 'utf8'),
  };
}

describe('a task that names no workspace', () => {
  it('gets the server default (1G), mounted as a tmpfs and reported', async () => {
    const cluster = await Cluster.create();
    clusters.push(cluster);
    const { workspace, output } = await runWithoutWorkspace(cluster, [], 'default', 'df -k .');
    expect(workspace).toBe(1024 * MiB);
    // Not the host's disk: the task dir is the 1 GiB tmpfs.
    expect(output).toMatch(/^kolejka-workspace\s+1048576\s/m);
  }, 120_000);

  it("cannot write past the server's default into the foreman's disk", async () => {
    const cluster = await Cluster.create();
    clusters.push(cluster);
    const { workspace, output } = await runWithoutWorkspace(
      cluster,
      ['--default-limits', 'workspace=8M'],
      'bounded',
      'dd if=/dev/zero of=big bs=1M count=32; echo "dd exit $?"; ls -l big',
    );
    expect(workspace).toBe(8 * MiB);
    expect(output).toMatch(/No space left on device/);
    expect(output).toMatch(/dd exit 1/);
    const size = Number(/^\S+\s+\d+\s+\S+\s+\S+\s+(\d+)\s/m.exec(output)?.[1]);
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThanOrEqual(8 * MiB);
  }, 120_000);
});
