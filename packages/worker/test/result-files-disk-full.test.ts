import { execFileSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTaskResultFiles } from '../src/task-files/result-files.js';
import { scratch } from './support/fixtures.js';

let tmp: Awaited<ReturnType<typeof scratch>>;
let small: string;

beforeAll(async () => {
  tmp = await scratch('result-files-disk-full');
  small = path.join(tmp.dir, 'small');
  await mkdir(small);
  // A real file system that fills up (root is needed to mount it).
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
});

afterAll(async () => {
  execFileSync('umount', ['-l', small]);
  await tmp.cleanup();
});

describe('taking the result files out of the jail', () => {
  it('fails on a full disk instead of leaving a file out of the result', async () => {
    const jailResult = path.join(tmp.dir, 'jail-result');
    await mkdir(jailResult);
    await writeFile(path.join(jailResult, 'small.txt'), 'fits');
    await writeFile(path.join(jailResult, 'big.bin'), Buffer.alloc(4 * 1024 * 1024));
    await expect(copyTaskResultFiles(jailResult, small)).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('still skips a file that cannot be stored for another reason', async () => {
    const jailResult = path.join(tmp.dir, 'jail-result-2');
    const resultDir = path.join(tmp.dir, 'result-2');
    await mkdir(jailResult);
    await mkdir(resultDir);
    await writeFile(path.join(jailResult, 'ok.txt'), 'ok');
    // A directory in the result where the task has a file of the same name: that one is skipped.
    await mkdir(path.join(resultDir, 'clash'));
    await writeFile(path.join(jailResult, 'clash'), 'x');
    await copyTaskResultFiles(jailResult, resultDir);
    expect((await readdir(resultDir)).sort()).toEqual(['clash', 'ok.txt']);
  });
});
