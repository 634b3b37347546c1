import { describe, expect, it } from 'vitest';
import { canonicalJson, dumpResult, parseResult } from '../src/index.js';
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
