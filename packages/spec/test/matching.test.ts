import { describe, expect, it } from 'vitest';
import {
  matchTask,
  releaseCapacity,
  takeCapacity,
  type ForemanOffer,
  type Limits,
} from '../src/index.js';

const GiB = 1024 ** 3;

function foreman(capacity: Limits, overrides: Partial<ForemanOffer> = {}): ForemanOffer {
  return {
    tags: ['dev', 'cpu:intel'],
    capacity,
    free: { ...capacity },
    runningTasks: 0,
    ...overrides,
  };
}

describe('matchTask', () => {
  it('requires every tag in requires, verbatim', () => {
    const offer = foreman({ cpus: 4 });
    expect(matchTask({ requires: ['dev'], limits: {} }, offer).fits).toBe(true);
    const refused = matchTask({ requires: ['dev', 'gpu:nvidia'], limits: {} }, offer);
    expect(refused).toMatchObject({
      fits: false,
      isPermanent: true,
      reason: expect.stringContaining('"gpu:nvidia"'),
    });
    expect(matchTask({ requires: ['Dev'], limits: {} }, offer).fits).toBe(false);
  });

  it('gives a task that omits an advertised limit the foreman value (no trap)', () => {
    const match = matchTask(
      { requires: [], limits: { time: 2 } },
      foreman({ cpus: 4, memory: 8 * GiB, time: 60 }),
    );
    expect(match).toEqual({
      fits: true,
      limits: { cpus: 4, memory: 8 * GiB, time: 2 },
      demand: { cpus: 4, memory: 8 * GiB },
    });
  });

  it('never fits a task larger than the whole foreman, and says so', () => {
    const match = matchTask(
      { requires: [], limits: { memory: 16 * GiB } },
      foreman({ memory: 8 * GiB }),
    );
    expect(match).toMatchObject({ fits: false, isPermanent: true });
    if (!match.fits)
      expect(match.reason).toBe(
        'task asks for memory 17179869184b, the foreman has 8589934592b in all',
      );
  });

  it('makes a task wait while capacity is taken by others', () => {
    const offer = foreman(
      { cpus: 4, memory: 8 * GiB },
      { free: { cpus: 1, memory: 8 * GiB }, runningTasks: 1 },
    );
    expect(matchTask({ requires: [], limits: { cpus: 2, memory: GiB } }, offer)).toMatchObject({
      fits: false,
      isPermanent: false,
    });
    expect(matchTask({ requires: [], limits: { cpus: 1, memory: GiB } }, offer).fits).toBe(true);
  });

  it('refuses caps beyond the foreman: time, image, perf, gpu memory', () => {
    const offer = foreman({ time: 10, image: GiB, perf_cycles: 100, gpus: 1, gpu_memory: GiB });
    for (const limits of [
      { time: 11 },
      { image: 2 * GiB },
      { perf_cycles: 101 },
      { gpus: 1, gpu_memory: 2 * GiB },
    ]) {
      expect(matchTask({ requires: [], limits }, offer)).toMatchObject({
        fits: false,
        isPermanent: true,
      });
    }
    expect(matchTask({ requires: [], limits: { time: 10 } }, offer).fits).toBe(true);
  });

  it('handles network: a task that needs it never goes to a foreman without it', () => {
    expect(
      matchTask({ requires: [], limits: { network: true } }, foreman({ network: false })).fits,
    ).toBe(false);
    expect(
      matchTask({ requires: [], limits: { network: false } }, foreman({ network: true })),
    ).toMatchObject({
      fits: true,
      limits: { network: false },
    });
    expect(matchTask({ requires: [], limits: {} }, foreman({ network: false }))).toMatchObject({
      fits: true,
      limits: { network: false },
    });
  });

  it('gives GPUs only to tasks that ask, and only where there are enough', () => {
    const offer = foreman({ gpus: 2, gpu_memory: 8 * GiB });
    expect(matchTask({ requires: [], limits: {} }, offer)).toMatchObject({
      fits: true,
      limits: {},
    });
    expect(matchTask({ requires: [], limits: { gpus: 3 } }, offer)).toMatchObject({
      fits: false,
      isPermanent: true,
    });
    expect(matchTask({ requires: [], limits: { gpus: 1 } }, foreman({ cpus: 2 }))).toMatchObject({
      fits: false,
      isPermanent: true,
    });
    const busy = foreman({ gpus: 2 }, { free: { gpus: 1 }, runningTasks: 1 });
    expect(matchTask({ requires: [], limits: { gpus: 2 } }, busy)).toMatchObject({
      fits: false,
      isPermanent: false,
    });
  });

  it('runs exclusive tasks alone', () => {
    const idle = foreman({ cpus: 4 });
    const busy = foreman({ cpus: 4 }, { free: { cpus: 3 }, runningTasks: 1 });
    expect(matchTask({ requires: [], limits: { cpus: 1 }, exclusive: true }, idle).fits).toBe(true);
    expect(matchTask({ requires: [], limits: { cpus: 1 }, exclusive: true }, busy)).toMatchObject({
      fits: false,
      isPermanent: false,
    });
    const runningExclusive = foreman(
      { cpus: 4 },
      { free: { cpus: 3 }, runningTasks: 1, isRunningExclusive: true },
    );
    expect(matchTask({ requires: [], limits: { cpus: 1 } }, runningExclusive).fits).toBe(false);
  });
});

describe('capacity', () => {
  it('takes and releases consumable resources only', () => {
    const free: Limits = { cpus: 4, memory: 100, time: 60 };
    const taken = takeCapacity(free, { cpus: 1, memory: 40, pids: 5 });
    expect(taken).toEqual({ cpus: 3, memory: 60, time: 60 });
    expect(releaseCapacity(taken, { cpus: 1, memory: 40 })).toEqual(free);
  });
});
