import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForeman, type ForemanIdentity } from './support/fake-foreman.js';
import { runClient, type CliRun } from './support/cli-run.js';
import { makeTaskDir, removeTempDirs, tempDir } from './support/fixtures.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/* The CLI's task graph commands: --after, --after-policy, --input, graph, delete --cascade. */

let server: TestServer;
let fakeForeman: ReturnType<typeof startFakeForeman>;

beforeAll(async () => {
  server = await startTestServer();
  const foreman: ForemanIdentity = {
    url: server.url,
    token: server.users.foreman?.token as string,
  };
  fakeForeman = startFakeForeman(foreman, () => ({ exitCode: 0, files: { 'out.txt': 'x\n' } }));
});
afterAll(async () => {
  await fakeForeman.stop();
  await server.close();
  await removeTempDirs();
});

async function sandbox() {
  const root = await tempDir();
  const user = await server.addUser(`dep${Math.random().toString(36).slice(2, 10)}`, ['client']);
  const env = {
    HOME: path.join(root, 'home'),
    XDG_CONFIG_DIRS: path.join(root, 'xdg'),
    KOLEJKA_SERVER: server.url,
    KOLEJKA_TOKEN: user.token,
  };
  return (args: string[]): Promise<CliRun> =>
    runClient(args, { env, etcDir: path.join(root, 'etc') });
}

/** Never claimed by the background fake foreman (it lacks the tag). */
const HELD = { requires: ['held'] };

describe('task graph commands', () => {
  it('puts a task after another, shows the graph, and refuses to delete what others wait on', async () => {
    const run = await sandbox();
    const dir = await makeTaskDir({ 'run.sh': `echo ${Math.random()}\n` }, HELD);
    const a = (await run(['task', 'put', dir])).stdout.trim();
    const put = await run([
      'task',
      'put',
      dir,
      '--after',
      a,
      '--after-policy',
      'succeeded',
      '--input',
      `prog=${a}:out.txt`,
      '--json',
    ]);
    expect(put.code, put.stderr).toBe(0);
    const b = JSON.parse(put.stdout) as {
      key: string;
      state: string;
      task: Record<string, unknown>;
    };
    expect(b.state).toBe('waiting');
    expect(b.task).toMatchObject({
      dependencies: [a],
      after: 'succeeded',
      inputs: { prog: { from: a, path: 'out.txt' } },
    });

    const tree = await run(['graph', a]);
    expect(tree.code).toBe(0);
    expect(tree.stdout).toContain(`task: ${a}  queued`);
    expect(tree.stdout).toContain(`└▶ ${b.key}  waiting  after succeeded`);
    const json = JSON.parse((await run(['graph', b.key, '--json'])).stdout) as {
      nodes: { key: string; distance: number }[];
    };
    expect(json.nodes.map((node) => [node.key, node.distance])).toEqual([
      [b.key, 0],
      [a, -1],
    ]);

    const refused = await run(['task', 'delete', a]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(b.key);
    const cascaded = await run(['task', 'delete', a, '--cascade']);
    expect(cascaded.code, cascaded.stderr).toBe(0);
    const afterDelete = JSON.parse((await run(['graph', b.key, '--json'])).stdout) as {
      nodes: { key: string; state?: string; reason?: string }[];
    };
    expect(afterDelete.nodes[0]).toMatchObject({
      key: b.key,
      state: 'cancelled',
      reason: `dependency ${a} was deleted`,
    });
  });

  it('executes a task after another one ran', async () => {
    const run = await sandbox();
    const dir = await makeTaskDir({ 'run.sh': `echo ${Math.random()}\n` });
    const first = (await run(['task', 'put', dir])).stdout.trim();
    const root = await tempDir();
    const executed = await run([
      'execute',
      dir,
      path.join(root, 'result'),
      '--after',
      first,
      '--json',
    ]);
    expect(executed.code, executed.stderr).toBe(0);
    expect(executed.stdout).toContain('"submitted"');
  });

  it('refuses a malformed --input with exit 2', async () => {
    const run = await sandbox();
    const bad = await run(['task', 'put', '.', '--input', 'nonsense']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('NAME=KEY:PATH');
  });
});
