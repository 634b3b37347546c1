import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readResult } from '@kolejka/spec';
import { makeJudgeTaskDir } from '../../../test/support/judge-task-dir.js';
import {
  EXAMPLES_DIR,
  busyboxTask,
  containersNamed,
  scratch,
  writeTaskDir,
} from './support/fixtures.js';

const packageDir = path.resolve(import.meta.dirname, '..');
const bin = path.join(packageDir, 'bin/kolejka-worker.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const run = spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

let tmp: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  tmp = await scratch('cli');
  // The bin runs the built CLI: build it when the sources are newer (CI builds first anyway).
  const sources = await readdir(path.join(packageDir, 'src'));
  const built = await stat(path.join(packageDir, 'dist/cli.js')).catch(() => undefined);
  let newest = 0;
  for (const file of sources)
    newest = Math.max(newest, (await stat(path.join(packageDir, 'src', file))).mtimeMs);
  if (built === undefined || built.mtimeMs < newest) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
      cwd: packageDir,
      stdio: 'inherit',
    });
  }
}, 120_000);

afterAll(() => tmp.cleanup());

describe('kolejka-worker execute', () => {
  it('runs a kolejka-judge task dir of links to absolute paths', async () => {
    const task = path.join(tmp.dir, 'judge-task');
    const result = path.join(tmp.dir, 'judge-result');
    await makeJudgeTaskDir(task, path.join(tmp.dir, 'judge-sources'));
    const run = cli(['execute', task, result]);
    expect(run.status, run.stderr).toBe(0);
    const spec = await readResult(result);
    expect(Object.keys(spec.files).sort()).toEqual(['console.txt', 'jailed_task.json']);
  });

  it('runs a task, prints a one-line summary and exits 0', async () => {
    const result = path.join(tmp.dir, 'hello-result');
    const run = cli([
      'execute',
      path.join(EXAMPLES_DIR, 'hello'),
      result,
      '--memory',
      '32M',
      '--time',
      '5s',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^\S+: exit code 0, termination exited, time [\d.]+s, memory \d+b, cpu [\d.]+s\n$/,
    );
    expect((await readResult(result)).limits).toMatchObject({ memory: 32 * 1024 * 1024, time: 5 });
  });

  it("exits 0 whatever the task's own exit code, which the summary shows", async () => {
    const task = await writeTaskDir(
      path.join(tmp.dir, 'exit3'),
      busyboxTask(['sh', '-c', 'exit 3']),
    );
    const run = cli(['execute', task, path.join(tmp.dir, 'exit3-result')]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('exit code 3, termination exited');
  });

  it('applies --time with the original grammar (500m is 500 ms)', async () => {
    const task = await writeTaskDir(path.join(tmp.dir, 'sleep'), busyboxTask(['sleep', '10']));
    const run = cli(['execute', task, path.join(tmp.dir, 'sleep-result'), '--time', '500m']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('exit code 137, termination time_limit');
  });

  it('exits 1 for an invalid task, naming the field, without a stack trace', async () => {
    const task = await writeTaskDir(path.join(tmp.dir, 'bad'), {
      args: ['true'],
      limits: { time: '1 sec' },
    });
    const result = path.join(tmp.dir, 'bad-result');
    const run = cli(['execute', task, result]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^kolejka-worker: Invalid .*kolejka_task\.json: limits\.time "1 sec" is not a valid time/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await expect(stat(result)).rejects.toThrow(/ENOENT/);
    expect(cli(['execute', task, result], { KOLEJKA_LOG_LEVEL: 'debug' }).stderr).toMatch(
      /\n\s+at /,
    );
  });

  it('exits 2 for usage errors', () => {
    expect(cli(['execute']).status).toBe(2);
    expect(cli(['frobnicate']).status).toBe(2);
    const badFlag = cli(['execute', 'a', 'b', '--memory', '64Mi']);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toContain('--memory: "64Mi" is not a valid memory size');
  });

  it('documents every option in --help', () => {
    const help = cli(['execute', '--help']).stdout;
    for (const flag of [
      '--pull',
      '--temp',
      '--consume',
      '--output-limit',
      '--cpus',
      '--memory',
      '--swap',
      '--pids',
      '--storage',
      '--image',
      '--workspace',
      '--time',
      '--network',
      '--gpus',
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/Exit status: 0 when the task ran/);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)(
    'on %s kills the container, cleans up and exits %i',
    async (signal, status) => {
      const task = await writeTaskDir(
        path.join(tmp.dir, `long-${signal}`),
        busyboxTask(['sleep', '30'], { id: `cli-${signal}-${process.pid}` }),
      );
      const temp = path.join(tmp.dir, `temp-${signal}`);
      const child = spawn(
        process.execPath,
        [bin, 'execute', task, path.join(tmp.dir, `long-${signal}-result`), '--temp', temp],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const prefix = `kolejka-worker-cli-${signal}-${process.pid}-`;
      const deadline = Date.now() + 20_000;
      while ((await containersNamed(prefix)).length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await containersNamed(prefix)).toHaveLength(1);
      child.kill(signal);
      const exited = await new Promise<number | null>((resolve) =>
        child.on('exit', (code) => resolve(code)),
      );
      expect(exited).toBe(status);
      expect(await containersNamed(prefix)).toEqual([]);
      expect(await readdir(temp)).toEqual([]);
    },
    60_000,
  );
});
