import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyCollected, planCollect } from '../src/task-files/collect.js';
import { scratch } from './support/fixtures.js';

describe('collect: strip, prefix, order, symlinks', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  let task: string;

  beforeAll(async () => {
    tmp = await scratch('collect');
    task = path.join(tmp.dir, 'task');
    await mkdir(path.join(task, 'out/a'), { recursive: true });
    await mkdir(path.join(task, 'other/a'), { recursive: true });
    await writeFile(path.join(task, 'out/a/x.txt'), 'from out');
    await writeFile(path.join(task, 'other/a/x.txt'), 'from other');
    await writeFile(path.join(task, 'top.txt'), 'top');
    await symlink('/etc/shadow', path.join(task, 'out/shadow.txt'));
    await symlink('../top.txt', path.join(task, 'out/top-link.txt'));
  });
  afterAll(() => tmp.cleanup());

  it('strips leading components (never the last) and puts the prefix in front', async () => {
    const plan = await planCollect(task, [
      { glob: 'out/a/x.txt', strip: 1, prefix: 'p' },
      { glob: 'top.txt', strip: 5, prefix: '' },
    ]);
    expect(plan.map((file) => file.name).sort()).toEqual(['p/a/x.txt', 'top.txt']);
  });

  it('processes matches in reverse-sorted order: the last one for a destination wins', async () => {
    // Both map to a/x.txt; reverse order puts "out/…" before "other/…", so other wins.
    const plan = await planCollect(task, [{ glob: '*/a/x.txt', strip: 1, prefix: '' }]);
    expect(plan.map((file) => file.name)).toEqual(['a/x.txt', 'a/x.txt']);
    const result = path.join(tmp.dir, 'result-order');
    await copyCollected(result, plan);
    expect(await readFile(path.join(result, 'a/x.txt'), 'utf8')).toBe('from other');
  });

  it('copies a link target inside the task dir, never one outside it', async () => {
    const plan = await planCollect(task, [{ glob: 'out/*.txt', strip: 1, prefix: '' }]);
    expect(plan.map((file) => file.name)).toEqual(['top-link.txt']);
    const result = path.join(tmp.dir, 'result-links');
    await copyCollected(result, plan);
    expect(await readFile(path.join(result, 'top-link.txt'), 'utf8')).toBe('top');
  });

  it('skips a destination that cannot be written instead of failing', async () => {
    const result = path.join(tmp.dir, 'result-conflict');
    await mkdir(path.join(result, 'top.txt'), { recursive: true });
    const warnings: string[] = [];
    const logger = {
      error: () => {},
      warn: (message: string) => warnings.push(message),
      info: () => {},
      debug: () => {},
      child: () => logger,
    };
    await copyCollected(
      result,
      await planCollect(task, [{ glob: 'top.txt', strip: 0, prefix: '' }]),
      logger,
    );
    expect(warnings).toEqual(['collect could not store a file']);
  });
});
