import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelayMs } from '@kolejka/cli-kit/backoff';
import { KolejkaServerError } from '@kolejka/client';
import { KolejkaError } from '@kolejka/spec';
import { classifyRunError, classifyUploadError } from '../src/tasks/failures.js';
import { lockTempDir } from '../src/temp-lock.js';
import { deadlineMs } from '../src/tasks/task-runner.js';
import { mountsBelow, scanWorkDirs, spoolResult, workDirOf } from '../src/tasks/work-dirs.js';

let temp: string;
beforeEach(async () => {
  temp = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-foreman-spool-'));
});
afterEach(() => rm(temp, { recursive: true, force: true }));

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(32);

describe('the spool', () => {
  it('finds spooled results and tells apart the work an earlier run abandoned', async () => {
    const spooled = workDirOf(temp, { key: KEY_A, attempt: 2 });
    await mkdir(spooled.resultDir, { recursive: true });
    await spoolResult(spooled, { key: KEY_A, attempt: 2 });
    const unfinished = workDirOf(temp, { key: KEY_B, attempt: 1 });
    await mkdir(unfinished.taskDir, { recursive: true });
    await mkdir(path.join(temp, 'tasks', 'junk'));
    const mismatched = workDirOf(temp, { key: KEY_B, attempt: 3 });
    await mkdir(mismatched.root, { recursive: true });
    await writeFile(
      path.join(mismatched.root, 'spool.json'),
      JSON.stringify({ key: KEY_A, attempt: 3 }),
    );
    const found = await scanWorkDirs(temp);
    expect(found.spooled).toEqual([
      { key: KEY_A, attempt: 2, spooledAt: expect.any(String), workDir: spooled },
    ]);
    expect(found.abandoned.sort()).toEqual(
      [unfinished.root, mismatched.root, path.join(temp, 'tasks', 'junk')].sort(),
    );
    expect((await readdir(spooled.root)).sort()).toEqual(['result', 'spool.json']);
  });

  it('lists mounts left below a directory, deepest first, with the kernel’s escapes undone', async () => {
    const mounts = path.join(temp, 'mounts');
    await writeFile(
      mounts,
      [
        'tmpfs /var/tmp/kf/tasks/x.1/jail/kolejka-worker-1/work tmpfs rw 0 0',
        'tmpfs /var/tmp/kf/tasks/x.1 tmpfs rw 0 0',
        'tmpfs /var/tmp/kf/tasks/x.10 tmpfs rw 0 0',
        'tmpfs /var/tmp/kf/tasks/x.1/with\\040space tmpfs rw 0 0',
        '',
      ].join('\n'),
    );
    expect(await mountsBelow('/var/tmp/kf/tasks/x.1', mounts)).toEqual([
      '/var/tmp/kf/tasks/x.1/jail/kolejka-worker-1/work',
      '/var/tmp/kf/tasks/x.1/with space',
      '/var/tmp/kf/tasks/x.1',
    ]);
  });
});

describe('failure classification', () => {
  const server = (
    status: number,
    code: 'KOLEJKA_CONFLICT' | 'KOLEJKA_UNAVAILABLE' | 'KOLEJKA_VALIDATION' | 'KOLEJKA_NOT_FOUND',
  ) => new KolejkaServerError(code, `status ${status}`, { status, url: 'http://x' });

  it('drops results of stale attempts, retries while the server is away, fails refused results', () => {
    expect(classifyUploadError(server(409, 'KOLEJKA_CONFLICT')).kind).toBe('drop');
    expect(classifyUploadError(server(404, 'KOLEJKA_NOT_FOUND')).kind).toBe('drop');
    expect(classifyUploadError(server(503, 'KOLEJKA_UNAVAILABLE')).kind).toBe('retry');
    expect(classifyUploadError(new KolejkaError('KOLEJKA_UNAVAILABLE', 'refused')).kind).toBe(
      'retry',
    );
    expect(classifyUploadError(new Error('ECONNRESET')).kind).toBe('retry');
    expect(classifyUploadError(server(400, 'KOLEJKA_VALIDATION')).kind).toBe('fail');
  });

  it('fails bad tasks and missing images, hands back what broke on this machine before the start', () => {
    const invalid = new KolejkaError('KOLEJKA_VALIDATION', 'stdin names no file');
    const noImage = new KolejkaError(
      'KOLEJKA_DOCKER',
      'image nope:1 is not available locally and could not be pulled: pull access denied',
    );
    const dockerDown = new KolejkaError(
      'KOLEJKA_DOCKER',
      'cannot create the container: connect ENOENT',
    );
    expect(classifyRunError(invalid, false).kind).toBe('fail');
    expect(classifyRunError(noImage, false)).toEqual({ kind: 'fail', reason: noImage.message });
    expect(classifyRunError(dockerDown, false).kind).toBe('reject');
    expect(classifyRunError(dockerDown, true).kind).toBe('fail');
  });
});

describe('small parts', () => {
  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffDelayMs({ baseMs: 100, maxMs: 1000 }, 0, () => 1)).toBe(100);
    expect(backoffDelayMs({ baseMs: 100, maxMs: 1000 }, 3, () => 1)).toBe(800);
    expect(backoffDelayMs({ baseMs: 100, maxMs: 1000 }, 10, () => 0.5)).toBe(500);
  });

  it('gives a task its time limit plus 10 s and 10 % before the foreman aborts it', () => {
    expect(deadlineMs(10)).toBe(21_000);
    expect(deadlineMs(0.5)).toBe(10_550);
  });

  it('locks the temp dir against a second live foreman and takes over a dead one’s lock', async () => {
    const release = await lockTempDir(temp);
    await writeFile(path.join(temp, 'foreman.pid'), `${process.ppid}\n`);
    await expect(lockTempDir(temp)).rejects.toThrow(/Another foreman \(pid \d+\) uses/);
    await writeFile(path.join(temp, 'foreman.pid'), '999999999\n');
    const again = await lockTempDir(temp);
    await again();
    await release();
    expect(await readdir(temp)).toEqual([]);
  });
});
