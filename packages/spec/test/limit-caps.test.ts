import { describe, expect, it } from 'vitest';
import { capLimits, combineLimits } from '../src/index.js';

describe('capLimits', () => {
  it('takes the smaller of each set value and fills what the task omits', () => {
    expect(
      capLimits(
        { memory: 256, time: 10, network: true },
        { memory: 128, pids: 16, network: false },
      ),
    ).toEqual({ memory: 128, time: 10, pids: 16, network: false });
  });

  it('keeps a GPU request when the caps say nothing about GPUs (combineLimits drops it)', () => {
    const task = { gpus: 2, gpu_memory: 4096, cpus: 4 };
    expect(combineLimits(task, { cpus: 2 })).toEqual({ cpus: 2 });
    expect(capLimits(task, { cpus: 2 })).toEqual({ gpus: 2, gpu_memory: 4096, cpus: 2 });
  });

  it('caps GPUs when the caps name them, and gives none to a task that asks for none', () => {
    expect(capLimits({ gpus: 2 }, { gpus: 1 })).toEqual({ gpus: 1 });
    expect(capLimits({ memory: 1 }, { gpus: 1, gpu_memory: 10 })).toEqual({ memory: 1 });
  });
});
