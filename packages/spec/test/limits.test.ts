import { describe, expect, it } from 'vitest';
import { LIMIT_NAMES, combineLimits, dumpLimits, parseLimits, type Limits } from '../src/index.js';

describe('parseLimits and dumpLimits', () => {
  it('reads every field of reference §3.2 and writes the canonical form', () => {
    const limits = parseLimits({
      cpus: '2',
      cpus_offset: 1,
      memory: '64M',
      swap: 0,
      network: 'no',
      pids: 16.9,
      storage: '1G',
      image: '2G',
      workspace: '512M',
      time: '1500m',
      gpus: 1,
      gpus_offset: 0,
      gpu_memory: '4G',
      perf_instructions: '10G',
      perf_cycles: '1k',
      cgroup_depth: 3,
      cgroup_descendants: '8',
    });
    expect(Object.keys(limits).sort()).toEqual([...LIMIT_NAMES].sort());
    expect(dumpLimits(limits)).toEqual({
      cpus: 2,
      cpus_offset: 1,
      memory: '67108864b',
      swap: '0b',
      network: false,
      pids: 16,
      storage: '1073741824b',
      image: '2147483648b',
      workspace: '536870912b',
      time: '1.5s',
      gpus: 1,
      gpus_offset: 0,
      gpu_memory: '4294967296b',
      perf_instructions: 10_000_000_000,
      perf_cycles: 1000,
      cgroup_depth: 3,
      cgroup_descendants: 8,
    });
  });

  it('treats null as absent and ignores unknown fields', () => {
    expect(parseLimits({ memory: null, cpus: 1, bogus: 'x' })).toEqual({ cpus: 1 });
    expect(parseLimits(null)).toEqual({});
  });

  it('drops gpus_offset and gpu_memory when there are no GPUs', () => {
    expect(parseLimits({ gpus: 0, gpus_offset: 1, gpu_memory: '1G' })).toEqual({ gpus: 0 });
    expect(parseLimits({ gpus_offset: 1, gpu_memory: '1G', cpus: 1 })).toEqual({ cpus: 1 });
  });
});

describe('combineLimits', () => {
  const cases: [string, Limits, Limits, Limits][] = [
    ['both empty', {}, {}, {}],
    [
      'min of two values',
      { memory: 100, cpus: 4 },
      { memory: 50, cpus: 8 },
      { memory: 50, cpus: 4 },
    ],
    [
      'absent is no limit: the other side wins',
      { memory: 100 },
      { time: 2 },
      { memory: 100, time: 2 },
    ],
    ['zero is a limit, not absence', { swap: 0 }, { swap: 1024 }, { swap: 0 }],
    ['network: false wins over true', { network: true }, { network: false }, { network: false }],
    ['network: absent takes the other', {}, { network: true }, { network: true }],
    ['gpus: absent wins on the left', {}, { gpus: 2 }, {}],
    ['gpus: absent wins on the right', { gpus: 2 }, {}, {}],
    ['gpus: min when both set', { gpus: 2 }, { gpus: 1 }, { gpus: 1 }],
    [
      'gpus 0 drops gpu_memory and gpus_offset',
      { gpus: 2, gpu_memory: 10 },
      { gpus: 0, gpus_offset: 1 },
      { gpus: 0 },
    ],
    [
      'gpu fields kept with gpus',
      { gpus: 1, gpu_memory: 10 },
      { gpus: 4, gpu_memory: 20, gpus_offset: 3 },
      { gpus: 1, gpu_memory: 10, gpus_offset: 3 },
    ],
    ['times', { time: 1.5 }, { time: 0.5 }, { time: 0.5 }],
    [
      'perf counters',
      { perf_cycles: 1e9 },
      { perf_cycles: 5e8, perf_instructions: 7 },
      { perf_cycles: 5e8, perf_instructions: 7 },
    ],
  ];

  it.each(cases)('%s', (_name, a, b, expected) => {
    expect(combineLimits(a, b)).toEqual(expected);
    expect(combineLimits(b, a)).toEqual(expected);
  });
});
