import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KolejkaClient, KolejkaServerError } from '../src/index.js';
import { runClient } from './support/cli-run.js';
import { makeTaskDir, removeTempDirs, tempDir } from './support/fixtures.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** Queue control (issue 12) through the library and the CLI, against a real server. */
let server: TestServer;
const client = (name: string): KolejkaClient =>
  new KolejkaClient({ server: server.url, token: server.users[name]?.token ?? '' });

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
  await removeTempDirs();
});

async function cli(name: string, args: string[]) {
  const root = await tempDir();
  return runClient([...args], {
    env: {
      HOME: root,
      XDG_CONFIG_DIRS: root,
      KOLEJKA_SERVER: server.url,
      KOLEJKA_TOKEN: server.users[name]?.token ?? '',
    },
    etcDir: root,
  });
}

describe('queue control in the library', () => {
  it('pauses and resumes, changes priority, moves, sets user weights', async () => {
    const manager = client('manager');
    expect(await manager.pauseQueue({ tag: 'judge' })).toMatchObject({ pausedTags: ['judge'] });
    expect(await manager.pauseQueue()).toMatchObject({ isPaused: true });
    expect((await client('alice').getQueueStatus()).isPaused).toBe(true);

    const alice = client('alice');
    const dir = await makeTaskDir();
    const first = await alice.putTask(dir);
    const second = await alice.putTask(dir);
    expect((await alice.setTaskPriority(first.key, -3)).priority).toBe(-3);
    await expect(alice.setTaskPriority(first.key, 50)).rejects.toThrow(/ceiling/);
    expect((await manager.setTaskPriority(first.key, 0)).priority).toBe(0);
    expect((await alice.moveTask(second.key, { to: 'front' })).key).toBe(second.key);
    expect((await alice.moveTask(first.key, { before: second.key })).key).toBe(first.key);
    const refused = await alice.pauseQueue().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KolejkaServerError);

    const root = client('root');
    expect(await root.setUserPolicy('bob', { weight: 2, maxQueued: 5 })).toMatchObject({
      username: 'bob',
      weight: 2,
      maxQueued: 5,
      maxRunning: null,
    });
    expect((await root.listUsers()).find((user) => user.username === 'bob')).toMatchObject({
      weight: 2,
    });
    await root.setUserPolicy('bob', { weight: null, maxQueued: null });
    expect(await manager.resumeQueue()).toMatchObject({ isPaused: false, pausedTags: ['judge'] });
    expect(await manager.resumeQueue({ tag: 'judge' })).toMatchObject({ pausedTags: [] });
    await alice.cancelTask(first.key);
    await alice.cancelTask(second.key);
  });
});

describe('kolejka-client queue and task priority|move', () => {
  it('speaks JSON with --json and explains itself', async () => {
    const paused = await cli('manager', ['queue', 'pause', '--tag', 'gpu', '--json']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain('"pausedTags":["gpu"]');
    const status = await cli('alice', ['queue', 'status']);
    expect(status.stdout).toContain('paused tags: gpu');
    expect((await cli('manager', ['queue', 'resume', '--tag', 'gpu'])).stdout).toContain(
      'queue: running',
    );
    await client('manager').pauseQueue();
    const task = await client('alice').putTask(await makeTaskDir());
    const priority = await cli('alice', ['task', 'priority', task.key, '-2', '--json']);
    expect(priority.code, priority.stderr).toBe(0);
    expect(priority.stdout).toContain('"priority":-2');
    const moved = await cli('alice', ['task', 'move', task.key, '--front']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`${task.key} moved`);
    const none = await cli('alice', ['task', 'move', task.key]);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--front, --back or --before/);
    const help = await cli('alice', ['task', 'move', '--help']);
    expect(help.stdout).toContain('--before');
    await client('manager').resumeQueue();
    await client('alice').cancelTask(task.key);
  });
});
