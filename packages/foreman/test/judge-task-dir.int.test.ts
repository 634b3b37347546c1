import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResult } from '@kolejka/spec';
import { makeJudgeTaskDir } from '../../../test/support/judge-task-dir.js';
import { Cluster, type ServerHandle } from './support/cluster.js';

let cluster: Cluster;
let server: ServerHandle;

beforeAll(async () => {
  cluster = await Cluster.create();
  server = await cluster.startServer();
  await cluster.startForeman('judge', [server.url]);
}, 60_000);

afterAll(async () => {
  await cluster.close();
});

describe('`judge.py client`: a task dir of links through `kolejka-client execute`', () => {
  it('uploads the linked files, runs them with kolejka_task.json, follows no link back', async () => {
    const task = path.join(cluster.home, 'judge-task');
    const sources = path.join(cluster.home, 'judge-sources');
    const resultDir = path.join(cluster.home, 'judge-result');
    await makeJudgeTaskDir(task, sources);
    const run = await cluster.runClient(server.url, ['execute', task, resultDir]);
    expect(run.code, run.stderr).toBe(0);
    const console = await readFile(path.join(resultDir, 'console.txt'), 'utf8');
    expect(console).toBe('print("judge")\n1:\n  input: tests/001/1.in\nanswer 42\n');
    const jailed = JSON.parse(await readFile(path.join(resultDir, 'jailed_task.json'), 'utf8')) as {
      files: Record<string, unknown>;
    };
    expect(Object.keys(jailed.files).sort()).toEqual([
      'judge.py',
      'solution/solution.sh',
      'tests/001/1.in',
      'tests/tests.yaml',
    ]);
    // The links task code made (in its result dir, collected) came back as nothing.
    expect(Object.keys((await readResult(resultDir)).files).sort()).toEqual([
      'console.txt',
      'jailed_task.json',
    ]);
  }, 180_000);
});
