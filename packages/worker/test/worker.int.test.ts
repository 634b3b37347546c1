import { mkdir, readFile, readdir, stat, writeFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKolejkaError, readResult } from '@kolejka/spec';
import type { WorkerEvent } from '../src/options.js';
import { storageQuotaPossible } from '../src/execution/host-preparation.js';
import { createWorker } from '../src/worker.js';
import { docker } from '../../../test/support/docker-cli.js';
import {
  EXAMPLES_DIR,
  busyboxTask,
  containersNamed,
  leftoverCgroups,
  scratch,
  writeTaskDir,
} from './support/fixtures.js';

let tmp: Awaited<ReturnType<typeof scratch>>;
const worker = createWorker();
let counter = 0;
const jails = (): string => path.join(tmp.dir, 'jails');
const fresh = (name: string): { task: string; result: string } => {
  counter += 1;
  return {
    task: path.join(tmp.dir, `${name}-${counter}-task`),
    result: path.join(tmp.dir, `${name}-${counter}-result`),
  };
};

async function expectError(
  promise: Promise<unknown>,
  code: string,
  message: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isKolejkaError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

beforeAll(async () => {
  tmp = await scratch('worker');
  await mkdir(jails());
});

afterAll(async () => {
  await worker.close();
  await tmp.cleanup();
});

describe('invalid tasks are refused before anything is touched', () => {
  it('names every bad field and writes nothing', async () => {
    const { task, result } = fresh('bad');
    await writeTaskDir(task, {
      args: [],
      limits: { memory: '64Mi' },
      files: { 'a.sh': { path: '../outside.sh' } },
    });
    await expectError(
      worker.execute(task, result, { tempDir: jails() }),
      'KOLEJKA_VALIDATION',
      /limits\.memory "64Mi" is not a valid memory size/,
    );
    await writeTaskDir(task, {
      args: [],
      files: { 'a.sh': { path: 'missing.sh' }, b: { reference: 'r' } },
      stdin: 'in.txt',
    });
    const error = await worker
      .execute(task, result, { tempDir: jails() })
      .catch((caught: unknown) => caught);
    const message = (error as Error).message;
    for (const field of ['image', 'args', 'files["a.sh"].path', 'files.b', 'stdin']) {
      expect(message).toContain(field);
    }
    await expect(stat(result)).rejects.toThrow(/ENOENT/);
    expect(await readdir(jails())).toEqual([]);
  });

  it('refuses a file that leads out of the task directory through a symlink', async () => {
    const { task, result } = fresh('symlink');
    await writeTaskDir(task, busyboxTask(['true'], { files: { x: 'link' } }));
    const { symlink } = await import('node:fs/promises');
    await symlink('/etc/hostname', path.join(task, 'link'));
    // As a foreman runs it: a task dir made from what a server sent follows no link out.
    await expectError(
      worker.execute(task, result, { shouldFollowLinks: false }),
      'KOLEJKA_VALIDATION',
      /files\.x\.path "link" leads outside/,
    );
  });

  it('refuses a non-empty result directory and leaves it alone', async () => {
    const { task, result } = fresh('nonempty');
    await writeTaskDir(task, busyboxTask(['true']));
    await mkdir(result);
    await writeFile(path.join(result, 'keep.txt'), 'mine');
    await expectError(worker.execute(task, result), 'KOLEJKA_CONFLICT', /not empty/);
    expect(await readdir(result)).toEqual(['keep.txt']);
  });
});

describe('images', () => {
  it('says clearly when an image is missing and cannot be pulled; nothing is left', async () => {
    const { task, result } = fresh('image');
    const id = `missing-image-${process.pid}`;
    await writeTaskDir(task, {
      ...busyboxTask(['true']),
      id,
      image: 'kolejka-test/does-not-exist:latest',
    });
    await expectError(
      worker.execute(task, result, { tempDir: jails() }),
      'KOLEJKA_DOCKER',
      /^image kolejka-test\/does-not-exist:latest is not available locally and could not be pulled: \S/,
    );
    await expect(stat(result)).rejects.toThrow(/ENOENT/);
    expect(await readdir(jails())).toEqual([]);
    // The parent cgroup, made while Docker tried the create, is gone too.
    expect((await leftoverCgroups()).filter((dir) => dir.includes(id))).toEqual([]);
  }, 60_000);

  it("overrides the image's entrypoint: the args are the command", async () => {
    const image = `kolejka-test-worker-entrypoint:${process.pid}`;
    const { spawnSync } = await import('node:child_process');
    const build = spawnSync('docker', ['build', '-q', '-t', image, '-'], {
      input: 'FROM kolejka-test/busybox:latest\nENTRYPOINT ["false"]\n',
    });
    expect(build.status, build.stderr.toString()).toBe(0);
    try {
      const { task, result } = fresh('entrypoint');
      await writeTaskDir(task, {
        ...busyboxTask(['echo', 'the args ran']),
        image,
        stdout: 'out.txt',
      });
      const run = await worker.execute(task, result);
      expect(run.result).toBe(0);
      expect(await readFile(path.join(result, 'out.txt'), 'utf8')).toBe('the args ran\n');
    } finally {
      await docker(['rmi', '-f', image]);
    }
  }, 60_000);
});

describe('running', () => {
  it('reports a command that cannot be started as start_failed (127), with a result', async () => {
    const { task, result } = fresh('start');
    await writeTaskDir(task, busyboxTask(['no-such-command'], { stdout: 'out.txt' }));
    const run = await worker.execute(task, result);
    expect(run.result).toBe(127);
    expect(run.termination).toMatchObject({
      reason: 'start_failed',
      message: expect.stringMatching(/no-such-command/),
    });
    expect((await readResult(result)).termination?.reason).toBe('start_failed');
    expect(await containersNamed(`kolejka-worker-${run.id}-`)).toEqual([]);
  });

  it('streams a large stdin through and captures stdout and stderr apart', async () => {
    const { task, result } = fresh('stdin');
    const input = 'x'.repeat(1 << 20) + '\nend\n';
    await writeTaskDir(
      task,
      busyboxTask(['sh', '-c', 'cat; echo to-stderr >&2'], {
        stdin: 'in.txt',
        stdout: 'out/stdout.txt',
        stderr: 'err.txt',
        files: { 'in.txt': 'in.txt' },
      }),
      { 'in.txt': input },
    );
    const run = await worker.execute(task, result);
    expect(run.result).toBe(0);
    expect(await readFile(path.join(result, 'out/stdout.txt'), 'utf8')).toBe(input);
    expect(await readFile(path.join(result, 'err.txt'), 'utf8')).toBe('to-stderr\n');
    expect(Object.keys(run.files).sort()).toEqual(['err.txt', 'out/stdout.txt']);
  });

  it('keeps what the task wrote to /var/lib/kolejka/result, never following links out', async () => {
    const { task, result } = fresh('resultdir');
    await writeTaskDir(
      task,
      busyboxTask([
        'sh',
        '-c',
        'cd /var/lib/kolejka/result && mkdir d && echo 1 > d/one.txt && ln -s /etc/shadow s && ln -s d/one.txt ok && echo fake > kolejka_result.json',
      ]),
    );
    const run = await worker.execute(task, result);
    expect(Object.keys(run.files).sort()).toEqual(['d/one.txt', 'ok']);
    expect(await readFile(path.join(result, 'ok'), 'utf8')).toBe('1\n');
    expect((await readResult(result)).id).toBe(run.id);
  });

  it('gives the network only when allowed', async () => {
    const { task, result } = fresh('network');
    await writeTaskDir(
      task,
      busyboxTask(['ls', '/sys/class/net'], { stdout: 'out.txt', limits: { network: true } }),
    );
    await worker.execute(task, result);
    expect((await readFile(path.join(result, 'out.txt'), 'utf8')).split('\n')).toContain('eth0');
    const denied = fresh('network');
    await writeTaskDir(
      denied.task,
      busyboxTask(['ls', '/sys/class/net'], { stdout: 'out.txt', limits: { network: true } }),
    );
    await worker.execute(denied.task, denied.result, { limits: { network: false } });
    expect(await readFile(path.join(denied.result, 'out.txt'), 'utf8')).toBe('lo\n');
  });

  it('kills at the time limit with better than 50 ms precision', async () => {
    const overshoots: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { task, result } = fresh('time');
      await writeTaskDir(task, busyboxTask(['sleep', '10'], { limits: { time: '500m' } }));
      const run = await worker.execute(task, result);
      expect(run.termination?.reason).toBe('time_limit');
      overshoots.push((run.stats.time ?? 0) - 0.5);
    }
    for (const overshoot of overshoots) {
      expect(overshoot).toBeGreaterThanOrEqual(0);
      expect(overshoot).toBeLessThan(0.05);
    }
  });

  it('applies cpus as a cpuset of that many CPUs from the offset', async () => {
    const { task, result } = fresh('cpus');
    await writeTaskDir(task, busyboxTask(['nproc'], { stdout: 'out.txt', limits: { cpus: 1 } }));
    await worker.execute(task, result, { limits: { cpus_offset: 1 } });
    expect(await readFile(path.join(result, 'out.txt'), 'utf8')).toBe('1\n');
    expect((await readResult(result)).limits).toMatchObject({ cpus: 1, cpus_offset: 1 });
  });

  it('a fork bomb that dies at once reports pids_limit with the failures read at its exit', async () => {
    const { task, result } = fresh('forkbomb');
    await writeTaskDir(
      task,
      busyboxTask(['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 30 & done'], {
        limits: { pids: 6, network: false },
      }),
    );
    const run = await worker.execute(task, result);
    expect(run.result).not.toBe(0);
    expect(run.stats.pids.failures).toBeGreaterThan(0);
    expect(run.termination?.reason).toBe('pids_limit');
  });

  it('says when the storage limit was not enforced, leaving it out of the limits', async () => {
    const { task, result } = fresh('storage');
    await writeTaskDir(task, busyboxTask(['true'], { limits: { storage: '1G' } }));
    const info = JSON.parse((await docker(['info', '--format', '{{json .}}'])).stdout) as {
      Driver?: string;
      DriverStatus?: [string, string][];
    };
    const isEnforceable = storageQuotaPossible(info);
    const run = await worker.execute(task, result);
    expect(run.result).toBe(0);
    const written = await readResult(result);
    if (isEnforceable) {
      expect(written.limits.storage).toBe(1024 ** 3);
      expect(written.unenforced_limits).toBeUndefined();
    } else {
      expect(written.limits.storage).toBeUndefined();
      expect(written.unenforced_limits).toEqual(['storage']);
    }
  });

  it('moves the files and deletes the task dir with consume', async () => {
    const { task, result } = fresh('consume');
    await cp(path.join(EXAMPLES_DIR, 'hello'), task, { recursive: true });
    const run = await worker.execute(task, result, { consume: true });
    expect(run.result).toBe(0);
    await expect(stat(task)).rejects.toThrow(/ENOENT/);
  });

  it('refuses task files that do not fit in the workspace, unmounting it again', async () => {
    const { task, result } = fresh('workspace');
    await writeTaskDir(
      task,
      busyboxTask(['true'], { files: { 'big.bin': 'big.bin' }, limits: { workspace: '64k' } }),
      {
        'big.bin': 'x'.repeat(256 * 1024),
      },
    );
    await expectError(
      worker.execute(task, result, { tempDir: jails() }),
      'KOLEJKA_VALIDATION',
      /do not fit in its workspace/,
    );
    expect(await readdir(jails())).toEqual([]);
    expect(await readFile('/proc/mounts', 'utf8')).not.toContain(jails());
  });
});

describe('events and cancellation', () => {
  it('reports container:started, and an abort kills the container within 1 s', async () => {
    const { task, result } = fresh('cancel');
    await writeTaskDir(task, busyboxTask(['sleep', '30']));
    const controller = new AbortController();
    const events: WorkerEvent[] = [];
    let abortedAt = 0;
    const running = worker.execute(task, result, {
      tempDir: jails(),
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'container:started') {
          setTimeout(() => {
            abortedAt = performance.now();
            controller.abort();
          }, 200);
        }
      },
    });
    const run = await running;
    const tookMs = performance.now() - abortedAt;
    expect(run.termination?.reason).toBe('cancelled');
    expect(run.result).toBe(137);
    expect(tookMs).toBeLessThan(1000);
    const started = events.find((event) => event.type === 'container:started');
    expect(started).toMatchObject({
      containerId: expect.stringMatching(/^[0-9a-f]{64}$/),
      startedAt: expect.any(Date),
    });
    expect(await containersNamed(`kolejka-worker-${run.id}-`)).toEqual([]);
    expect(await readdir(jails())).toEqual([]);
  });

  it('an abort before the start rejects with KOLEJKA_CANCELLED and leaves nothing', async () => {
    const { task, result } = fresh('precancel');
    await writeTaskDir(task, busyboxTask(['true']));
    await expectError(
      worker.execute(task, result, { tempDir: jails(), signal: AbortSignal.abort() }),
      'KOLEJKA_CANCELLED',
      /cancelled before it started/,
    );
    expect(await readdir(jails())).toEqual([]);
  });
});
