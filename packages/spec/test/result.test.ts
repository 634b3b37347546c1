import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  dumpResult,
  emptyStats,
  parseResult,
  peaksWithoutCounter,
} from '../src/index.js';
import { emptyResult } from '../src/result.js';
import { fixture, fixtureJson } from './fixtures.js';

describe('parseResult', () => {
  it('reads an original-style result into the canonical dump, byte for byte (12 CPUs sort as text)', () => {
    const result = parseResult(fixtureJson('result-original-style.json'));
    expect(canonicalJson(dumpResult(result))).toBe(fixture('result-canonical.json'));
  });

  it('keeps the termination extension and refuses unknown reasons', () => {
    const result = parseResult({
      result: 137,
      termination: { reason: 'memory_limit', message: 'OOM at 64M' },
    });
    expect(dumpResult(result).termination).toEqual({
      reason: 'memory_limit',
      message: 'OOM at 64M',
    });
    expect(() => parseResult({ termination: { reason: 'bored' } })).toThrow(
      /termination\.reason must be one of "exited"/,
    );
  });

  it('round-trips the sampled_stats and unenforced_limits extensions', () => {
    const json = {
      limits: { memory: '64M' },
      sampled_stats: ['memory.max_usage', 'pids.max_usage'],
      unenforced_limits: ['swap'],
    };
    const result = parseResult(json);
    expect(result.sampled_stats).toEqual(['memory.max_usage', 'pids.max_usage']);
    expect(result.unenforced_limits).toEqual(['swap']);
    const dumped = dumpResult(result);
    expect(dumped.sampled_stats).toEqual(['memory.max_usage', 'pids.max_usage']);
    expect(dumped.unenforced_limits).toEqual(['swap']);
    expect(parseResult(dumped)).toEqual(result);
    // Absent stays absent: a result from the original has neither.
    expect(dumpResult(parseResult({})).sampled_stats).toBeUndefined();
    expect(() => parseResult({ sampled_stats: [7] })).toThrow(/sampled_stats/);
  });

  it('accepts negative and string exit codes as Python int() does', () => {
    expect(parseResult({ result: '-9' }).result).toBe(-9);
    expect(() => parseResult({ result: 'x' })).toThrow(/result "x" is not a valid integer/);
  });

  it('dumps an empty result with the always-present fields', () => {
    expect(dumpResult(emptyResult('k'))).toEqual({
      id: 'k',
      tags: [],
      limits: {},
      stats: { cpu: {}, cpus: {}, memory: {}, pids: {}, perf: {}, gpus: {} },
      files: {},
    });
  });

  it('refuses result file names that leave the directory', () => {
    expect(() => parseResult({ files: { '../../etc/cron.d/x': { reference: 'r' } } })).toThrow(
      /files\["\.\.\/\.\.\/etc\/cron\.d\/x"\] name has a "\.\." component/,
    );
  });
});

describe('peaksWithoutCounter', () => {
  it('names the peaks a reading lacks though it has the current value', () => {
    const reading = emptyStats();
    expect(peaksWithoutCounter(reading)).toEqual([]);
    // cgroup v2 before Linux 5.19 (memory.peak) and 6.1 (pids.peak): currents only.
    reading.memory = { usage: 4096 };
    reading.pids = { usage: 3 };
    expect(peaksWithoutCounter(reading)).toEqual(['memory.max_usage', 'pids.max_usage']);
    reading.memory.max_usage = 8192;
    expect(peaksWithoutCounter(reading)).toEqual(['pids.max_usage']);
    reading.pids.max_usage = 5;
    expect(peaksWithoutCounter(reading)).toEqual([]);
  });
});
