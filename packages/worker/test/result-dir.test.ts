import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyStats, noopLogger, parseTask, readResult } from '@kolejka/spec';
import type { Jail } from '../src/task-files/jail.js';
import { writeResultDir } from '../src/task-files/result-dir.js';
import type { ValidTask } from '../src/task-files/task-input.js';
import { scratch } from './support/fixtures.js';

let tmp: Awaited<ReturnType<typeof scratch>>;
let jail: Jail;

beforeAll(async () => {
  tmp = await scratch('result-dir');
  const root = path.join(tmp.dir, 'jail');
  jail = {
    root,
    taskDir: path.join(root, 'work', 'task'),
    resultDir: path.join(root, 'work', 'result'),
    outputDir: path.join(root, 'output'),
    tmpfs: false,
  };
  for (const dir of [jail.taskDir, jail.resultDir, jail.outputDir]) {
    await mkdir(dir, { recursive: true });
  }
});

afterAll(async () => {
  await tmp.cleanup();
});

const task = (id: string): ValidTask['task'] => ({
  ...parseTask({ id, image: 'kolejka-test/busybox:latest', args: ['true'] }),
  id,
  image: 'kolejka-test/busybox:latest',
});

const outcome = {
  exitCode: 0,
  stats: { ...emptyStats(), memory: { usage: 1024, max_usage: 4096 }, time: 0.5 },
  termination: { reason: 'exited' as const },
  logger: noopLogger,
};

describe('kolejka_result.json', () => {
  it('says which stats are sampled and which limits were not enforced', async () => {
    const dir = path.join(tmp.dir, 'sampled');
    const returned = await writeResultDir(task('t1'), {}, jail, dir, {
      ...outcome,
      unenforcedLimits: ['swap'],
      sampledStats: ['memory.max_usage'],
    });
    const read = await readResult(dir);
    expect(read.sampled_stats).toEqual(['memory.max_usage']);
    expect(read.unenforced_limits).toEqual(['swap']);
    expect(read).toEqual(returned);
  });

  it('says neither where the kernel counted and limited everything', async () => {
    const dir = path.join(tmp.dir, 'exact');
    const result = await writeResultDir(task('t2'), {}, jail, dir, {
      ...outcome,
      unenforcedLimits: [],
      sampledStats: [],
    });
    expect(result.sampled_stats).toBeUndefined();
    expect((await readResult(dir)).unenforced_limits).toBeUndefined();
  });
});
