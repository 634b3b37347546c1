import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KolejkaClient } from '../src/index.js';
import { runClient, type CliRun } from './support/cli-run.js';
import { makeTaskDir, removeTempDirs, tempDir } from './support/fixtures.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/**
 * `kolejka-client schedule …` and the library's schedule methods against a real server
 * whose clock the test moves (so a `* * * * *` schedule fires when the test says).
 */
let now = new Date('2025-06-01T10:00:30.000Z');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ clock: () => now, settings: { schedulePollMs: 60_000 } });
});
afterAll(async () => {
  await server.close();
  await removeTempDirs();
});

async function sandbox() {
  const root = await tempDir();
  const user = await server.addUser(`sched${Math.random().toString(36).slice(2, 10)}`, ['client']);
  const env: Record<string, string> = {
    HOME: path.join(root, 'home'),
    XDG_CONFIG_DIRS: path.join(root, 'xdg'),
    KOLEJKA_SERVER: server.url,
    KOLEJKA_TOKEN: user.token,
  };
  const run = (args: string[]): Promise<CliRun> =>
    runClient(args, { env, etcDir: path.join(root, 'etc') });
  return { user, run };
}

const json = (run: CliRun): Record<string, unknown> => {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Record<string, unknown>;
};

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('not in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('kolejka-client schedule', () => {
  it('explains its commands', async () => {
    const { run } = await sandbox();
    const help = await run(['schedule', '--help']);
    expect(help.code).toBe(0);
    for (const command of ['add', 'list', 'show', 'pause', 'resume', 'remove'])
      expect(help.stdout).toContain(`schedule ${command}`);
    const add = await run(['schedule', 'add', '--help']);
    for (const flag of ['--cron', '--timezone', '--priority', '--overlap', '--json', '--memory'])
      expect(add.stdout).toContain(flag);
  });

  it('adds a schedule from a task dir, lists, shows, fires, pauses, resumes and removes it', async () => {
    const { run, user } = await sandbox();
    const dir = await makeTaskDir({ 'run.sh': `echo ${user.username}\n` });
    now = new Date('2025-06-01T10:00:30.000Z');
    const added = json(
      await run([
        'schedule',
        'add',
        dir,
        '--cron',
        '* * * * *',
        '--timezone',
        'Europe/Warsaw',
        '--priority',
        '3',
        '--overlap',
        'allow',
        '--name',
        'every minute',
        '--json',
      ]),
    );
    expect(added).toMatchObject({
      uploadedFiles: 1,
      nextFiringAt: '2025-06-01T10:01:00.000Z',
      schedule: { cron: '* * * * *', timezone: 'Europe/Warsaw', priority: 3, overlap: 'allow' },
    });
    const id = added.id as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    // Human output: the id alone.
    const plain = await run(['schedule', 'add', dir, '--cron', '@daily']);
    expect(plain.stdout.trim()).toMatch(/^[0-9a-f]{32}$/);

    const listed = json(await run(['schedule', 'list', '--json']));
    // Both created at the same (fake) time: oldest first, then by id.
    expect((listed.items as { id: string }[]).map((s) => s.id)).toEqual(
      [id, plain.stdout.trim()].sort(),
    );
    const table = await run(['schedule', 'list']);
    expect(table.stdout).toMatch(
      new RegExp(`^${id}\\s+active\\s+\\* \\* \\* \\* \\*\\s+Europe/Warsaw`, 'm'),
    );

    // The tick passes; resuming an active schedule changes nothing but wakes the runner.
    now = new Date('2025-06-01T10:01:00.300Z');
    json(await run(['schedule', 'resume', id, '--json']));
    const shown = await until(async () => {
      const view = json(await run(['schedule', 'show', id, '--json']));
      return view.lastTask === undefined ? undefined : view;
    });
    expect(shown).toMatchObject({ firedCount: 1, lastTask: { state: 'queued' } });
    const taskKey = (shown.lastTask as { key: string }).key;
    const task = json(await run(['task', 'list', '--json']));
    expect(task.items).toEqual([
      expect.objectContaining({ key: taskKey, schedule: id, priority: 3 }),
    ]);

    const paused = json(await run(['schedule', 'pause', id, '--json']));
    expect(paused).toMatchObject({ id, paused: true });
    expect((await run(['schedule', 'list'])).stdout).toMatch(new RegExp(`^${id}\\s+paused`, 'm'));
    expect(json(await run(['schedule', 'resume', id, '--json']))).toMatchObject({ paused: false });

    expect(json(await run(['schedule', 'remove', id, '--json']))).toEqual({ id, removed: true });
    const gone = await run(['schedule', 'show', id, '--json']);
    expect(gone.code).not.toBe(0);
    expect(JSON.parse(gone.stdout)).toMatchObject({ error: { code: 'KOLEJKA_NOT_FOUND' } });
  });

  it('reports a bad cron expression with its JSON path, before nothing is created', async () => {
    const { run } = await sandbox();
    const dir = await makeTaskDir();
    const bad = await run(['schedule', 'add', dir, '--cron', '99 * * * *', '--json']);
    expect(bad.code).not.toBe(0);
    const error = (JSON.parse(bad.stdout) as { error: { code: string; details: unknown } }).error;
    expect(error.code).toBe('KOLEJKA_VALIDATION');
    expect(error.details).toMatchObject({ issues: [{ path: '/cron' }] });
    expect(bad.stderr).toMatch(/cron/);
    expect(json(await run(['schedule', 'list', '--json']))).toEqual({ items: [] });
    const badId = await run(['schedule', 'pause', 'nope']);
    expect(badId.code).not.toBe(0);
    expect(badId.stderr).toMatch(/not a schedule id/);
  });
});

describe('KolejkaClient schedules', () => {
  it('adds, reads, changes the priority of, and removes a schedule (typed)', async () => {
    const user = await server.addUser(`lib${Math.random().toString(36).slice(2, 10)}`, ['client']);
    const client = new KolejkaClient({ server: server.url, token: user.token });
    try {
      const dir = await makeTaskDir();
      const { schedule, uploadedCount } = await client.addSchedule(dir, {
        cron: '@hourly',
        paused: true,
      });
      expect(uploadedCount).toBeLessThanOrEqual(1);
      expect(schedule).toMatchObject({ cron: '@hourly', timezone: 'UTC', paused: true });
      expect(schedule.nextFiringAt).toBeUndefined();
      expect((await client.setSchedulePriority(schedule.id, -5)).priority).toBe(-5);
      const resumed = await client.resumeSchedule(schedule.id);
      expect(resumed.nextFiringAt).toMatch(/T\d\d:00:00\.000Z$/);
      expect((await client.listSchedules()).map((s) => s.id)).toEqual([schedule.id]);
      expect((await client.getSchedule(schedule.id)).task.args).toEqual(['sh', 'run.sh']);
      await client.removeSchedule(schedule.id);
      expect(await client.listSchedules()).toEqual([]);
    } finally {
      await client.close();
    }
  });
});
