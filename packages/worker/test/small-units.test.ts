import { mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKolejkaError } from '@kolejka/spec';
import { limitsFromFlags, outputLimitFromFlag } from '../src/cli-flags.js';
import { dockerDuration, parseDockerTime } from '../src/docker/time.js';
import { parseNvidiaSmiGpus } from '../src/host-probes.js';
import { formatSummary } from '../src/summary.js';
import { effectiveLimits } from '../src/worker.js';
import { resolveExecuteOptions } from '../src/options.js';
import { OutputCapture } from '../src/execution/output-capture.js';
import { scratch } from './support/fixtures.js';

const frame = (stream: 1 | 2, text: string): Buffer => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('Docker times', () => {
  it('keeps nanoseconds for exact wall times', () => {
    expect(dockerDuration('2024-01-02T03:04:05.123456789Z', '2024-01-02T03:04:08.123956789Z')).toBe(
      3.0005,
    );
    expect(parseDockerTime('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(dockerDuration('0001-01-01T00:00:00Z', '2024-01-02T03:04:08Z')).toBeUndefined();
  });
});

describe('output capture', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch('capture');
  });
  afterAll(() => tmp.cleanup());

  it('demultiplexes frames split anywhere, merging stdout and stderr into one file', async () => {
    const dir = await mkdtemp(path.join(tmp.dir, 'capture-'));
    const file = path.join(dir, 'out');
    const capture = new OutputCapture({
      stdoutFile: file,
      stderrFile: file,
      limitBytes: 1000,
      onLimit: () => {},
    });
    const bytes = Buffer.concat([frame(1, 'hello '), frame(2, 'world'), frame(1, '!')]);
    const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 11), bytes.subarray(11)];
    await capture.consume(Readable.from(chunks));
    await capture.close();
    expect(await readFile(file, 'utf8')).toBe('hello world!');
  });

  it('truncates at the cap and reports it once; an unnamed stream is discarded', async () => {
    const dir = await mkdtemp(path.join(tmp.dir, 'capture-'));
    const file = path.join(dir, 'out');
    const hits: string[] = [];
    const capture = new OutputCapture({
      stdoutFile: file,
      limitBytes: 5,
      onLimit: (name) => hits.push(name),
    });
    await capture.consume(
      Readable.from([frame(2, 'ignored'), frame(1, 'abc'), frame(1, 'defgh'), frame(1, 'ijk')]),
    );
    await capture.close();
    expect(await readFile(file, 'utf8')).toBe('abcde');
    expect(hits).toEqual([file]);
    expect(capture.overflowed).toBe(true);
  });
});

describe('effective limits', () => {
  it('takes the smaller of task and worker, and the worker placements', async () => {
    const limits = await effectiveLimits(
      { memory: 100, time: 5, cpus: 4, cpus_offset: 0 },
      { memory: 50, time: 10, cpus_offset: 3 },
      () => Promise.reject(new Error('GPUs are not asked for')),
    );
    expect(limits).toEqual({ memory: 50, time: 5, cpus: 4, cpus_offset: 3 });
  });

  it('gives a task asking for GPUs at most what nvidia-smi reports', async () => {
    expect(await effectiveLimits({ gpus: 2 }, {}, () => Promise.resolve(0))).toEqual({ gpus: 0 });
    expect(await effectiveLimits({ gpus: 2 }, {}, () => Promise.resolve(4))).toEqual({ gpus: 2 });
    expect(await effectiveLimits({}, { gpus: 4 }, () => Promise.resolve(4))).toEqual({});
  });
});

describe('GPU detection', () => {
  it('reads the GPUs of nvidia-smi CSV, names with commas and driver noise included', () => {
    const csv = [
      '1, GPU-bbbb, NVIDIA GeForce RTX 3090, 24576',
      '0, GPU-aaaa, NVIDIA A100 80GB PCIe, 81920',
      'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.',
      '2, GPU-cccc, Odd, Name, 1024',
      '',
    ].join('\n');
    expect(parseNvidiaSmiGpus(csv)).toEqual([
      { index: 0, uuid: 'GPU-aaaa', name: 'NVIDIA A100 80GB PCIe', memoryBytes: 81920 * 2 ** 20 },
      { index: 1, uuid: 'GPU-bbbb', name: 'NVIDIA GeForce RTX 3090', memoryBytes: 24576 * 2 ** 20 },
      { index: 2, uuid: 'GPU-cccc', name: 'Odd, Name', memoryBytes: 1024 * 2 ** 20 },
    ]);
    expect(parseNvidiaSmiGpus('')).toEqual([]);
  });
});

describe('CLI flags', () => {
  it("read values in the original's grammar", () => {
    expect(
      limitsFromFlags({
        memory: '64M',
        time: '1.5s',
        cpus: '2',
        network: 'no',
        swap: '0',
        gpus: '0',
      }),
    ).toEqual({ memory: 64 << 20, time: 1.5, cpus: 2, network: false, swap: 0, gpus: 0 });
    expect(limitsFromFlags({ time: '500m' })).toEqual({ time: 0.5 });
    expect(outputLimitFromFlag('1k')).toBe(1024);
  });

  it('name the flag of a bad value', () => {
    try {
      limitsFromFlags({ memory: '64Mi' });
      expect.unreachable();
    } catch (error) {
      expect(isKolejkaError(error, 'KOLEJKA_VALIDATION')).toBe(true);
      expect((error as Error).message).toMatch(/^--memory: "64Mi" is not a valid memory size/);
    }
  });
});

describe('options and summary', () => {
  it('resolve defaults once', () => {
    const options = resolveExecuteOptions({}, { KOLEJKA_WORKER_TEMP: '/var/tmp/k' });
    expect(options).toMatchObject({
      pull: false,
      consume: false,
      tempDir: '/var/tmp/k',
      outputLimitBytes: 64 << 20,
      limits: {},
    });
    expect(() => resolveExecuteOptions({ outputLimitBytes: -1 })).toThrow(/outputLimitBytes/);
  });

  it('summarise a result in one line', () => {
    const line = formatSummary({
      id: 't1',
      tags: [],
      limits: {},
      stats: {
        cpu: { usage: 0.5 },
        cpus: {},
        memory: { max_usage: 1024 },
        pids: {},
        perf: {},
        gpus: {},
        time: 1.25,
      },
      result: 137,
      files: {},
      termination: { reason: 'time_limit', message: 'killed at 1 s' },
    });
    expect(line).toBe(
      't1: exit code 137, termination time_limit, time 1.25s, memory 1024b, cpu 0.5s (killed at 1 s)',
    );
  });
});
