import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResult } from '@kolejka/spec';
import { createWorker } from '../src/worker.js';
import { makeJudgeTaskDir } from '../../../test/support/judge-task-dir.js';
import { scratch } from './support/fixtures.js';

let tmp: Awaited<ReturnType<typeof scratch>>;
const worker = createWorker();

beforeAll(async () => {
  tmp = await scratch('judge');
});

afterAll(async () => {
  await worker.close();
  await tmp.cleanup();
});

describe('a kolejka-judge task dir (links to absolute paths)', () => {
  it('runs with the linked contents, kolejka_task.json beside them, no task link followed', async () => {
    const task = path.join(tmp.dir, 'task');
    const result = path.join(tmp.dir, 'result');
    const sources = path.join(tmp.dir, 'sources');
    await makeJudgeTaskDir(task, sources);
    const run = await worker.execute(task, result, { tempDir: path.join(tmp.dir, 'jails') });
    const console = await readFile(path.join(result, 'console.txt'), 'utf8');
    expect(run.result, console).toBe(0);
    expect(console).toBe('print("judge")\n1:\n  input: tests/001/1.in\nanswer 42\n');
    // The spec in the container names every file by its name there, as the original's.
    const jailed = JSON.parse(await readFile(path.join(result, 'jailed_task.json'), 'utf8')) as {
      id: string;
      files: Record<string, unknown>;
    };
    expect(jailed.id).toBe(run.id);
    expect(jailed.files).toEqual({
      'judge.py': { path: 'judge.py' },
      'solution/solution.sh': { path: 'solution/solution.sh' },
      'tests/001/1.in': { path: 'tests/001/1.in' },
      'tests/tests.yaml': { path: 'tests/tests.yaml' },
    });
    // Links made by task code: neither the result dir's nor a collected one is followed.
    expect(Object.keys((await readResult(result)).files).sort()).toEqual([
      'console.txt',
      'jailed_task.json',
    ]);
    // The user's files are untouched.
    expect(await readFile(path.join(sources, '1.in'), 'utf8')).toBe('42\n');
  });

  it('copies linked files with consume, leaving the link targets in place', async () => {
    const task = path.join(tmp.dir, 'consume-task');
    const sources = path.join(tmp.dir, 'consume-sources');
    await makeJudgeTaskDir(task, sources);
    const run = await worker.execute(task, path.join(tmp.dir, 'consume-result'), {
      consume: true,
    });
    expect(run.result).toBe(0);
    expect(await readFile(path.join(sources, 'solution.sh'), 'utf8')).toContain('answer');
  });
});
