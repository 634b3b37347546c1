import yargs from 'yargs';
import { describe, expect, it } from 'vitest';
import { LIMIT_KINDS, parseCount } from '@kolejka/spec';
import { lastFlagText, parseFlag } from '../src/flag-values.js';
import { LIMIT_FLAGS, pickLimitFlags } from '../src/limit-flag-table.js';
import { limitsFromFlags, withLimitFlags } from '../src/limit-flags.js';

describe('the limit flag table', () => {
  it("writes each value as spec's LIMIT_KINDS says, one flag per limit", () => {
    for (const row of LIMIT_FLAGS) expect(row.kind, row.flag).toBe(LIMIT_KINDS[row.limit]);
    expect(new Set(LIMIT_FLAGS.map((row) => row.limit)).size).toBe(LIMIT_FLAGS.length);
    expect(LIMIT_FLAGS.find((row) => row.flag === 'gpu-memory')?.limit).toBe('gpu_memory');
  });

  it('picks rows in the table order', () => {
    expect(pickLimitFlags(['time', 'cpus']).map((row) => row.flag)).toEqual(['cpus', 'time']);
  });
});

describe('limitsFromFlags', () => {
  it('parses every kind with the task file grammar; the last of a repeated flag counts', () => {
    expect(
      limitsFromFlags({
        cpus: '2',
        memory: ['1G', '512M'],
        time: '1500m',
        network: 'no',
        'perf-instructions': '10G',
        unrelated: 'x',
      }),
    ).toEqual({
      cpus: 2,
      memory: 512 * 1024 ** 2,
      time: 1.5,
      network: false,
      perf_instructions: 10_000_000_000,
    });
  });

  it('reads only the flags it is given', () => {
    expect(limitsFromFlags({ cpus: '2', swap: '0' }, pickLimitFlags(['swap']))).toEqual({
      swap: 0,
    });
  });

  it('names the flag of a bad value', () => {
    expect(() => limitsFromFlags({ memory: '64Mi' })).toThrow(
      /^--memory: "64Mi" is not a valid memory size/,
    );
  });
});

describe('withLimitFlags', () => {
  it('adds string options yargs parses, described per meaning in --help', async () => {
    const limits = await withLimitFlags(yargs(['--cpus', '3', '--network']).exitProcess(false))
      .strict()
      .parseAsync();
    expect(limitsFromFlags(limits)).toEqual({ cpus: 3, network: true });

    const help = async (meaning: 'limit' | 'capacity') => {
      let text = '';
      await withLimitFlags(yargs(['--help']).exitProcess(false), {
        flags: pickLimitFlags(['image']),
        group: 'Capacity:',
        meaning,
      }).parseAsync(['--help'], {}, (_error, _argv, output) => {
        text = output;
      });
      return text;
    };
    const asCapacity = await help('capacity');
    expect(asCapacity).toContain('Capacity:');
    expect(asCapacity).toContain('least recently used images beyond it are removed');
    expect(await help('limit')).toContain('size of the Docker image');
  });

  it('refuses a limit flag without a value (but --network alone means true)', () => {
    expect(() =>
      withLimitFlags(yargs(['--memory']).exitProcess(false))
        .fail((message) => {
          throw new Error(message);
        })
        .parse(),
    ).toThrow(/Not enough arguments following: memory/);
  });
});

describe('flag values', () => {
  it('takes the last of a repeated flag and names the flag of a bad value', () => {
    expect(lastFlagText(['a', 'b'])).toBe('b');
    expect(lastFlagText(3)).toBe('3');
    expect(lastFlagText(undefined)).toBeUndefined();
    expect(parseFlag('n', '7', Number)).toBe(7);
    expect(() => parseFlag('concurrency', 'x', parseCount)).toThrow(/^--concurrency: /);
    const bug = new TypeError('a bug, not a bad value');
    expect(() =>
      parseFlag('x', '1', () => {
        throw bug;
      }),
    ).toThrow(bug);
  });
});
