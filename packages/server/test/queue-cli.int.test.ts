import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../src/blobs/open-storage.js';
import { runCliCaptured } from './support/cli-run.js';

/** `kolejka-server queue …` and `user weight|limits` (issue 12) on a real SQLite store. */
let home: string;
const cli = (args: string[]) => runCliCaptured([...args, '--home', home]);

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-queue-cli-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('kolejka-server queue', () => {
  it('pauses, shows and resumes the whole queue and single tags, in the store', async () => {
    expect((await cli(['queue', 'status'])).stdout).toContain('queue: running');
    const paused = await cli(['queue', 'pause', '--tag', 'judge', '--json']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ isPaused: false, pausedTags: ['judge'] });
    expect((await cli(['queue', 'pause'])).stdout).toContain('queue: paused');
    // Another process (a server) reads the same pauses from the store.
    const storage = await openStorage({ home });
    try {
      expect((await storage.store.listQueuePauses()).map((p) => p.tag ?? '*')).toEqual([
        '*',
        'judge',
      ]);
    } finally {
      await storage.store.close();
      await storage.blobs.close();
    }
    expect((await cli(['queue', 'resume'])).stdout).toContain('paused tags: judge');
    const resumed = await cli(['queue', 'resume', '--tag', 'judge', '--json']);
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      isPaused: false,
      pausedTags: [],
      pauses: [],
    });
  });

  it('explains itself', async () => {
    const help = await runCliCaptured(['queue', '--help']);
    for (const word of ['pause', 'resume', 'status']) expect(help.stdout).toContain(word);
    const pause = await runCliCaptured(['queue', 'pause', '--help']);
    expect(pause.stdout).toContain('--tag');
    expect(pause.stdout).toContain('--json');
  });
});

describe('kolejka-server user weight and limits', () => {
  it('sets a weight and limits, and removes a limit with none', async () => {
    expect((await cli(['user', 'add', 'carol', '--role', 'client'])).code).toBe(0);
    const weight = await cli(['user', 'weight', 'carol', '3', '--json']);
    expect(weight.code, weight.stderr).toBe(0);
    expect(JSON.parse(weight.stdout)).toEqual({
      username: 'carol',
      weight: 3,
      maxRunning: null,
      maxQueued: null,
    });
    const limits = await cli([
      'user',
      'limits',
      'carol',
      '--max-running',
      '2',
      '--max-queued',
      '10',
    ]);
    expect(limits.stdout).toContain('weight 3, max running 2, max queued 10');
    const cleared = await cli(['user', 'limits', 'carol', '--max-running', 'none', '--json']);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ maxRunning: null, maxQueued: 10 });
    // `user list` shows them.
    expect((await cli(['user', 'list'])).stdout).toMatch(/^carol\s.*\s3\s+-\s+10$/m);
    const bad = await cli(['user', 'weight', 'carol', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/weight/i);
    const missing = await cli(['user', 'weight', 'nobody', '2']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('nobody');
  });
});
