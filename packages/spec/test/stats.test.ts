import { describe, expect, it } from 'vitest';
import { dumpStats, emptyStats, keepMaxima, mergeStats, parseStats } from '../src/index.js';

describe('parseStats', () => {
  it('raises cpu usage to user + system and to the per-CPU sum', () => {
    const stats = parseStats({
      cpu: { usage: '1s', user: '2s', system: '0.5s' },
      cpus: { '0': { usage: '2s', user: '1s' }, '1': { usage: '2s', system: '3s' } },
    });
    expect(stats.cpus['1']).toEqual({ usage: 3, system: 3 });
    expect(stats.cpu).toEqual({ usage: 5, user: 2, system: 3 });
  });

  it('raises max_usage to usage and max_swap to swap', () => {
    const stats = parseStats({
      memory: { usage: '2M', max_usage: '1M', swap: 10 },
      pids: { usage: 4 },
    });
    expect(stats.memory).toEqual({
      usage: 2 * 1024 ** 2,
      max_usage: 2 * 1024 ** 2,
      swap: 10,
      max_swap: 10,
    });
    expect(stats.pids).toEqual({ usage: 4, max_usage: 4 });
  });

  it('dumps every group, even empty, and time only when known', () => {
    expect(dumpStats(parseStats({}))).toEqual({
      cpu: {},
      cpus: {},
      memory: {},
      pids: {},
      perf: {},
      gpus: {},
    });
    expect(dumpStats(parseStats({ time: 0.652 })).time).toBe('0.652s');
  });

  it('reads GPU stats with names, sizes and utilization', () => {
    const stats = parseStats({
      gpus: {
        '0': {
          name: 'NVIDIA A100',
          id: 'GPU-1',
          memory_total: '80G',
          memory_usage: '1G',
          temperature: 40,
          utilization: 0.25,
        },
      },
    });
    expect(dumpStats(stats).gpus).toEqual({
      '0': {
        name: 'NVIDIA A100',
        id: 'GPU-1',
        memory_total: '85899345920b',
        memory_usage: '1073741824b',
        max_memory_usage: '1073741824b',
        temperature: 40,
        max_temperature: 40,
        utilization: 0.25,
        max_utilization: 0.25,
      },
    });
  });
});

describe('mergeStats', () => {
  it('takes maxima of times and peaks, the newer current usage, and the larger counters', () => {
    const older = parseStats({
      cpu: { usage: '2s', user: '1s', system: '1s' },
      cpus: { '0': { usage: '2s' } },
      memory: { usage: '10M', max_usage: '50M', swap: '1M', failures: 3 },
      pids: { usage: 5, max_usage: 9, failures: 1 },
      perf: { instructions: 100, cycles: 50 },
      time: '3s',
      gpus: { '0': { name: 'A', memory_usage: '2G', temperature: 70, utilization: 0.9 } },
    });
    const newer = parseStats({
      cpu: { usage: '1s' },
      cpus: { '1': { usage: '1s' } },
      memory: { usage: '20M', max_usage: '30M', failures: 1 },
      pids: { usage: 2 },
      perf: { instructions: 50, cycles: 60 },
      time: '2s',
      gpus: { '0': { memory_usage: '1G', temperature: 60, utilization: 0.1 } },
    });
    const merged = mergeStats(older, newer);
    expect(merged.cpu.usage).toBe(3); // raised to the per-CPU sum 2 s + 1 s
    expect(merged.cpus).toEqual({ '0': { usage: 2 }, '1': { usage: 1 } });
    expect(merged.memory).toEqual({
      usage: 20 * 1024 ** 2,
      max_usage: 50 * 1024 ** 2,
      swap: 1024 ** 2,
      max_swap: 1024 ** 2,
      failures: 3,
    });
    expect(merged.pids).toEqual({ usage: 2, max_usage: 9, failures: 1 });
    expect(merged.perf).toEqual({ instructions: 100, cycles: 60 });
    expect(merged.time).toBe(3);
    expect(merged.gpus['0']).toEqual({
      name: 'A',
      memory_usage: 1024 ** 3,
      max_memory_usage: 2 * 1024 ** 3,
      temperature: 60,
      max_temperature: 70,
      utilization: 0.1,
      max_utilization: 0.9,
    });
  });

  it('leaves empty stats empty', () => {
    expect(mergeStats(emptyStats(), emptyStats())).toEqual(emptyStats());
  });
});

describe('keepMaxima', () => {
  it('drops the instantaneous memory, swap and pids usage (reference §4.1 step 14)', () => {
    const final = keepMaxima(
      parseStats({ memory: { usage: 5, swap: 1, failures: 0 }, pids: { usage: 2 } }),
    );
    expect(final.memory).toEqual({ max_usage: 5, max_swap: 1, failures: 0 });
    expect(final.pids).toEqual({ max_usage: 2 });
  });
});

describe('the dump of parsed stats', () => {
  it('reads back unchanged when the total is raised to the per-CPU sum', () => {
    // 0.07984 + 0.024156 is 0.10399599999999999 in floating point: the raised total must be
    // what its own dump ("0.103996s") reads back as, or a result differs from its file.
    const parsed = parseStats({
      cpu: { usage: '0.103995s', user: '0.04s', system: '0.06s' },
      cpus: { '0': { usage: '0.07984s' }, '1': { usage: '0.024156s' } },
    });
    expect(parsed.cpu.usage).toBe(0.103996);
    expect(parseStats(dumpStats(parsed))).toEqual(parsed);
  });

  it('reads back unchanged when usage is raised to user + system', () => {
    // 0.1 + 0.2 is 0.30000000000000004 in floating point.
    const parsed = parseStats({ cpu: { usage: '0.25s', user: '0.1s', system: '0.2s' } });
    expect(parsed.cpu.usage).toBe(0.3);
    expect(parseStats(dumpStats(parsed))).toEqual(parsed);
  });
});
